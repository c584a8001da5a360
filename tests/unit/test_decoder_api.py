"""The decoder routes' bodies: POST /decoders/test, and the health on GET /decoders. The
app runs with fake use cases (no database) and statuses fed by hand (no Kafka)."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from senflow.common import topics
from senflow.common.decoder_status import DecoderStatus
from senflow.common.serde import dumps
from senflow.registry.adapters.decoder_statuses import DecoderStatuses
from senflow.registry.domain.principal import Principal
from senflow.registry.entrypoints.api import schemas
from senflow.registry.entrypoints.api.app import create_app
from senflow.registry.errors import NotFound
from senflow.registry.use_cases.catalogue import Codec
from senflow.registry.use_cases.decoder_trials import DecoderTrials

ADMIN_TOKEN = "a" * 24
CUSTOMER_KEY = "customer-key"
CUSTOMER = Principal(customer_id="3f6c1e2a-8b4d-4c7e-9a15-2d8f0b6e4c31", scopes=frozenset({"read"}))
AT = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)

BUILT_IN = Codec(
    id="cayenne-lpp",
    uuid="0",
    kind="decoder",
    name="› Cayenne LPP",
    symbol="›",
    description="",
    version=1,
    built_in=True,
    contract=None,
    superseded_by=None,
    script=None,
)
MINE = replace(
    BUILT_IN,
    id="diy-0a1b2c3d4e5f",
    name="mine",
    version=3,
    built_in=False,
    contract="kpn",
    script="function main(s) { throw new Error('bad sensor'); }",
)


class FakeCatalogue:
    async def codecs(self, _p: Principal, _kind: str | None) -> list[Codec]:
        return [BUILT_IN, MINE]

    async def codec(self, _p: Principal, codec_id: str) -> Codec:
        for codec in (BUILT_IN, MINE):
            if codec.id == codec_id:
                return codec
        raise NotFound(f"codec {codec_id} not found")


class FakeApiKeys:
    async def authenticate(self, _key: str) -> Principal:
        return CUSTOMER


async def _ready() -> bool:
    return True


@pytest.fixture
def statuses() -> DecoderStatuses:
    return DecoderStatuses()  # no Kafka: fed by `apply` below


@pytest.fixture
async def client(statuses: DecoderStatuses) -> AsyncIterator[httpx.AsyncClient]:
    catalogue = FakeCatalogue()
    use_cases = SimpleNamespace(
        catalogue=catalogue,
        decoder_trials=DecoderTrials(catalogue),  # type: ignore[arg-type]
        api_keys=FakeApiKeys(),
    )
    app = create_app(use_cases, ADMIN_TOKEN, _ready, statuses)  # type: ignore[arg-type]
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as c,
    ):
        yield c


async def call(
    client: httpx.AsyncClient, method: str, path: str, body: Any = None, token: str = CUSTOMER_KEY
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return await client.request(method, path, json=body, headers=headers)


def report(statuses: DecoderStatuses, decoder_id: str, **fields: Any) -> None:
    status = DecoderStatus(
        decoder_id=decoder_id,
        decoder_version=fields.pop("decoder_version", 1),
        status=fields.pop("status", "failing"),
        failures=20,
        decodes=20,
        last_error=fields.pop("last_error", "Error: bad sensor (line 1)"),
        changed_at=AT,
        reporter="router-1:42",
    )
    statuses.apply(topics.DECODER_STATUS, decoder_id.encode(), dumps(status))


async def test_trial_of_a_built_in_decoder_answers_its_senml(client: httpx.AsyncClient) -> None:
    resp = await call(
        client,
        "POST",
        "/decoders/test",
        {"decoder_id": "cayenne-lpp", "payload_hex": "03670110056700FF", "f_port": 1},
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["decoder"] == {"id": "cayenne-lpp", "version": 1}
    first, second = body["senml"]
    assert first["bn"] == "urn:dev:DEVEUI:0000000000000000:"
    assert {k: first[k] for k in ("n", "u", "v")} == {"n": "3/temperature", "u": "Cel", "v": 27.2}
    assert second == {"n": "5/temperature", "u": "Cel", "v": 25.5}  # no null fields
    assert (body["warnings"], body["error"]) == ([], None)
    assert isinstance(body["took_ms"], float)


async def test_trial_of_a_failing_decoder_is_a_200_with_its_error(
    client: httpx.AsyncClient,
) -> None:
    resp = await call(
        client, "POST", "/decoders/test", {"decoder_id": MINE.id, "payload_hex": "00"}
    )
    assert resp.status_code == 200
    assert resp.json()["decoder"] == {"id": MINE.id, "version": 3}
    assert resp.json()["error"].startswith("Error: bad sensor")
    assert resp.json()["senml"] == []
    loop = {"script": "function main(s) { for (;;) {} }", "contract": "kpn", "payload_base64": ""}
    resp = await call(client, "POST", "/decoders/test", loop)
    assert resp.status_code == 200
    assert (resp.json()["decoder"], resp.json()["error"]) == (None, "exceeded 50 ms CPU")


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (
            {"decoder_id": "lora-raw", "payload_hex": "01", "payload_base64": "AQ=="},
            422,
            "payload_hex",
        ),
        ({"decoder_id": "lora-raw"}, 422, "payload_hex"),
        ({"decoder_id": "lora-raw", "payload_hex": "0"}, 422, "payload_hex"),
        ({"decoder_id": "lora-raw", "payload_hex": "01", "f_port": 256}, 422, "f_port"),
        ({"decoder_id": "lora-raw", "payload_hex": "01", "device_urn": "dev 1"}, 422, "device_urn"),
        ({"script": "function main(s) {}", "payload_hex": "01"}, 422, "contract"),
        ({"decoder_id": "lora-raw", "payload_hex": "01", "surprise": 1}, 422, "surprise"),
        ({"decoder_id": "lora-raw-encoder", "payload_hex": "01"}, 404, None),
        ({"decoder_id": "diy-theirs", "payload_hex": "01"}, 404, None),
    ],
)
async def test_a_malformed_trial_request_is_a_problem_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, Any], status: int, field: str | None
) -> None:
    resp = await call(client, "POST", "/decoders/test", body)
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    if field is not None:
        assert field in [e["field"] for e in resp.json()["errors"]]


async def test_health_is_unknown_until_a_router_reports(client: httpx.AsyncClient) -> None:
    resp = await call(client, "GET", f"/decoders/{MINE.id}")
    assert resp.status_code == 200
    assert resp.json()["health"] == {
        "status": "unknown",
        "version": None,
        "failures": None,
        "decodes": None,
        "last_error": None,
        "changed_at": None,
    }


async def test_health_shows_what_the_routers_reported(
    client: httpx.AsyncClient, statuses: DecoderStatuses
) -> None:
    report(statuses, MINE.id, decoder_version=3)
    health = (await call(client, "GET", f"/decoders/{MINE.id}")).json()["health"]
    assert health == {
        "status": "failing",
        "version": 3,
        "failures": 20,
        "decodes": 20,
        "last_error": "Error: bad sensor (line 1)",
        "changed_at": "2026-11-25T10:00:00Z",
    }
    listed = {
        c["id"]: c["health"]["status"] for c in (await call(client, "GET", "/decoders")).json()
    }
    assert listed == {"cayenne-lpp": "unknown", MINE.id: "failing"}


async def test_a_customer_never_sees_a_built_in_decoder_s_last_error(
    client: httpx.AsyncClient, statuses: DecoderStatuses
) -> None:
    report(statuses, "cayenne-lpp", last_error="truncated at offset 2: 3/temperature")
    seen = (await call(client, "GET", "/decoders/cayenne-lpp")).json()["health"]
    assert (seen["status"], seen["last_error"]) == ("failing", None)
    admin = (await call(client, "GET", "/decoders/cayenne-lpp", token=ADMIN_TOKEN)).json()["health"]
    assert admin["last_error"] == "truncated at offset 2: 3/temperature"


def test_statuses_follow_tombstones_and_skip_bad_records(statuses: DecoderStatuses) -> None:
    report(statuses, "diy-1")
    statuses.apply(topics.DECODER_STATUS, b"diy-1", b"{not json")
    statuses.apply(topics.DECODER_STATUS, None, b"{}")
    assert statuses.get("diy-1") is not None
    statuses.apply(topics.DECODER_STATUS, b"diy-1", None)
    assert statuses.get("diy-1") is None


async def test_statuses_without_kafka_start_and_stop_as_no_ops() -> None:
    statuses = DecoderStatuses()
    await statuses.start()
    await statuses.stop()
    await statuses.stop()  # idempotent


async def test_statuses_keep_the_api_serving_when_kafka_is_unreachable() -> None:
    statuses = DecoderStatuses("127.0.0.1:1", retry_s=0.05, load_timeout_s=0.1)
    async with asyncio.timeout(0.5):
        await statuses.start()  # returns at once, whatever Kafka does
    await asyncio.sleep(0.5)  # a few refused attempts, each logged and retried
    assert statuses.get("diy-1") is None
    async with asyncio.timeout(2):
        await statuses.stop()


@pytest.mark.parametrize(
    "body",
    [
        {"decoder_id": "x", "payload_hex": "01", "f_cnt": -1},
        {"decoder_id": "x", "payload_hex": "01", "received_at": "2026-11-25T10:00:00"},  # naive
        {"decoder_id": "x", "payload_hex": "zz"},
        {"script": "", "contract": "kpn", "payload_hex": "01"},
        {"script": "x", "contract": "js", "payload_hex": "01"},
    ],
)
async def test_trial_request_fields_are_checked_by_the_schema(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        schemas.DecoderTrialIn.model_validate(body)
