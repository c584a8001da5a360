"""SIGKILL a service mid-stream and restart it: nothing is lost, order per device is kept,
and every duplicate carries the message id of its original."""

import asyncio
import json

import pytest
from aiokafka import AIOKafkaProducer

from senflow.common import topics
from tests.support.api import Api, create_tenant
from tests.support.kafka import lora_uplink, wait_group_caught_up
from tests.support.platform import Platform
from tests.support.processes import ServiceProcess
from tests.support.receiver import Request, WebhookReceiver

pytestmark = pytest.mark.e2e

UPLINKS = 300


def _counter(request: Request) -> int:
    return int(json.loads(request.body)[0]["vs"], 16)


async def _crash_mid_stream(
    platform: Platform, admin: Api, producer: AIOKafkaProducer, victim: ServiceProcess
) -> WebhookReceiver:
    receiver = await WebhookReceiver(secret="", delay_s=0.01).start()
    tenant = await create_tenant(admin, receiver.url, platform.database_url)
    receiver.secret = tenant.destination_secret

    async def publish() -> None:  # paced, so the victim is mid-stream whichever it is
        for i in range(UPLINKS):
            uplink = lora_uplink(tenant.dev_eui, f_cnt=i, payload_hex=f"{i:04X}")
            await producer.send(topics.UPLINKS_RAW_LORA, key=tenant.dev_eui.encode(), value=uplink)
            await asyncio.sleep(0.01)
        await producer.flush()

    publishing = asyncio.create_task(publish())
    await receiver.wait_accepted(UPLINKS // 5, timeout_s=60)
    victim.kill()
    assert not publishing.done(), "every uplink was out before the crash"
    crashed_at = len(receiver.accepted)
    await asyncio.to_thread(victim.start)
    await publishing
    await _wait_distinct(receiver, UPLINKS, timeout_s=120)
    assert crashed_at < UPLINKS, "the crash came too late to test anything"
    # Let the redelivered duplicates drain into this receiver before it goes away.
    env = platform.env
    await wait_group_caught_up(
        platform.kafka_bootstrap, env["ROUTER_APP_ID"], topics.UPLINKS_RAW_LORA
    )
    await wait_group_caught_up(
        platform.kafka_bootstrap, env["DISPATCHER_GROUP_ID"], topics.DELIVERIES
    )
    return receiver


async def _wait_distinct(receiver: WebhookReceiver, count: int, timeout_s: float) -> None:
    async with asyncio.timeout(timeout_s):
        while len({_counter(r) for r in receiver.accepted}) < count:
            await receiver.wait_accepted(len(receiver.accepted) + 1, timeout_s=timeout_s)


def _assert_complete_in_order_with_stable_ids(receiver: WebhookReceiver) -> None:
    accepted = receiver.accepted
    first_seen: list[int] = []
    ids: dict[int, str] = {}
    for r in accepted:
        n = _counter(r)
        assert r.token_valid
        delivery_id = r.headers["Senflow-Delivery-Id"]
        assert ids.setdefault(n, delivery_id) == delivery_id, "a duplicate changed its id"
        if n not in first_seen:
            first_seen.append(n)
    assert first_seen == list(range(UPLINKS)), "lost or reordered uplinks"


async def test_every_delivery_arrives_in_order_when_dispatcher_is_killed_mid_stream(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    receiver = await _crash_mid_stream(platform, admin, producer, platform.dispatcher)
    try:
        _assert_complete_in_order_with_stable_ids(receiver)
    finally:
        await receiver.stop()


async def test_every_uplink_is_delivered_in_order_when_router_is_killed_mid_stream(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    receiver = await _crash_mid_stream(platform, admin, producer, platform.router)
    try:
        _assert_complete_in_order_with_stable_ids(receiver)
    finally:
        await receiver.stop()
