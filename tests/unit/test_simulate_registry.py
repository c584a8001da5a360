"""The simulator's registry calls against a stand-in API: the admin's customer and key, a
refused import named by its first failing row, paging through devices, and the shared
client's errors turned into the simulator's (one line, exit code 3)."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from senflow.cli.api_client import RegistryClient
from senflow.cli.simulate_errors import RegistryRefused, TargetUnreachable
from senflow.cli.simulate_registry import SimulatorRegistry, is_customer_key
from tests.support.processes import free_port

ADMIN = "admin-token"
KEY = "sfk_p_secret"


def problem(status: int, detail: str, **extra: Any) -> web.Response:
    body = {"title": "Refused", "status": status, "detail": detail, **extra}
    return web.json_response(body, status=status, content_type="application/problem+json")


class FakeRegistry:
    """Customers and keys for the admin; devices (in pages of two) and one flow, `f-1`,
    for the key; `import_answer` is what the next import gets."""

    def __init__(self) -> None:
        self.url = ""
        self.seen: list[tuple[str, str, str | None]] = []
        self.import_answer: web.Response | None = None
        self.devices = [{"id": f"d-{n}", "name": f"sim-lora-{n:05}"} for n in range(1, 6)]

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._record])
        app.router.add_post("/customers", self._customer)
        app.router.add_post("/api-keys", self._key)
        app.router.add_post("/devices/import", self._import)
        app.router.add_get("/devices", self._devices)
        app.router.add_get("/flows/{flow}", self._flow)
        app.router.add_get("/broken", self._broken)
        return app

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.seen.append((request.method, request.path, request.headers.get("Authorization")))
        response: web.StreamResponse = await handler(request)
        return response

    async def _customer(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {ADMIN}":
            return problem(403, "only the admin creates customers")
        return web.json_response({"id": "c-1", "name": (await request.json())["name"]}, status=201)

    async def _key(self, request: web.Request) -> web.Response:
        return web.json_response({"id": "k-1", "key": KEY}, status=201)

    async def _import(self, request: web.Request) -> web.Response:
        if self.import_answer is not None:
            return self.import_answer
        devices = (await request.json())["devices"]
        rows = [
            {"row": n, "status": 201, "device_id": f"new-{n}", "errors": []}
            for n in range(1, len(devices) + 1)
        ]
        return web.json_response({"committed": True, "rows": rows})

    async def _devices(self, request: web.Request) -> web.Response:
        start = int(request.query.get("cursor", "0"))
        page = self.devices[start : start + 2]
        more = start + 2 < len(self.devices)
        return web.json_response({"items": page, "next_cursor": str(start + 2) if more else None})

    async def _flow(self, request: web.Request) -> web.Response:
        flow = request.match_info["flow"]
        if flow != "f-1":
            return problem(404, f"flow {flow} not found")
        return web.json_response({"id": flow, "version": 3})

    async def _broken(self, request: web.Request) -> web.Response:
        return web.Response(status=502, text="<html>Bad gateway</html>")


@pytest.fixture
async def fake() -> AsyncIterator[FakeRegistry]:
    registry = FakeRegistry()
    async with TestServer(registry.app()) as server:
        registry.url = str(server.make_url(""))
        yield registry


@pytest.fixture
async def admin(fake: FakeRegistry) -> AsyncIterator[SimulatorRegistry]:
    async with RegistryClient(fake.url, ADMIN) as api:
        yield SimulatorRegistry(api)


async def test_the_admin_creates_a_customer_whose_key_the_next_calls_use(
    fake: FakeRegistry, admin: SimulatorRegistry
) -> None:
    customer_id, key = await admin.create_customer_key("senflow simulate")
    customer = admin.as_customer(key)
    assert (customer_id, customer.token) == ("c-1", KEY)
    assert is_customer_key(customer.token) and not is_customer_key(admin.token)
    assert await customer.import_devices([{"name": "a"}, {"name": "b"}]) == ["new-1", "new-2"]
    assert [token for _, _, token in fake.seen] == [f"Bearer {ADMIN}"] * 2 + [f"Bearer {KEY}"]


async def test_a_refused_import_names_its_first_failing_row_when_the_registry_answers_422(
    fake: FakeRegistry, admin: SimulatorRegistry
) -> None:
    rows = [
        {"row": 1, "status": 424, "errors": []},
        {"row": 2, "status": 409, "errors": ["identifier taken"]},
    ]
    fake.import_answer = web.json_response({"committed": False, "rows": rows}, status=422)
    with pytest.raises(RegistryRefused) as refused:
        await admin.import_devices([{"name": "a"}, {"name": "b"}])
    assert str(refused.value) == "device import refused: row 2: 409 ['identifier taken']"
    assert (refused.value.status, refused.value.exit_code) == (409, 3)


async def test_an_import_refused_by_its_schema_says_why_when_the_422_has_no_rows(
    fake: FakeRegistry, admin: SimulatorRegistry
) -> None:
    fake.import_answer = problem(422, "invalid request", errors=[{"field": "mode"}])
    with pytest.raises(RegistryRefused) as refused:
        await admin.import_devices([])
    assert str(refused.value) == "POST /devices/import: invalid request [{'field': 'mode'}]"


async def test_an_error_answer_is_refused_with_method_path_and_reason(
    admin: SimulatorRegistry,
) -> None:
    assert (await admin.get_flow("f-1"))["version"] == 3
    with pytest.raises(RegistryRefused) as refused:
        await admin.get_flow("f-9")
    assert str(refused.value) == "GET /flows/f-9: 404 flow f-9 not found"
    assert refused.value.status == 404
    with pytest.raises(RegistryRefused, match=r"^GET /broken: 502, no JSON answer$"):
        await admin.request("GET", "/broken")


async def test_list_devices_follows_the_cursor_until_it_has_enough(
    fake: FakeRegistry, admin: SimulatorRegistry
) -> None:
    def odd(device: dict[str, Any]) -> bool:
        return int(device["id"][2:]) % 2 == 1

    found = await admin.list_devices("sim-lora", "p-1", odd, at_most=2)
    assert [d["id"] for d in found] == ["d-1", "d-3"]
    assert len(fake.seen) == 2  # stopped after the page that had the second


async def test_an_unreachable_registry_is_a_target_unreachable_with_exit_code_3() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    async with RegistryClient(url, KEY) as api:
        with pytest.raises(TargetUnreachable) as unreachable:
            await SimulatorRegistry(api).add_to_flow("f-1", ["d-1"])
    assert str(unreachable.value) == f"the registry API at {url} did not answer"
    assert unreachable.value.exit_code == 3
