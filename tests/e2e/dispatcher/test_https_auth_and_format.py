"""HTTPS authentication (Basic, Bearer, API key) on every delivery, a format script
reshaping the body (the token still valid over the bytes sent), a rate limit pacing a
destination, and the credential never shown by the API.

The retry age bound (`DISPATCHER_MAX_RETRY_AGE_S`) is not run here: it would need a
platform started with a small bound; `tests/unit/test_retry_age_bound.py` covers it.
"""

import base64
import json
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from senflow.common import topics
from tests.support.api import Api, Route, create_customer, create_route, new_destination_secret
from tests.support.kafka import lora_uplink, produce
from tests.support.platform import Platform
from tests.support.receiver import WebhookReceiver

pytestmark = pytest.mark.e2e

PASSWORD = "pä55-wörd: with spaces"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzZW5mbG93In0.c2lnbmF0dXJl"
API_KEY = "ApiKey 4f9a2c7e1b"


async def _route_to(
    admin: Api, platform: Platform, receiver: WebhookReceiver, **destination: Any
) -> Route:
    receiver.secret = new_destination_secret()
    config = {"url": receiver.url, **destination.pop("config", {})}
    body = {"name": "hook", "config": config, "secret": receiver.secret, **destination}
    return await create_route(admin, platform.database_url, body)


@pytest.mark.parametrize(
    ("auth", "credential", "header", "expected"),
    [
        (
            {"type": "basic", "username": "senflow"},
            PASSWORD,
            "Authorization",
            "Basic " + base64.b64encode(f"senflow:{PASSWORD}".encode()).decode(),
        ),
        ({"type": "bearer"}, TOKEN, "Authorization", f"Bearer {TOKEN}"),
        ({"type": "api_key"}, API_KEY, "X-API-Key", API_KEY),
    ],
)
async def test_receiver_sees_the_destination_s_authentication_on_every_attempt(
    platform: Platform,
    admin: Api,
    producer: AIOKafkaProducer,
    auth: dict[str, Any],
    credential: str,
    header: str,
    expected: str,
) -> None:
    receiver = await WebhookReceiver(secret="", script=[503]).start()  # one retry
    try:
        route = await _route_to(
            admin,
            platform,
            receiver,
            config={"auth": auth, "headers": {"X-Tenant": "acme"}},
            credential=credential,
        )
        await produce(producer, route.dev_eui, lora_uplink(route.dev_eui, f_cnt=1))
        [accepted] = await receiver.wait_accepted(1, timeout_s=30)
        assert len(receiver.requests) == 2
        assert all(r.headers[header] == expected for r in receiver.requests)
        assert accepted.headers["X-Tenant"] == "acme" and accepted.token_valid

        shown = await route.api.call("GET", f"/destinations/{route.destination_id}")
        listed = await route.api.call("GET", "/destinations")
        for resp in (shown, listed):
            assert resp.status_code == 200
            assert credential not in resp.text and "credential" not in resp.text
        assert shown.json()["config"]["auth"]["type"] == auth["type"]
    finally:
        await receiver.stop()


async def test_authentication_without_its_credential_is_refused_naming_the_field(
    platform: Platform, admin: Api
) -> None:
    route = await create_route(
        admin, platform.database_url, {"name": "t", "type": "test", "config": {}}
    )
    body = {
        "name": "hook",
        "config": {"url": "https://example.com/hook", "auth": {"type": "bearer"}},
        "secret": new_destination_secret(),
    }
    resp = await route.api.call("POST", "/destinations", body)
    assert resp.status_code == 422
    assert resp.json()["errors"] == [
        {"field": "credential", "reason": "is required for bearer authentication"}
    ]


async def test_format_script_reshapes_the_body_and_the_token_covers_the_bytes_sent(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    receiver = await WebhookReceiver(secret="").start()
    script = (
        "function format(pack) {\n"
        "  return {device: pack[0].bn, payload: pack[0].vs, records: pack.length};\n"
        "}"
    )
    try:
        route = await _route_to(admin, platform, receiver, format_script=script)
        shown = await route.api.ok("GET", f"/destinations/{route.destination_id}")
        assert shown["format_script"] == script

        await produce(producer, route.dev_eui, lora_uplink(route.dev_eui, f_cnt=1))
        [accepted] = await receiver.wait_accepted(1, timeout_s=30)
        assert json.loads(accepted.body) == {
            "device": f"urn:dev:DEVEUI:{route.dev_eui}:",
            "payload": "01A2",
            "records": 2,
        }
        assert accepted.token_valid  # sha256(reshaped bytes + secret)
        assert accepted.headers["Content-Type"] == "application/json"
    finally:
        await receiver.stop()


async def test_a_destination_with_a_rate_limit_is_paced(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    receiver = await WebhookReceiver(secret="").start()
    try:
        route = await _route_to(admin, platform, receiver, config={"max_rate_per_s": 5})
        for n in range(20):
            await producer.send(
                topics.UPLINKS_RAW_LORA,
                key=route.dev_eui.encode(),
                value=lora_uplink(route.dev_eui, f_cnt=n),
            )
        await producer.flush()
        accepted = await receiver.wait_accepted(20, timeout_s=60)
        arrivals = sorted(r.arrived_at for r in accepted)
        # 20 attempts at most 5 per second, one at a time: about 3.8 s from first to last.
        assert arrivals[-1] - arrivals[0] >= 3.0
        assert min(b - a for a, b in zip(arrivals, arrivals[1:], strict=False)) >= 0.15
    finally:
        await receiver.stop()


async def test_pointing_a_destination_elsewhere_needs_its_secrets_again(admin: Api) -> None:
    _, api = await create_customer(admin)
    secret = new_destination_secret()
    destination = await api.ok(
        "POST",
        "/destinations",
        {
            "name": "hook",
            "config": {"url": "https://example.com/hook", "auth": {"type": "bearer"}},
            "secret": secret,
            "credential": "token-123",
        },
    )
    path = f"/destinations/{destination['id']}"
    elsewhere = {"url": "https://attacker.example/hook", "auth": {"type": "bearer"}}
    refused = await api.call("PATCH", path, {"config": elsewhere})
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == ["secret"]
    without_credential = await api.call("PATCH", path, {"config": elsewhere, "secret": secret})
    assert [e["field"] for e in without_credential.json()["errors"]] == ["credential"]
    moved = await api.call(
        "PATCH", path, {"config": elsewhere, "secret": secret, "credential": "token-456"}
    )
    assert moved.status_code == 200, moved.text
    # The same address with another path or timeout keeps the stored secrets.
    same_host = {**elsewhere, "url": "https://attacker.example/other", "timeout_s": 5}
    assert (await api.call("PATCH", path, {"config": same_host})).status_code == 200
