"""The `health` of GET /destinations and GET /destinations/{id}: what the dispatchers last
reported, `unknown` before that. The app runs with fake use cases (no database) and the
reports fed by hand (no Kafka)."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from senflow.common import topics
from senflow.common.destination_health import DestinationHealth
from senflow.common.events import HttpsConfig
from senflow.common.serde import dumps
from senflow.registry.adapters.destination_health import DestinationHealthReports
from senflow.registry.adapters.listing import PageRequest
from senflow.registry.domain.principal import Principal
from senflow.registry.entrypoints.api.app import create_app
from senflow.registry.errors import NotFound
from senflow.registry.use_cases.base import Page, Versioned
from tests.support.deliveries import CUSTOMER_ID, DESTINATION_ID, a_destination

OTHER_ID = "0b5c1d2e-3f4a-4b6c-8d7e-9f0a1b2c3d4e"
AT = datetime(2026, 11, 25, 10, 37, 31, tzinfo=UTC)
CUSTOMER = Principal(customer_id=CUSTOMER_ID, scopes=frozenset({"read"}))
MINE = [
    Versioned(a_destination("https", HttpsConfig(url="https://example.com/hook"), None, did), 1)
    for did in (DESTINATION_ID, OTHER_ID)
]


class FakeDestinations:
    async def get(self, _p: Principal, did: str) -> Versioned:
        for v in MINE:
            if v.snapshot.id == did:  # type: ignore[attr-defined]
                return v
        raise NotFound(f"destination {did} not found")  # another customer's, or none

    async def find(self, _p: Principal, _page: PageRequest, _project_id: str | None) -> Page:
        return Page(MINE, None)


class FakeApiKeys:
    async def authenticate(self, _key: str) -> Principal:
        return CUSTOMER


async def _ready() -> bool:
    return True


@pytest.fixture
def reports() -> DestinationHealthReports:
    return DestinationHealthReports()  # no Kafka: fed by `apply` below


@pytest.fixture
async def client(reports: DestinationHealthReports) -> AsyncIterator[httpx.AsyncClient]:
    use_cases = SimpleNamespace(destinations=FakeDestinations(), api_keys=FakeApiKeys())
    app = create_app(use_cases, "a" * 24, _ready, destination_health=reports)  # type: ignore[arg-type]
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as c,
    ):
        yield c


async def get(client: httpx.AsyncClient, path: str) -> Any:
    resp = await client.get(path, headers={"Authorization": "Bearer customer-key"})
    assert resp.status_code == 200, resp.text
    return resp.json()


def report(reports: DestinationHealthReports, destination_id: str, **fields: Any) -> None:
    health = DestinationHealth(
        destination_id=destination_id,
        customer_id=CUSTOMER_ID,
        state=fields.pop("state", "disabled"),
        failed_attempts=50,
        attempts=50,
        last_error="http-status: HTTP 503",
        last_status_code=503,
        changed_at=AT,
        reporter="dispatcher-1:42",
    )
    reports.apply(topics.DESTINATION_HEALTH, destination_id.encode(), dumps(health))


UNKNOWN = {
    "state": "unknown",
    "attempts": None,
    "failed_attempts": None,
    "last_error": None,
    "last_status_code": None,
    "changed_at": None,
}


async def test_health_is_unknown_until_a_dispatcher_reported(client: httpx.AsyncClient) -> None:
    assert (await get(client, f"/destinations/{DESTINATION_ID}"))["health"] == UNKNOWN


async def test_health_shows_what_the_dispatchers_reported(
    client: httpx.AsyncClient, reports: DestinationHealthReports
) -> None:
    report(reports, DESTINATION_ID)
    assert (await get(client, f"/destinations/{DESTINATION_ID}"))["health"] == {
        "state": "disabled",
        "attempts": 50,
        "failed_attempts": 50,
        "last_error": "http-status: HTTP 503",
        "last_status_code": 503,
        "changed_at": "2026-11-25T10:37:31Z",
    }
    listed = (await get(client, "/destinations"))["items"]
    assert {d["id"]: d["health"]["state"] for d in listed} == {
        DESTINATION_ID: "disabled",
        OTHER_ID: "unknown",
    }


async def test_the_latest_report_wins_and_a_tombstone_forgets(
    client: httpx.AsyncClient, reports: DestinationHealthReports
) -> None:
    report(reports, DESTINATION_ID, state="failing")
    report(reports, DESTINATION_ID, state="degraded")
    assert (await get(client, f"/destinations/{DESTINATION_ID}"))["health"]["state"] == "degraded"
    reports.apply(topics.DESTINATION_HEALTH, DESTINATION_ID.encode(), b"{not json")  # skipped
    assert reports.get(DESTINATION_ID) is not None
    reports.apply(topics.DESTINATION_HEALTH, DESTINATION_ID.encode(), None)
    assert (await get(client, f"/destinations/{DESTINATION_ID}"))["health"] == UNKNOWN


async def test_another_customer_s_destination_and_its_health_are_a_404(
    client: httpx.AsyncClient, reports: DestinationHealthReports
) -> None:
    stranger = "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d"
    report(reports, stranger)
    resp = await client.get(
        f"/destinations/{stranger}", headers={"Authorization": "Bearer customer-key"}
    )
    assert resp.status_code == 404
