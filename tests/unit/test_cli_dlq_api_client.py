"""The CLI's registry client turns error answers into the API's own reason: a problem+json
body's title, detail and invalid fields, or an excerpt of whatever else came. Against a
stand-in API: a session given to it stays its owner's, a customer's client shares the
admin's session with its own key, and no answer in time is an outage."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from senflow.cli.api_client import (
    ApiError,
    ApiUnreachable,
    ApiUrlInvalid,
    RegistryClient,
    problem_error,
    query,
)


def test_a_problem_answer_keeps_its_reason_and_its_invalid_fields() -> None:
    body = (
        b'{"type":"about:blank","title":"Invalid request","status":422,'
        b'"detail":"the request does not match its schema",'
        b'"errors":[{"field":"since","reason":"Input should have timezone info"}]}'
    )
    error = problem_error(422, body, None)
    assert (error.status, error.title, error.retriable) == (422, "Invalid request", False)
    assert error.body["errors"] == [{"field": "since", "reason": "Input should have timezone info"}]
    assert error.describe() == (
        "422 Invalid request: the request does not match its schema\n"
        "  since: Input should have timezone info"
    )


def test_a_503_says_when_to_try_again_when_the_api_sends_retry_after() -> None:
    body = b'{"title":"Service unavailable","detail":"the dead letters are still being read"}'
    error = problem_error(503, body, "5")
    assert error.retriable
    assert error.describe().endswith("(try again in 5 s)")


def test_an_answer_that_is_no_problem_is_shown_as_an_excerpt() -> None:
    error = problem_error(502, b"<html>Bad gateway</html>" + b"x" * 1000, None)
    assert error.describe().startswith("502 Error: <html>Bad gateway</html>xxx")
    assert len(error.detail) == 300
    assert problem_error(500, b"", None).detail == "(no body)"
    assert problem_error(500, b"", None).body is None


def test_query_leaves_out_none_and_writes_booleans_as_the_api_reads_them() -> None:
    assert query({"force": True, "reason": None, "limit": 5}) == {"force": "true", "limit": "5"}
    assert query({"force": False}) == {"force": "false"}
    assert query(None) == {}


class FakeRegistry:
    """Answers every request with `answer` and `status`, after `delay_s`; records the
    tokens it saw."""

    def __init__(self) -> None:
        self.answer: Any = {"ok": True}
        self.status = 200
        self.delay_s = 0.0
        self.tokens: list[str | None] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.tokens.append(request.headers.get("Authorization"))
        await asyncio.sleep(self.delay_s)
        return web.json_response(self.answer, status=self.status)


@pytest.fixture
async def registry() -> AsyncIterator[tuple[FakeRegistry, str]]:
    fake = FakeRegistry()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", fake.handle)
    async with TestServer(app) as server:
        yield fake, str(server.make_url(""))


async def test_a_client_leaves_a_session_it_was_given_open_when_it_closes(
    registry: tuple[FakeRegistry, str],
) -> None:
    _, url = registry
    async with aiohttp.ClientSession() as session:
        async with RegistryClient(url, "admin", session=session) as client:
            assert await client.get("/anything") == {"ok": True}
        assert not session.closed
        # Usable again: the session is the caller's, not the client's.
        assert await RegistryClient(url, "admin", session=session).get("/x") == {"ok": True}


async def test_as_customer_sends_the_customers_key_on_the_same_session(
    registry: tuple[FakeRegistry, str],
) -> None:
    fake, url = registry
    async with RegistryClient(url, "admin") as admin:
        customer = admin.as_customer("sfk_a_b")
        await customer.post("/devices", {"name": "d"})
        await admin.get("/customers")
        await customer.close()  # borrowed: the admin's session stays open
        await admin.get("/customers")
    assert fake.tokens == ["Bearer sfk_a_b", "Bearer admin", "Bearer admin"]
    assert customer.token == "sfk_a_b" and customer.base_url == url.rstrip("/")


async def test_an_error_answer_keeps_its_decoded_body_for_the_caller(
    registry: tuple[FakeRegistry, str],
) -> None:
    fake, url = registry
    rows = {"committed": False, "rows": [{"row": 1, "status": 409, "errors": ["taken"]}]}
    fake.answer, fake.status = rows, 422
    async with RegistryClient(url, "sfk_a_b") as client:
        with pytest.raises(ApiError) as refused:
            await client.post("/devices/import", {"devices": []})
    assert refused.value.status == 422 and refused.value.body == rows


async def test_no_answer_within_the_timeout_is_unreachable_and_retriable(
    registry: tuple[FakeRegistry, str],
) -> None:
    fake, url = registry
    fake.delay_s = 1.0
    async with RegistryClient(url, "admin", timeout_s=0.05) as client:
        with pytest.raises(ApiUnreachable, match="no answer in time") as unreachable:
            await client.get("/slow")
    assert unreachable.value.retriable


async def test_an_invalid_url_is_unreachable_and_not_worth_retrying() -> None:
    async with RegistryClient("http://[::1", "admin") as client:
        with pytest.raises(ApiUrlInvalid, match="no valid URL") as invalid:
            await client.get("/devices")
    assert isinstance(invalid.value, ApiUnreachable) and not invalid.value.retriable


async def test_a_client_outside_async_with_says_so() -> None:
    with pytest.raises(RuntimeError, match="outside `async with`"):
        await RegistryClient("http://127.0.0.1:1", "admin").get("/devices")
