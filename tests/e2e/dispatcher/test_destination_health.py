"""A destination that keeps failing: its health goes degraded, failing, then disabled (its
deliveries are dead-lettered as destination-auto-disabled); once it answers again, a probe
re-enables it and new uplinks are delivered. Every outcome is an event on the outcomes
topic. On a platform of its own with short times (about 10 s to start).

The session's platform, when another test started it, shares the broker and the database:
its router and dispatcher deliver the same uplinks too, and report on the same
destination (never `disabled` within this test: 5 minutes by default). So the health
topic is read for this platform's dispatcher's reports (`reporter` = host:pid)."""

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from senflow.common import headers as h
from senflow.common import topics
from tests.support.api import Api, Tenant, create_tenant
from tests.support.kafka import TopicReader, header, lora_uplink, produce
from tests.support.platform import running_platform
from tests.support.receiver import WebhookReceiver

pytestmark = pytest.mark.e2e

AUTO_DISABLE_AFTER_S = 3
PROBE_INTERVAL_S = 2
OVERRIDES = {
    # A second platform beside the session's: its groups start at the end of the topics,
    # or it would route and deliver every earlier test's uplinks again.
    "ROUTER_AUTO_OFFSET_RESET": "latest",
    "DISPATCHER_AUTO_OFFSET_RESET": "latest",
    "DISPATCHER_AUTO_DISABLE_AFTER_S": str(AUTO_DISABLE_AFTER_S),
    "DISPATCHER_PROBE_INTERVAL_S": str(PROBE_INTERVAL_S),
    "DISPATCHER_MAX_ATTEMPTS": "2",
    "DISPATCHER_BACKOFF_INITIAL_S": "0.05",
    "DISPATCHER_BACKOFF_MAX_S": "0.1",
}


async def _health(tenant: Tenant) -> dict[str, Any]:
    found: dict[str, Any] = (await tenant.api.ok("GET", f"/destinations/{tenant.destination_id}"))[
        "health"
    ]
    return found


async def _health_until(tenant: Tenant, states: set[str], timeout_s: float) -> dict[str, Any]:
    """Poll the API until the destination's health is in `states` (it follows the topic)."""
    async with asyncio.timeout(timeout_s):
        while True:
            health = await _health(tenant)
            if health["state"] in states:
                return health
            await asyncio.sleep(0.2)


@contextlib.asynccontextmanager
async def _uplinks_every(
    producer: AIOKafkaProducer, dev_eui: str, interval_s: float, first: int
) -> AsyncIterator[None]:
    """Uplinks numbered from `first`, one per `interval_s`, while the block runs."""

    async def send() -> None:
        n = first
        while True:
            await produce(producer, dev_eui, lora_uplink(dev_eui, f_cnt=n))
            n += 1
            await asyncio.sleep(interval_s)

    task = asyncio.create_task(send())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _for(tenant: Tenant) -> Any:
    return lambda r: r.key == tenant.destination_id.encode()


def _json(record: Any) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(record.value)
    return found


def _event(tenant: Tenant, **fields: Any) -> Callable[[Any], bool]:
    """An outcome event of `tenant`'s destination with these field values."""
    return lambda r: _for(tenant)(r) and all(_json(r).get(k) == v for k, v in fields.items())


def _at(health: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(health["changed_at"])


async def test_a_failing_destination_is_disabled_then_re_enabled_by_a_probe(
    kafka_bootstrap: str, database_url: str, producer: AIOKafkaProducer
) -> None:
    receiver = await WebhookReceiver(secret="", script=[503] * 10_000).start()
    with running_platform(kafka_bootstrap, database_url, OVERRIDES) as platform:
        readers = [
            await TopicReader(kafka_bootstrap, topic).start()
            for topic in (
                topics.DELIVERIES_DEADLETTER,
                topics.DESTINATION_HEALTH,
                topics.DELIVERY_OUTCOMES,
            )
        ]
        dead_letters, health_reports, outcomes = readers
        assert platform.dispatcher.proc is not None
        reporter = f"{socket.gethostname()}:{platform.dispatcher.proc.pid}"

        def ours(tenant: Tenant) -> Any:
            return lambda r: _for(tenant)(r) and _json(r)["reporter"] == reporter

        try:
            async with httpx.AsyncClient(base_url=platform.api_url, timeout=10) as client:
                tenant = await create_tenant(
                    Api(client, platform.admin_token), receiver.url, database_url
                )
                assert (await _health(tenant))["state"] == "unknown"

                # 503 to everything: 2 attempts per uplink, so failing after 5 uplinks,
                # and disabled 3 s later.
                async with _uplinks_every(producer, tenant.dev_eui, 0.3, first=0):
                    disabled = await _health_until(tenant, {"disabled"}, timeout_s=15)
                    parked, *_ = await dead_letters.wait_for(
                        lambda r: (
                            header(r, h.DESTINATION_ID) == tenant.destination_id
                            and header(r, h.DLQ_REASON) == "destination-auto-disabled"
                        ),
                        timeout_s=10,
                    )
                assert disabled["failed_attempts"] >= 0.8 * disabled["attempts"] >= 8
                assert disabled["last_status_code"] == 503
                assert disabled["last_error"].startswith("http-status")
                assert json.loads(parked.value)["destination_id"] == tenant.destination_id
                disabled_report, *_ = await health_reports.wait_for(
                    lambda r: ours(tenant)(r) and _json(r)["state"] == "disabled"
                )
                # The latest change per destination each second: "degraded" may be skipped.
                states = [_json(r)["state"] for r in health_reports.records if ours(tenant)(r)]
                assert states in (["degraded", "failing", "disabled"], ["failing", "disabled"])

                # It answers again: the next probe (within 2 s) re-enables it.
                requests_before = len(receiver.requests)
                receiver.secret = tenant.destination_secret
                receiver.script.clear()
                async with _uplinks_every(producer, tenant.dev_eui, 0.3, first=1000):
                    recovered = await _health_until(
                        tenant, {"degraded", "healthy"}, timeout_s=PROBE_INTERVAL_S + 8
                    )
                    await receiver.wait_accepted(3, timeout_s=10)
                    # Re-enabled by this platform's dispatcher, not only by the other's word.
                    await health_reports.wait_for(
                        lambda r: (
                            ours(tenant)(r)
                            and _json(r)["state"] in ("degraded", "healthy")
                            and _at(_json(r)) > _at(_json(disabled_report))
                        ),
                        timeout_s=PROBE_INTERVAL_S + 8,
                    )
                assert _at(recovered) > _at(disabled)
                assert len(receiver.requests) > requests_before
                assert all(r.token_valid for r in receiver.accepted)

                # Every outcome is an event: failed attempts, dead letters and deliveries,
                # each with its latency from the uplink's receive time.
                failed, *_ = await outcomes.wait_for(_event(tenant, outcome="failed-attempt"))
                parked_event, *_ = await outcomes.wait_for(
                    _event(tenant, outcome="dead-lettered", reason="destination-auto-disabled")
                )
                delivered, *_ = await outcomes.wait_for(_event(tenant, outcome="delivered"))
                assert (_json(failed)["status_code"], _json(failed)["reason"]) == (
                    503,
                    "http-status",
                )
                assert _json(delivered)["destination_type"] == "https"
                assert _json(delivered)["customer_id"] == tenant.customer_id
                assert _json(delivered)["device_id"] == tenant.device_id
                for event in (_json(delivered), _json(parked_event)):
                    assert 0 < event["latency_ms"] < 60_000, event
        finally:
            for reader in readers:
                await reader.stop()
            await receiver.stop()
