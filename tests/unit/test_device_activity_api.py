"""The `activity` of the device resource (GET one, the list, the answers to changes), and
the registry's `/metrics`. The app runs with fake use cases: no database, no Kafka."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from senflow.common.events import DeviceSnapshot
from senflow.registry.adapters.listing import PageRequest
from senflow.registry.domain.device_activity import NO_ACTIVITY, Activity
from senflow.registry.domain.principal import Principal
from senflow.registry.entrypoints.api.app import create_app
from senflow.registry.use_cases.base import Page, Versioned
from senflow.registry.use_cases.devices import NewDevice

CUSTOMER_ID = "3f6c1e2a-8b4d-4c7e-9a15-2d8f0b6e4c31"
HEARD = "5d0c9a8b-7e6f-4a3b-9c2d-1e0f9a8b7c6d"
SILENT = "c4b3a2d1-0e9f-4d8c-a7b6-5f4e3d2c1b0a"
AT = datetime(2026, 11, 25, 10, 32, 30, 500000, tzinfo=UTC)
CUSTOMER = Principal(customer_id=CUSTOMER_ID, scopes=frozenset({"read", "write"}))


def device(device_id: str) -> Versioned:
    snapshot = DeviceSnapshot(
        id=device_id,
        customer_id=CUSTOMER_ID,
        name="d",
        specification_id="own-lora",
        status="active",
    )
    return Versioned(snapshot, 3)


class FakeDevices:
    async def get(self, _p: Principal, did: str) -> Versioned:
        return device(did)

    async def find(self, _p: Principal, _page: PageRequest, *_filters: Any) -> Page:
        return Page([device(HEARD), device(SILENT)], None)

    async def register(self, _p: Principal, _new: NewDevice) -> Versioned:
        return device(SILENT)


class FakeActivities:
    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    async def of(self, p: Principal, device_ids: list[str]) -> dict[str, Activity]:
        assert p == CUSTOMER
        self.calls.append(device_ids)
        known = {HEARD: Activity(AT, 1342)}
        return {i: known.get(i, NO_ACTIVITY) for i in device_ids}


class FakeApiKeys:
    async def authenticate(self, _key: str) -> Principal:
        return CUSTOMER


async def _ready() -> bool:
    return True


@pytest.fixture
def activities() -> FakeActivities:
    return FakeActivities()


@pytest.fixture
def refreshed() -> list[bool]:
    return []


@pytest.fixture
async def client(
    activities: FakeActivities, refreshed: list[bool]
) -> AsyncIterator[httpx.AsyncClient]:
    use_cases = SimpleNamespace(
        devices=FakeDevices(), device_activities=activities, api_keys=FakeApiKeys()
    )

    async def refresh() -> None:
        refreshed.append(True)

    app = create_app(use_cases, "a" * 24, _ready, refresh_metrics=refresh)  # type: ignore[arg-type]
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as c,
    ):
        yield c


async def call(client: httpx.AsyncClient, method: str, path: str, body: Any = None) -> Any:
    resp = await client.request(
        method, path, json=body, headers={"Authorization": "Bearer customer-key"}
    )
    assert resp.status_code < 300, resp.text
    return resp.json()


async def test_a_device_shows_its_uplinks_and_when_it_was_last_seen(
    client: httpx.AsyncClient,
) -> None:
    got = await call(client, "GET", f"/devices/{HEARD}")
    assert got["activity"] == {"last_seen_at": "2026-11-25T10:32:30.500000Z", "uplinks": 1342}
    assert got["version"] == 3, "activity is not part of the device's version"


async def test_a_device_never_heard_shows_no_activity(client: httpx.AsyncClient) -> None:
    got = await call(client, "GET", f"/devices/{SILENT}")
    assert got["activity"] == {"last_seen_at": None, "uplinks": 0}


async def test_a_page_of_devices_reads_its_activity_in_one_call(
    client: httpx.AsyncClient, activities: FakeActivities
) -> None:
    listed = await call(client, "GET", "/devices")
    assert [d["activity"]["uplinks"] for d in listed["items"]] == [1342, 0]
    assert activities.calls == [[HEARD, SILENT]]


async def test_a_registered_device_is_answered_with_its_activity(
    client: httpx.AsyncClient,
) -> None:
    body = {"name": "d", "specification_id": "own-lora"}
    created = await call(client, "POST", "/devices", body)
    assert created["activity"] == {"last_seen_at": None, "uplinks": 0}


async def test_metrics_are_served_for_prometheus_after_refreshing_the_gauges(
    client: httpx.AsyncClient, refreshed: list[bool]
) -> None:
    resp = await client.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    for name in (
        "senflow_registry_outbox_backlog",
        "senflow_registry_outbox_oldest_age_seconds",
        "senflow_registry_outbox_published_total",
        "senflow_registry_activity_uplinks_counted_total",
        'senflow_registry_activity_uplinks_skipped_total{reason="unknown-device"}',
        'senflow_registry_activity_uplinks_skipped_total{reason="invalid-uplink"}',
        "senflow_registry_activity_batches_total",
        "senflow_registry_activity_lag_seconds",
        "senflow_registry_activity_recorder_leader",
    ):
        assert name in resp.text, name
    assert refreshed == [True]


async def test_metrics_are_not_part_of_the_api_document(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    assert "/metrics" not in document["paths"]
    activity = document["components"]["schemas"]["DeviceActivityOut"]
    assert set(activity["required"]) == {"last_seen_at", "uplinks"}
    assert "activity" in document["components"]["schemas"]["DeviceOut"]["required"]
