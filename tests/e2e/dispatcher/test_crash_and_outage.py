"""The dispatcher under a SIGKILL mid-stream of 10,000 deliveries, and a receiver that is
down for two minutes: every delivery arrives, each device's in order, duplicates keep
their ids."""

import asyncio
import json
from collections.abc import Iterator

import pytest
from aiokafka import AIOKafkaProducer

from senflow.common import topics
from tests.support import infra
from tests.support.api import (
    Api,
    create_customer,
    register_lora_device,
    wait_outbox_drained,
    webhook_flow,
)
from tests.support.kafka import lora_uplink, produce, wait_group_caught_up
from tests.support.platform import Platform
from tests.support.processes import ServiceProcess, free_port
from tests.support.receiver import Request, WebhookReceiver

pytestmark = pytest.mark.e2e


async def _tenant(api: Api, receiver: WebhookReceiver, devices: int) -> list[str]:
    """`devices` LoRa devices in one flow to the receiver; their DevEUIs."""
    registered = [await register_lora_device(api, f"d{i}") for i in range(devices)]
    _, receiver.secret = await webhook_flow(
        api, [device_id for device_id, _ in registered], receiver.url, ("lora-raw",)
    )
    return [dev_eui for _, dev_eui in registered]


def _counter(request: Request) -> int:
    return int(json.loads(request.body)[0]["vs"], 16)


def _device(request: Request) -> str:
    return str(json.loads(request.body)[0]["bn"])


def _assert_complete_and_in_order(receiver: WebhookReceiver, count: int) -> None:
    """Every counter arrived; per device the first occurrences are in order; a duplicate
    carries its original's delivery id."""
    ids: dict[int, str] = {}
    first_by_device: dict[str, list[int]] = {}
    for r in sorted(receiver.accepted, key=lambda r: r.arrived_at):
        n = _counter(r)
        assert r.token_valid
        if n in ids:
            assert ids[n] == r.headers["Senflow-Delivery-Id"], "a duplicate changed its id"
            continue
        ids[n] = r.headers["Senflow-Delivery-Id"]
        first_by_device.setdefault(_device(r), []).append(n)
    assert sorted(ids) == list(range(count)), f"lost: {sorted(set(range(count)) - set(ids))[:10]}"
    for device, counters in first_by_device.items():
        assert counters == sorted(counters), f"{device} out of order"


async def _wait_distinct(receiver: WebhookReceiver, count: int, timeout_s: float) -> None:
    """Wait until `count` distinct counters were accepted (read incrementally: 10,000
    deliveries would make a full re-read per arrival quadratic)."""
    seen: set[int] = set()
    read = 0
    async with asyncio.timeout(timeout_s):
        while True:
            requests = receiver.requests
            for r in requests[read:]:
                if 200 <= r.answered < 300:
                    seen.add(_counter(r))
            read = len(requests)
            if len(seen) >= count:
                return
            await receiver.wait_accepted(len(receiver.accepted) + 1, timeout_s=timeout_s)


def _uplinks(dev_euis: list[str], count: int) -> Iterator[tuple[str, bytes]]:
    for n in range(count):
        dev_eui = dev_euis[n % len(dev_euis)]
        yield dev_eui, lora_uplink(dev_eui, f_cnt=n, payload_hex=f"{n:08X}")


async def test_dispatcher_sigkill_mid_stream_of_10k_deliveries_loses_nothing(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    count = 10_000
    receiver = await WebhookReceiver(secret="").start()
    try:
        _, api = await create_customer(admin)
        dev_euis = await _tenant(api, receiver, devices=50)
        await wait_outbox_drained(platform.database_url)
        for dev_eui, uplink in _uplinks(dev_euis, count):
            await producer.send(topics.UPLINKS_RAW_LORA, key=dev_eui.encode(), value=uplink)
        await producer.flush()

        await receiver.wait_accepted(count // 5, timeout_s=120)
        platform.dispatcher.kill()
        killed_at = len(receiver.accepted)
        assert killed_at < count, "the kill came too late to test anything"
        await asyncio.to_thread(platform.dispatcher.start)

        await _wait_distinct(receiver, count, timeout_s=300)
        await wait_group_caught_up(
            platform.kafka_bootstrap, platform.env["DISPATCHER_GROUP_ID"], topics.DELIVERIES
        )
        _assert_complete_and_in_order(receiver, count)
    finally:
        await receiver.stop()


async def test_receiver_down_for_two_minutes_gets_everything_in_order_once_back(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    # The platform's dispatcher gives up after 4 quick attempts (its dead letters are other
    # tests' subject), so for this test it makes way for one in the same group whose
    # retries outlast the outage: two dispatchers delivering to one receiver would mix one
    # group's late retry with the other's backlog. In production the age bound (an hour by
    # default) is what ends retrying.
    patient = ServiceProcess(
        "dispatcher-patient",
        ["senflow-dispatcher"],
        {
            **platform.env,
            "DISPATCHER_HTTP_PORT": str(free_port()),
            "DISPATCHER_MAX_ATTEMPTS": "100",
            "DISPATCHER_BACKOFF_MAX_S": "5",
        },
        "",
        infra.TEST_STATE / "logs" / "dispatcher-patient.log",
    )
    patient.ready_url = f"http://127.0.0.1:{patient.env['DISPATCHER_HTTP_PORT']}/readyz"
    receiver = await WebhookReceiver(secret="").start()
    await asyncio.to_thread(platform.dispatcher.stop)
    await asyncio.to_thread(patient.start)
    try:
        _, api = await create_customer(admin)
        dev_euis = await _tenant(api, receiver, devices=5)
        await wait_outbox_drained(platform.database_url)
        uplinks = list(_uplinks(dev_euis, 130))
        for dev_eui, uplink in uplinks[:10]:
            await produce(producer, dev_eui, uplink)
        await _wait_distinct(receiver, 10, timeout_s=30)

        port = receiver.port
        await receiver.stop()  # down: connections are refused
        for dev_eui, uplink in uplinks[10:]:  # 120 uplinks over the two minutes
            await produce(producer, dev_eui, uplink)
            await asyncio.sleep(1.0)
        await receiver.start(port)  # back

        await _wait_distinct(receiver, len(uplinks), timeout_s=120)
        _assert_complete_and_in_order(receiver, len(uplinks))
    finally:
        await receiver.stop()
        await asyncio.to_thread(patient.stop)
        await asyncio.to_thread(platform.dispatcher.start)
