"""Two router workers split the partitions; a registry change is honoured within a second;
10,000 uplinks survive a router SIGKILL mid-stream, each at least once."""

import asyncio
import json
import time

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from senflow.common import topics
from tests.support.api import (
    Api,
    create_customer,
    create_tenant,
    register_lora_device,
    wait_outbox_drained,
)
from tests.support.kafka import TopicReader, lora_uplink, wait_group_caught_up
from tests.support.platform import Platform
from tests.support.processes import ServiceProcess, free_port
from tests.support.receiver import WebhookReceiver

pytestmark = pytest.mark.e2e


async def _routed(port: str) -> float:
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
    for line in text.splitlines():
        if line.startswith('senflow_router_uplinks_total{outcome="routed"}'):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_two_router_workers_split_the_partitions(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    port = str(free_port())
    second = ServiceProcess(
        "router-2",
        ["senflow-router"],
        {**platform.env, "ROUTER_HTTP_PORT": port},
        f"http://127.0.0.1:{port}/readyz",
        platform.router.log_path.with_name("router-2.log"),
    )
    receiver = await WebhookReceiver(secret="").start()
    try:
        tenant = await create_tenant(admin, receiver.url, platform.database_url)
        receiver.secret = tenant.destination_secret
        devices = [tenant.dev_eui]
        for i in range(15):  # more devices, so their DevEUIs spread over the partitions
            device_id, dev_eui = await register_lora_device(tenant.api, f"d{i}")
            await tenant.api.ok("POST", f"/flows/{tenant.flow_id}/devices", {"add": [device_id]})
            devices.append(dev_eui)
        await asyncio.to_thread(second.start)
        await asyncio.sleep(3)  # the group rebalances over both workers
        before = await _routed(platform.env["ROUTER_HTTP_PORT"])
        for n, dev_eui in enumerate(devices * 5):
            await producer.send(
                topics.UPLINKS_RAW_LORA, key=dev_eui.encode(), value=lora_uplink(dev_eui, n)
            )
        await producer.flush()

        await receiver.wait_accepted(len(devices) * 5, timeout_s=60)
        first_worker = await _routed(platform.env["ROUTER_HTTP_PORT"]) - before
        second_worker = await _routed(port)
        assert first_worker > 0 and second_worker > 0, (first_worker, second_worker)
        assert first_worker + second_worker >= len(devices) * 5
    finally:
        await receiver.stop()
        second.stop()


async def test_a_new_flow_routes_within_a_second_of_its_commit(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    receiver = await WebhookReceiver(secret="").start()
    try:
        tenant = await create_tenant(admin, receiver.url, platform.database_url)
        receiver.secret = tenant.destination_secret
        device_id, dev_eui = await register_lora_device(tenant.api, "new")
        await tenant.api.ok("POST", f"/flows/{tenant.flow_id}/devices", {"add": [device_id]})
        committed = time.monotonic()  # the API answered: committed; no waiting for the outbox
        for n in range(20):  # an uplink every 100 ms; the first that routes tells the delay
            payload = f"{n:04X}"
            await producer.send_and_wait(
                topics.UPLINKS_RAW_LORA,
                key=dev_eui.encode(),
                value=lora_uplink(dev_eui, n, payload_hex=payload),
            )
            await asyncio.sleep(0.1)
        await receiver.wait_accepted(1, timeout_s=30)
        first = min(int(json.loads(r.body)[0]["vs"], 16) for r in receiver.accepted)
        assert first * 0.1 < 1.0, (
            f"uplink #{first} was the first routed: {first * 0.1:.1f} s after the commit"
        )
        assert time.monotonic() - committed < 30
    finally:
        await receiver.stop()


async def test_10k_uplinks_all_routed_when_the_router_is_killed_mid_stream(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    _, api = await create_customer(admin)
    project = await api.ok("POST", "/projects", {"name": "p"})
    device_id, dev_eui = await register_lora_device(api)
    destination = await api.ok("POST", "/destinations", {"name": "t", "type": "test", "config": {}})
    await api.ok(
        "POST",
        "/flows",
        {
            "project_id": project["id"],
            "name": "f",
            "device_ids": [device_id],
            "destination_ids": [destination["id"]],
        },
    )
    deliveries = await TopicReader(platform.kafka_bootstrap, topics.DELIVERIES).start()
    try:
        await wait_outbox_drained(platform.database_url)
        total = 10_000

        async def publish() -> None:
            for n in range(total):
                uplink = lora_uplink(dev_eui, n, payload_hex=f"{n:04X}")
                await producer.send(topics.UPLINKS_RAW_LORA, key=dev_eui.encode(), value=uplink)
                if n % 500 == 0:
                    await asyncio.sleep(0.05)
            await producer.flush()

        publishing = asyncio.create_task(publish())
        await deliveries.wait_for(lambda r: r.key == device_id.encode(), count=1000, timeout_s=60)
        platform.router.kill()
        await asyncio.to_thread(platform.router.start)
        await publishing
        key = device_id.encode()
        seen: dict[str, int] = {}  # delivery id -> uplink number; duplicates count once
        async with asyncio.timeout(180):
            while len(set(seen.values())) < total:
                arrived = sum(1 for r in deliveries.records if r.key == key)
                ours = await deliveries.wait_for(lambda r: r.key == key, count=arrived + 1)
                seen = {
                    json.loads(r.value)["delivery_id"]: int(
                        json.loads(r.value)["senml"][0]["vs"], 16
                    )
                    for r in ours
                }
        assert sorted(set(seen.values())) == list(range(total)), "an uplink was lost"
        assert len(seen) == total, "one uplink got two delivery ids"
    finally:
        await deliveries.stop()
        # The dispatcher parks these (a `test` destination has no sink yet): let it finish,
        # so the tests after this one do not queue behind 10,000 dead letters.
        await wait_group_caught_up(
            platform.kafka_bootstrap, platform.env["DISPATCHER_GROUP_ID"], topics.DELIVERIES, 180
        )
