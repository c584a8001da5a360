"""The dead-letter routes and use case without Kafka or a database: listing per destination
with tenancy, one entry with its body, and replays (one, by range, refused twice, capped,
refused for a disabled destination or while the index loads)."""

from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from senflow.common import headers as h
from senflow.common.dead_letters import DeadLetterReplayed
from senflow.common.events import DestinationSnapshot, TestEndpointConfig
from senflow.registry.adapters.dead_letters import DeadLetterIndex
from senflow.registry.domain.dead_letters import DeadLetter, ReplayOutcome, replay_headers
from senflow.registry.domain.principal import Principal
from senflow.registry.entrypoints.api.app import create_app
from senflow.registry.errors import NotFound, Unauthorized
from senflow.registry.use_cases.dead_letters import DeadLetters
from tests.support.deliveries import CUSTOMER_ID, DESTINATION_ID, a_destination
from tests.unit.test_dead_letter_entries import AT, dead_letter_record

ADMIN_TOKEN = "a" * 24
DISABLED_ID = "7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
THEIRS_ID = "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d"
KEYS = {
    "writer": Principal(customer_id=CUSTOMER_ID, scopes=frozenset({"read", "write"})),
    "reader": Principal(customer_id=CUSTOMER_ID, scopes=frozenset({"read"})),
    "other": Principal(
        customer_id="5e4f3a2b-1c0d-4e9f-8a7b-6c5d4e3f2a1b", scopes=frozenset({"read", "write"})
    ),
}


class FakeApiKeys:
    async def authenticate(self, key: str) -> Principal:
        if key not in KEYS:
            raise Unauthorized("unknown key")
        return KEYS[key]


class FakePublisher:
    def __init__(self) -> None:
        self.published: list[tuple[DeadLetter, DeadLetterReplayed]] = []
        self.refuse_after: int | None = None

    async def publish(
        self, replays: Sequence[tuple[DeadLetter, DeadLetterReplayed]]
    ) -> ReplayOutcome:
        taken = list(replays)[: self.refuse_after]
        self.published += taken
        failure = "KafkaTimeoutError()" if len(taken) < len(replays) else None
        return ReplayOutcome([r for _, r in taken], failure)


DESTINATIONS = {
    DESTINATION_ID: a_destination("test", TestEndpointConfig()),
    DISABLED_ID: a_destination("test", TestEndpointConfig(), destination_id=DISABLED_ID).model_copy(
        update={"enabled": False}
    ),
}


async def lookup(p: Principal, did: str) -> DestinationSnapshot:
    found = DESTINATIONS.get(did)
    if found is None or (p.customer_id not in (None, found.customer_id)):
        raise NotFound(f"destination {did} not found")
    return found


@pytest.fixture
def index() -> DeadLetterIndex:
    kept = DeadLetterIndex()  # no Kafka: fed by `apply`
    for n, reason in enumerate(["http-status", "timeout", "http-status"]):
        kept.apply(dead_letter_record(f"m-{n}", n, at=AT + timedelta(seconds=n), reason=reason))
    kept.apply(dead_letter_record("off", 9, DISABLED_ID))
    return kept


@pytest.fixture
def publisher() -> FakePublisher:
    return FakePublisher()


@pytest.fixture
def dead_letters(index: DeadLetterIndex, publisher: FakePublisher) -> DeadLetters:
    return DeadLetters(lookup, index, publisher, max_per_request=3)


@pytest.fixture
async def client(dead_letters: DeadLetters) -> AsyncIterator[httpx.AsyncClient]:
    use_cases = SimpleNamespace(dead_letters=dead_letters, api_keys=FakeApiKeys())
    app = create_app(use_cases, ADMIN_TOKEN, _ready)  # type: ignore[arg-type]
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as c,
    ):
        yield c


async def _ready() -> bool:
    return True


async def call(
    client: httpx.AsyncClient, method: str, path: str, key: str = "writer", **kw: Any
) -> httpx.Response:
    url = f"/destinations/{DESTINATION_ID}/dead-letters{path}"
    return await client.request(method, url, headers={"Authorization": f"Bearer {key}"}, **kw)


async def test_listing_is_newest_first_with_the_cause_and_a_total(
    client: httpx.AsyncClient,
) -> None:
    resp = await call(client, "GET", "", params={"limit": 2})
    assert resp.status_code == 200, resp.text
    listed = resp.json()
    assert listed["total"] == 3
    assert [i["id"] for i in listed["items"]] == ["3-2", "3-1"]
    first = listed["items"][0]
    assert (first["message_id"], first["reason"], first["status_code"]) == (
        "m-2",
        "http-status",
        400,
    )
    assert (first["attempts"], first["response_excerpt"]) == (1, "bad request")
    assert (first["replayed_at"], first["replayed_by"]) == (None, None)
    assert "body" not in first


async def test_listing_filters_by_time_range_and_reason(client: httpx.AsyncClient) -> None:
    since, until = (AT + timedelta(seconds=1)).isoformat(), (AT + timedelta(seconds=2)).isoformat()
    resp = await call(client, "GET", "", params={"since": since, "until": until})
    assert [i["id"] for i in resp.json()["items"]] == ["3-1"]
    resp = await call(client, "GET", "", params={"reason": "http-status"})
    assert [i["id"] for i in resp.json()["items"]] == ["3-2", "3-0"]


async def test_dead_letters_of_another_customer_s_destination_are_a_404(
    client: httpx.AsyncClient,
) -> None:
    for method, path in (("GET", ""), ("GET", "/3-0"), ("POST", "/3-0/replay")):
        resp = await call(client, method, path, key="other")
        assert resp.status_code == 404, (method, path)
        assert resp.headers["content-type"] == "application/problem+json"


async def test_admin_sees_any_destination_s_dead_letters(client: httpx.AsyncClient) -> None:
    resp = await call(client, "GET", "", key=ADMIN_TOKEN)
    assert resp.json()["total"] == 3


async def test_one_entry_comes_with_its_senml_body(client: httpx.AsyncClient) -> None:
    resp = await call(client, "GET", "/3-1")
    assert resp.status_code == 200, resp.text
    assert (resp.json()["reason"], resp.json()["body"][1]) == ("timeout", {"n": "port", "v": 2})
    assert (await call(client, "GET", "/3-7")).status_code == 404


async def test_replay_publishes_the_delivery_again_and_a_second_one_is_a_409(
    client: httpx.AsyncClient, index: DeadLetterIndex, publisher: FakePublisher
) -> None:
    resp = await call(client, "POST", "/3-1/replay")
    assert (resp.status_code, resp.json()) == (202, {"replayed": 1})
    [(entry, replayed)] = publisher.published
    assert (entry.id, entry.delivery_id) == ("3-1", f"m-1-to-{DESTINATION_ID}")
    assert (h.REPLAY_OF, b"3-1") in replay_headers(entry.headers, entry.id)
    assert (replayed.entry_id, replayed.destination_id, replayed.replayed_by) == (
        "3-1",
        DESTINATION_ID,
        CUSTOMER_ID,
    )
    listed = (await call(client, "GET", "/3-1")).json()
    assert listed["replayed_at"] is not None
    assert listed["replayed_by"] == CUSTOMER_ID

    again = await call(client, "POST", "/3-1/replay")
    assert again.status_code == 409
    assert "force=true" in again.json()["detail"]
    forced = await call(client, "POST", "/3-1/replay", params={"force": "true"})
    assert (forced.status_code, len(publisher.published)) == (202, 2)


async def test_replay_by_range_takes_those_never_replayed_in_parking_order(
    client: httpx.AsyncClient, publisher: FakePublisher
) -> None:
    await call(client, "POST", "/3-1/replay")
    resp = await call(client, "POST", "/replay", json={})
    assert (resp.status_code, resp.json()) == (202, {"replayed": 2})
    assert [e.id for e, _ in publisher.published] == ["3-1", "3-0", "3-2"]
    resp = await call(client, "POST", "/replay", json={"reason": "timeout"})
    assert resp.json() == {"replayed": 0}
    resp = await call(
        client, "POST", "/replay", json={"reason": "timeout", "include_replayed": True}
    )
    assert resp.json() == {"replayed": 1}


async def test_replay_over_the_cap_is_a_400_asking_to_narrow_the_range(
    client: httpx.AsyncClient, index: DeadLetterIndex, publisher: FakePublisher
) -> None:
    index.apply(dead_letter_record("m-3", 3, at=AT + timedelta(seconds=3)))
    resp = await call(client, "POST", "/replay", json={})
    assert resp.status_code == 400
    assert "narrow" in resp.json()["detail"]
    assert publisher.published == []


async def test_replay_to_a_disabled_destination_is_a_409(
    client: httpx.AsyncClient, publisher: FakePublisher
) -> None:
    url = f"/destinations/{DISABLED_ID}/dead-letters"
    auth = {"Authorization": "Bearer writer"}
    for resp in (
        await client.post(f"{url}/3-9/replay", headers=auth),
        await client.post(f"{url}/replay", headers=auth, json={}),
    ):
        assert resp.status_code == 409
        assert "disabled" in resp.json()["detail"]
    assert publisher.published == []


async def test_replay_needs_the_write_scope(client: httpx.AsyncClient) -> None:
    assert (await call(client, "GET", "", key="reader")).status_code == 200
    assert (await call(client, "POST", "/3-0/replay", key="reader")).status_code == 403


async def test_replay_waits_until_the_index_has_read_the_topics(
    client: httpx.AsyncClient, index: DeadLetterIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(DeadLetterIndex, "loaded", property(lambda _: False))
    resp = await call(client, "POST", "/3-0/replay")
    assert resp.status_code == 503
    assert resp.headers["Retry-After"] == "5"


async def test_replay_that_kafka_partly_refuses_marks_only_those_published(
    client: httpx.AsyncClient, index: DeadLetterIndex, publisher: FakePublisher
) -> None:
    publisher.refuse_after = 1
    resp = await call(client, "POST", "/replay", json={})
    assert resp.status_code == 503
    assert "replayed 1 of 3" in resp.json()["detail"]
    assert [e.id for e in index.entries(DESTINATION_ID) if index.replay_of(e.id)] == ["3-0"]


async def test_replay_body_refuses_unknown_fields_and_naive_times(
    client: httpx.AsyncClient,
) -> None:
    assert (await call(client, "POST", "/replay", json={"all": True})).status_code == 422
    naive = {"since": "2026-11-25T00:00:00"}
    assert (await call(client, "POST", "/replay", json=naive)).status_code == 422
