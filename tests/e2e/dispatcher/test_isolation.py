"""A destination answering after 10 s does not slow down a healthy one (per-destination
lanes), and both get every delivery, each device's in order."""

import asyncio
import json

import pytest
from aiokafka import AIOKafkaProducer

from tests.support.api import (
    Api,
    create_customer,
    new_destination_secret,
    register_lora_device,
    wait_outbox_drained,
)
from tests.support.kafka import lora_uplink, produce
from tests.support.platform import Platform
from tests.support.receiver import WebhookReceiver

pytestmark = pytest.mark.e2e

UPLINKS = 32
DEVICES = 16  # spread over the lane's 8 slots: the slow one finishes in about 40 s


async def _destination(api: Api, receiver: WebhookReceiver, name: str) -> str:
    receiver.secret = new_destination_secret()
    config = {"url": receiver.url, "timeout_s": 30}
    body = {"name": name, "config": config, "secret": receiver.secret}
    return str((await api.ok("POST", "/destinations", body))["id"])


async def test_slow_destination_backs_up_alone_while_the_healthy_one_stays_fast(
    platform: Platform, admin: Api, producer: AIOKafkaProducer
) -> None:
    slow = await WebhookReceiver(secret="", delay_s=10.0).start()
    healthy = await WebhookReceiver(secret="").start()
    try:
        _, api = await create_customer(admin)
        project = await api.ok("POST", "/projects", {"name": "p"})
        devices = [await register_lora_device(api, f"d{i}") for i in range(DEVICES)]
        destinations = [
            await _destination(api, slow, "slow"),
            await _destination(api, healthy, "healthy"),
        ]
        await api.ok(
            "POST",
            "/flows",
            {
                "project_id": project["id"],
                "name": "both",
                "device_ids": [device_id for device_id, _ in devices],
                "destination_ids": destinations,
                "decoder_ids": ["lora-raw-extended"],  # carries fcnt: order is checkable
            },
        )
        await wait_outbox_drained(platform.database_url)

        # Paced like live traffic: every uplink makes one delivery to each destination,
        # side by side on the same partition (same device key).
        for n in range(UPLINKS):
            _, dev_eui = devices[n % DEVICES]
            await produce(producer, dev_eui, lora_uplink(dev_eui, f_cnt=n))
            await asyncio.sleep(0.05)

        fast = await healthy.wait_accepted(UPLINKS, timeout_s=30)
        latencies = sorted(r.arrived_at - json.loads(r.body)[0]["bt"] for r in fast)
        p99 = latencies[int(len(latencies) * 0.99) - 1]
        assert p99 < 0.1, f"healthy destination p99 {p99 * 1000:.0f} ms"
        assert len(slow.requests) < UPLINKS  # it really is backed up meanwhile

        # The slow one gets everything too (8 at a time, 10 s each), each device in order.
        late = await slow.wait_accepted(UPLINKS, timeout_s=120)
        assert len({r.headers["Senflow-Delivery-Id"] for r in late}) == UPLINKS
        for receiver in (healthy, slow):
            by_device: dict[str, list[int]] = {}
            for r in sorted(receiver.accepted, key=lambda r: r.arrived_at):
                pack = json.loads(r.body)
                fcnt = next(rec["v"] for rec in pack if rec.get("n") == "fcnt")
                by_device.setdefault(pack[0]["bn"], []).append(fcnt)
            assert len(by_device) == DEVICES
            assert all(counts == sorted(counts) for counts in by_device.values()), by_device
    finally:
        await slow.stop()
        await healthy.stop()
