"""`senflow dlq list|show|replay` against a stand-in of the registry's dead-letter API
(same paths, answers and problem+json errors): tables and JSON out, the API's reasons on
refusals, --force suggested for an entry replayed before, and exit codes for scripts."""

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web
from typer.testing import CliRunner

from senflow.cli.app import app
from tests.support.processes import free_port

TOKEN = "sfk_test_key"
DESTINATION = "e1d2c3b4-a5f6-4e7d-8c9b-0a1f2e3d4c5b"
DISABLED = "7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
PACK = [{"bn": "urn:dev:DEVEUI:0123456789ABCDEF:", "n": "payload", "vs": "01A2"}]


def entry(entry_id: str, replayed: bool = False) -> dict[str, Any]:
    return {
        "id": entry_id,
        "message_id": f"m-{entry_id}",
        "delivery_id": f"dl-{entry_id}",
        "device_id": "dev-1",
        "flow_id": "flow-1",
        "reason": "http-status",
        "detail": "the receiver answered 400",
        "status_code": 400,
        "attempts": 1,
        "response_excerpt": "[bold]scripted answer",
        "dead_lettered_at": "2026-11-25T10:32:43.512000Z",
        "replay_of": None,
        "replayed_at": "2026-11-25T11:00:00Z" if replayed else None,
        "replayed_by": "admin" if replayed else None,
    }


def problem(status: int, title: str, detail: str, **extra: Any) -> web.Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return web.json_response(body, status=status, content_type="application/problem+json")


class FakeDeadLetterApi:
    """Two dead letters of DESTINATION, `3-17` already replayed; DISABLED refuses replays."""

    def __init__(self) -> None:
        self.url = ""
        self.entries = {"3-18": entry("3-18"), "3-17": entry("3-17", replayed=True)}
        self.requests: list[tuple[str, str, dict[str, str], Any]] = []

    def routes(self) -> web.Application:
        api = web.Application(middlewares=[self._authenticate])
        base = "/destinations/{destination}/dead-letters"
        api.router.add_get(base, self._list)
        api.router.add_post(base + "/replay", self._replay_selection)
        api.router.add_get(base + "/{entry}", self._show)
        api.router.add_post(base + "/{entry}/replay", self._replay_one)
        return api

    @web.middleware
    async def _authenticate(self, request: web.Request, handler: Any) -> web.StreamResponse:
        body = await request.json() if request.can_read_body else None
        self.requests.append((request.method, request.path, dict(request.query), body))
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return problem(401, "Unauthorized", "unknown API key")
        if request.match_info["destination"] not in (DESTINATION, DISABLED):
            return problem(404, "Not found", f"destination {request.match_info['destination']}")
        response: web.StreamResponse = await handler(request)
        return response

    async def _list(self, request: web.Request) -> web.Response:
        limit = int(request.query.get("limit", "100"))
        if not 1 <= limit <= 1000:
            return problem(
                422,
                "Invalid request",
                "the request does not match its schema",
                errors=[{"field": "limit", "reason": "Input should be less than or equal to 1000"}],
            )
        items = sorted(self.entries.values(), key=lambda e: e["id"], reverse=True)
        return web.json_response({"items": items[:limit], "total": len(items)})

    async def _show(self, request: web.Request) -> web.Response:
        found = self.entries.get(request.match_info["entry"])
        if found is None:
            return problem(404, "Not found", f"dead letter {request.match_info['entry']} not found")
        return web.json_response({**found, "body": PACK})

    async def _replay_one(self, request: web.Request) -> web.Response:
        if request.match_info["destination"] == DISABLED:
            return problem(409, "Conflict", "destination is disabled; enable it first")
        found = self.entries.get(request.match_info["entry"])
        if found is None:
            return problem(404, "Not found", "dead letter not found")
        if found["replayed_at"] and request.query.get("force") != "true":
            return problem(409, "Conflict", "dead letter was replayed; force=true replays it")
        found["replayed_at"] = "2026-11-25T12:00:00Z"
        return web.json_response({"replayed": 1}, status=202)

    async def _replay_selection(self, request: web.Request) -> web.Response:
        asked = await request.json()
        taken = [
            e for e in self.entries.values() if asked["include_replayed"] or not e["replayed_at"]
        ]
        return web.json_response({"replayed": len(taken)}, status=202)


@pytest.fixture
def api() -> Iterator[FakeDeadLetterApi]:
    """The stand-in, served on its own event loop in a thread: the CLI runs its own."""
    fake = FakeDeadLetterApi()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(fake.routes(), access_log=None)
    port = free_port()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def serve() -> None:
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()

    asyncio.run_coroutine_threadsafe(serve(), loop).result(timeout=10)
    fake.url = f"http://127.0.0.1:{port}"
    try:
        yield fake
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


def senflow(api: FakeDeadLetterApi, *args: str, token: str = TOKEN) -> Any:
    env = {
        "SENFLOW_API_URL": api.url,
        "SENFLOW_API_TOKEN": token,
        "COLUMNS": "200",
    }
    return CliRunner(env=env).invoke(app, list(args))


def test_list_shows_a_table_of_entries_when_asked_by_a_person(api: FakeDeadLetterApi) -> None:
    result = senflow(api, "dlq", "list", "-d", DESTINATION, "--reason", "http-status")
    assert result.exit_code == 0, result.output
    assert "3-18" in result.output and "3-17" in result.output
    assert "http-status" in result.output and "2026-11-25T10:32:43.512Z" in result.output
    assert "2 in all" in result.output
    [(_, _, query, _)] = api.requests
    assert query == {"limit": "100", "reason": "http-status"}


def test_list_prints_the_api_answer_when_asked_for_json(api: FakeDeadLetterApi) -> None:
    result = senflow(
        api, "dlq", "list", "-d", DESTINATION, "--limit", "1", "--since", "1h", "--json"
    )
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["total"] == 2 and [i["id"] for i in answer["items"]] == ["3-18"]
    since = api.requests[0][2]["since"]
    assert since.endswith("+00:00")  # sent with its zone, as the API wants


def test_show_prints_the_entry_and_its_pack_when_it_exists(api: FakeDeadLetterApi) -> None:
    result = senflow(api, "dlq", "show", "-d", DESTINATION, "3-18")
    assert result.exit_code == 0, result.output
    assert "[bold]scripted answer" in result.output  # markup from a receiver prints as text
    assert "urn:dev:DEVEUI:0123456789ABCDEF:" in result.output
    as_json = senflow(api, "dlq", "show", "-d", DESTINATION, "3-18", "--json")
    assert json.loads(as_json.stdout)["body"] == PACK


def test_an_api_refusal_prints_its_reason_and_exits_1(api: FakeDeadLetterApi) -> None:
    result = senflow(api, "dlq", "show", "-d", DESTINATION, "9-99")
    assert result.exit_code == 1
    assert "404 Not found: dead letter 9-99 not found" in result.output
    unknown = senflow(api, "dlq", "list", "-d", "someone-elses")
    assert unknown.exit_code == 1 and "404 Not found" in unknown.output
    bad_key = senflow(api, "dlq", "list", "-d", DESTINATION, token="wrong")
    assert bad_key.exit_code == 1 and "401 Unauthorized: unknown API key" in bad_key.output


def test_replay_of_an_entry_reports_it_when_the_api_takes_it(api: FakeDeadLetterApi) -> None:
    result = senflow(api, "dlq", "replay", "-d", DESTINATION, "3-18")
    assert result.exit_code == 0, result.output
    assert "Replayed 1 dead letter of destination" in result.output
    assert api.requests[-1][:3] == (
        "POST",
        f"/destinations/{DESTINATION}/dead-letters/3-18/replay",
        {"force": "false"},
    )


def test_a_second_replay_says_to_use_force_and_exits_1(api: FakeDeadLetterApi) -> None:
    result = senflow(api, "dlq", "replay", "-d", DESTINATION, "3-17", "3-18", "--json")
    assert result.exit_code == 1
    assert "409 Conflict" in result.stderr
    assert "add --force to replay it again" in result.stderr
    answer = json.loads(result.stdout)
    assert answer["replayed"] == 1  # 3-18 went on after 3-17 was refused
    assert [(r["entry_id"], r["status"]) for r in answer["refused"]] == [("3-17", 409)]

    forced = senflow(api, "dlq", "replay", "-d", DESTINATION, "3-17", "--force")
    assert forced.exit_code == 0, forced.output
    assert api.requests[-1][2] == {"force": "true"}


def test_a_disabled_destination_is_no_case_for_force(api: FakeDeadLetterApi) -> None:
    result = senflow(api, "dlq", "replay", "-d", DISABLED, "3-18")
    assert result.exit_code == 1
    assert "enable it first" in result.stderr
    assert "--force" not in result.stderr


def test_replay_all_sends_one_selection_when_asked_for(api: FakeDeadLetterApi) -> None:
    result = senflow(api, "dlq", "replay", "-d", DESTINATION, "--all", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"replayed": 1, "refused": []}
    method, path, _, body = api.requests[-1]
    assert (method, path) == ("POST", f"/destinations/{DESTINATION}/dead-letters/replay")
    assert body == {"since": None, "until": None, "reason": None, "include_replayed": False}


def test_replay_refuses_when_asked_for_nothing(api: FakeDeadLetterApi) -> None:
    result = senflow(api, "dlq", "replay", "-d", DESTINATION)
    assert result.exit_code == 2
    assert "give entry ids, --all, or a range" in result.output
    assert api.requests == []


def test_unreachable_api_or_missing_token_exit_2_with_a_sentence() -> None:
    env = {"SENFLOW_API_URL": f"http://127.0.0.1:{free_port()}", "SENFLOW_API_TOKEN": TOKEN}
    down = CliRunner(env={**env, "COLUMNS": "200"}).invoke(app, ["dlq", "list", "-d", "x"])
    assert down.exit_code == 2
    assert "The registry API is not reachable" in down.output
    no_token = CliRunner(
        env={"SENFLOW_API_TOKEN": None, "REGISTRY_ADMIN_TOKEN": None, "COLUMNS": "200"}
    ).invoke(app, ["dlq", "list", "-d", "x"])
    assert no_token.exit_code == 2
    assert "No API token" in no_token.output
