"""Bounds on what a downlink command may be: at most 16 KiB as JSON, a data object nested at
most 32 levels deep (the contract, so every worker can read it back), and a request body
of at most the registry's limit (a 413 before anything is parsed). The app runs with fake
use cases."""

from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import httpx
import orjson
import pytest
from pydantic import ValidationError

from senflow.common.downlinks import (
    MAX_COMMAND_JSON_BYTES,
    MAX_DATA_DEPTH,
    DownlinkCommand,
    DownlinkSnapshot,
)
from senflow.common.events import ChangeEvent
from senflow.common.serde import dumps, loads
from senflow.registry.entrypoints.api.app import create_app
from tests.unit.test_downlinks_api import DEVICE_ID, FakeApiKeys, FakeDownlinks, record

LIMIT = 64 * 1024


def nested(levels: int) -> Any:
    data: Any = 1
    for _ in range(levels):
        data = {"a": data}
    return data


@pytest.fixture
def downlinks() -> FakeDownlinks:
    return FakeDownlinks()


@pytest.fixture
async def client(downlinks: FakeDownlinks) -> AsyncIterator[httpx.AsyncClient]:
    use_cases = SimpleNamespace(downlinks=downlinks, api_keys=FakeApiKeys())
    app = create_app(use_cases, "a" * 24, _ready, max_body_bytes=LIMIT)  # type: ignore[arg-type]
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as c,
    ):
        yield c


async def _ready() -> bool:
    return True


async def post(client: httpx.AsyncClient, content: bytes | Any, **headers: str) -> httpx.Response:
    return await client.post(
        f"/devices/{DEVICE_ID}/downlinks",
        content=content,
        headers={
            "Authorization": "Bearer customer-key",
            "Content-Type": "application/json",
            **headers,
        },
    )


def test_a_data_object_nested_deeper_than_32_levels_is_refused_by_the_contract() -> None:
    DownlinkCommand(data=nested(MAX_DATA_DEPTH))
    with pytest.raises(ValidationError, match=r"nested more than 32 levels deep"):
        DownlinkCommand(data=nested(MAX_DATA_DEPTH + 1))
    with pytest.raises(ValidationError, match=r"nested more than 32 levels deep"):
        DownlinkCommand(data={"list": [[[[[[[[[[[[[[[[nested(20)]]]]]]]]]]]]]]]]})


def test_a_command_larger_than_16_kib_as_json_is_refused_by_the_contract() -> None:
    fits = MAX_COMMAND_JSON_BYTES - len('{"data":{"a":""}}')
    DownlinkCommand(data={"a": "x" * fits})
    with pytest.raises(ValidationError, match=r"the command is 16385 bytes as JSON; at most"):
        DownlinkCommand(data={"a": "x" * (fits + 1)})


def test_a_command_within_the_bounds_is_read_back_by_every_worker() -> None:
    command = DownlinkCommand(data=nested(MAX_DATA_DEPTH))
    snapshot = record(command).snapshot
    value = dumps(ChangeEvent[DownlinkSnapshot](
        event_id="e", event_type="DownlinkQueued", entity_type="downlink", entity_id=snapshot.id,
        entity_version=1, customer_id=snapshot.customer_id, occurred_at=snapshot.created_at,
        snapshot=snapshot,
    ))  # fmt: skip
    assert loads(ChangeEvent[DownlinkSnapshot], value).snapshot == snapshot


@pytest.mark.parametrize("levels", [MAX_DATA_DEPTH + 1, 200, 260])
async def test_a_deeply_nested_data_object_is_422_on_command_data(
    client: httpx.AsyncClient, downlinks: FakeDownlinks, levels: int
) -> None:
    data = '{"a":' * levels + "1" + "}" * levels  # orjson itself stops at 255 levels
    resp = await post(client, ('{"command": {"data": ' + data + "}}").encode())
    assert resp.status_code == 422, resp.text
    assert resp.json()["errors"] == [
        {"field": "command.data", "reason": "nested more than 32 levels deep"}
    ]
    assert downlinks.created == []


async def test_a_command_above_16_kib_is_422_on_command(
    client: httpx.AsyncClient, downlinks: FakeDownlinks
) -> None:
    resp = await post(client, orjson.dumps({"command": {"data": {"a": "x" * 20_000}}}))
    assert resp.status_code == 422, resp.text
    [error] = resp.json()["errors"]
    assert error["field"] == "command" and "at most 16384" in error["reason"]
    assert downlinks.created == []


async def test_a_body_above_the_limit_is_413_with_the_reason_before_it_is_read(
    client: httpx.AsyncClient, downlinks: FakeDownlinks
) -> None:
    body = orjson.dumps({"command": {"data": {"a": "x" * (2 * 1024 * 1024)}}})
    resp = await post(client, body)
    assert resp.status_code == 413
    assert resp.headers["content-type"] == "application/problem+json"
    assert f"larger than {LIMIT} bytes" in resp.json()["detail"]
    assert downlinks.created == []


async def test_a_streamed_body_above_the_limit_is_413_once_it_passes_it(
    client: httpx.AsyncClient, downlinks: FakeDownlinks
) -> None:
    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked
        yield b'{"command": {"data": {"a": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}}}'

    resp = await post(client, chunks())
    assert resp.status_code == 413, resp.text
    assert f"larger than {LIMIT} bytes" in resp.json()["detail"]
    assert downlinks.created == []


async def test_a_body_within_the_limit_is_read(client: httpx.AsyncClient) -> None:
    resp = await post(client, orjson.dumps({"command": {"payload_hex": "0164"}}))
    assert resp.status_code == 201, resp.text


async def test_a_bulk_import_may_be_larger_than_the_limit(client: httpx.AsyncClient) -> None:
    body = b'{"devices": "' + b"x" * (2 * LIMIT) + b'"}'  # read in full, then refused as JSON
    resp = await client.post(
        "/devices/import",
        content=body,
        headers={"Authorization": "Bearer customer-key", "Content-Type": "application/json"},
    )
    assert resp.status_code == 422, resp.text
    assert resp.json()["errors"][0]["field"] == "body"
