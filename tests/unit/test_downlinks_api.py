"""The downlinks resources: bodies checked with the field at fault named, answers shaped
as documented (no owner, SenML records without empty fields), lists newest first with a
status filter, a refused cancel as a 409 problem. The app runs with fake use cases."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from senflow.common.downlinks import DownlinkCommand, DownlinkSnapshot
from senflow.registry.adapters.downlink_rows import DownlinkRecord
from senflow.registry.adapters.listing import PageRequest
from senflow.registry.domain.principal import Principal
from senflow.registry.entrypoints.api.app import create_app
from senflow.registry.errors import Conflict
from senflow.registry.use_cases.downlinks import DownlinkPage, NewDownlink

CUSTOMER_ID = "3f6c1e2a-8b4d-4c7e-9a15-2d8f0b6e4c31"
DEVICE_ID = "5d0c9a8b-7e6f-4a3b-9c2d-1e0f9a8b7c6d"
DOWNLINK_ID = "c4b3a2d1-0e9f-4d8c-a7b6-5f4e3d2c1b0a"
AT = datetime(2026, 11, 25, 10, 32, 30, tzinfo=UTC)
LATER = AT + timedelta(seconds=1)
CUSTOMER = Principal(customer_id=CUSTOMER_ID, scopes=frozenset({"read", "write"}))
SETPOINT = {"senml": [{"n": "setpoint", "u": "Cel", "v": 21.5}]}


def record(command: DownlinkCommand, status: str = "queued") -> DownlinkRecord:
    snapshot = DownlinkSnapshot(
        id=DOWNLINK_ID,
        customer_id=CUSTOMER_ID,
        device_id=DEVICE_ID,
        network_type="INTERNET",
        identifier="6f1f7d0c-2b3a-4c5d-9e8f-0a1b2c3d4e5f",
        command=command,
        status=status,
        created_at=AT,
        expires_at=AT + timedelta(hours=24),
        status_changed_at=AT,
    )
    return DownlinkRecord(snapshot, 1, None, None, None)


class FakeDownlinks:
    def __init__(self) -> None:
        self.created: list[NewDownlink] = []
        self.found: list[tuple[PageRequest, str | None]] = []

    async def create(self, _p: Principal, device_id: str, new: NewDownlink) -> DownlinkRecord:
        assert device_id == DEVICE_ID
        self.created.append(new)
        return record(new.command)

    async def get(self, _p: Principal, _downlink_id: str) -> DownlinkRecord:
        queued = record(DownlinkCommand.model_validate(SETPOINT))
        encoded = queued.snapshot.model_copy(
            update={"status": "executing", "payload_hex": "9F0164", "status_changed_at": LATER}
        )
        return DownlinkRecord(encoded, 2, LATER, None, None)

    async def find(
        self, _p: Principal, _device_id: str, page: PageRequest, status: str | None
    ) -> DownlinkPage:
        self.found.append((page, status))
        return DownlinkPage([record(DownlinkCommand.model_validate(SETPOINT))], None)

    async def cancel(self, _p: Principal, downlink_id: str) -> DownlinkRecord:
        raise Conflict(f"downlink {downlink_id} is executing: only a queued one can be cancelled")


class FakeApiKeys:
    async def authenticate(self, _key: str) -> Principal:
        return CUSTOMER


async def _ready() -> bool:
    return True


@pytest.fixture
def downlinks() -> FakeDownlinks:
    return FakeDownlinks()


@pytest.fixture
async def client(downlinks: FakeDownlinks) -> AsyncIterator[httpx.AsyncClient]:
    use_cases = SimpleNamespace(downlinks=downlinks, api_keys=FakeApiKeys())
    app = create_app(use_cases, "a" * 24, _ready)  # type: ignore[arg-type]
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as c,
    ):
        yield c


async def call(client: httpx.AsyncClient, method: str, path: str, body: Any = None) -> Any:
    return await client.request(
        method, path, json=body, headers={"Authorization": "Bearer customer-key"}
    )


async def test_a_queued_downlink_is_answered_201_with_where_to_find_it(
    client: httpx.AsyncClient, downlinks: FakeDownlinks
) -> None:
    body = {"command": {"payload_hex": "0164", "f_port": 10}, "ttl_s": 600, "flow_id": "f-1"}
    resp = await call(client, "POST", f"/devices/{DEVICE_ID}/downlinks", body)
    assert resp.status_code == 201, resp.text
    assert resp.headers["location"] == f"/downlinks/{DOWNLINK_ID}"
    assert resp.headers["etag"] == '"1"'
    got = resp.json()
    assert got["status"] == "queued" and "customer_id" not in got
    assert got["command"] == {"senml": None, "data": None, "payload_hex": "0164", "f_port": 10}
    [new] = downlinks.created
    assert new == NewDownlink(DownlinkCommand(payload_hex="0164", f_port=10), False, 600, "f-1")


async def test_a_downlink_is_answered_with_its_command_as_given_and_its_encoded_bytes(
    client: httpx.AsyncClient,
) -> None:
    resp = await call(client, "GET", f"/downlinks/{DOWNLINK_ID}")
    got = resp.json()
    assert got["command"]["senml"] == SETPOINT["senml"], "no empty SenML fields"
    assert (got["status"], got["payload_hex"], got["version"]) == ("executing", "9F0164", 2)
    assert got["executing_at"] == got["status_changed_at"] == "2026-11-25T10:32:31Z"
    assert got["sent_at"] is None and got["finished_at"] is None
    assert resp.headers["etag"] == '"2"'


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"command": {"payload_hex": "01", "senml": SETPOINT["senml"]}}, "command"),
        ({"command": {}}, "command"),
        ({"command": {"payload_hex": "0"}}, "command.payload_hex"),
        ({"command": {"payload_hex": "01", "f_port": 224}}, "command.f_port"),
        ({"command": {"data": {}}}, "command.data"),
        ({"command": {"senml": []}}, "command.senml"),
        ({"command": SETPOINT, "ttl_s": 0}, "ttl_s"),
        ({"command": SETPOINT, "ttl_s": 8 * 24 * 3600}, "ttl_s"),
        ({"command": SETPOINT, "network_type": "WIFI"}, "network_type"),
        ({"command": SETPOINT, "priority": "high"}, "priority"),
        ({}, "command"),
    ],
)
async def test_a_downlink_is_422_naming_the_field_when_its_body_is_invalid(
    client: httpx.AsyncClient, downlinks: FakeDownlinks, body: dict[str, Any], field: str
) -> None:
    resp = await call(client, "POST", f"/devices/{DEVICE_ID}/downlinks", body)
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in resp.json()["errors"]]
    assert downlinks.created == []


async def test_a_devices_downlinks_are_listed_newest_first_with_a_status_filter(
    client: httpx.AsyncClient, downlinks: FakeDownlinks
) -> None:
    resp = await call(client, "GET", f"/devices/{DEVICE_ID}/downlinks?status=queued&limit=5")
    assert resp.status_code == 200, resp.text
    assert [d["id"] for d in resp.json()["items"]] == [DOWNLINK_ID]
    [(page, status)] = downlinks.found
    assert (page.sort, page.limit, page.q, status) == ("-created_at", 5, None, "queued")


@pytest.mark.parametrize("query", ["status=sending", "sort=name", "limit=0"])
async def test_a_list_is_422_when_its_parameters_are_invalid(
    client: httpx.AsyncClient, query: str
) -> None:
    resp = await call(client, "GET", f"/devices/{DEVICE_ID}/downlinks?{query}")
    assert resp.status_code == 422, resp.text


async def test_a_cancel_is_409_saying_the_status_when_the_downlink_is_no_longer_queued(
    client: httpx.AsyncClient,
) -> None:
    resp = await call(client, "POST", f"/downlinks/{DOWNLINK_ID}/cancel")
    assert resp.status_code == 409
    assert "is executing" in resp.json()["detail"]


async def test_the_downlink_paths_are_in_the_api_document(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert {"post", "get"} <= set(paths["/devices/{device_id}/downlinks"])
    assert "get" in paths["/downlinks/{downlink_id}"]
    assert "post" in paths["/downlinks/{downlink_id}/cancel"]
