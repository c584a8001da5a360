"""Registry change → first uplink routed with it.

Per trial: a spare device (registered, in no flow) is added to a flow through the API
(`POST /flows/{id}/devices`, answered 200: committed). From that answer on, the device's
uplinks are produced every few milliseconds until the router's first delivery for it
appears on `senflow.deliveries.v1`; the figure is that delivery record's timestamp − the
time of the API's answer. Uplinks the router takes before its view has the change are
dead-lettered (`no-flow`), as they would be in production.
"""

import asyncio
import time

from aiokafka import AIOKafkaProducer

from bench.capacity_sinks import TopicTap
from senflow.common import topics
from tests.support.api import Api
from tests.support.kafka import lora_uplink

TRIAL_TIMEOUT_S = 10.0


async def first_routed_s(
    api: Api,
    producer: AIOKafkaProducer,
    deliveries: TopicTap,
    flow_id: str,
    device: tuple[str, str],
    payload_hex: str,
    interval_s: float,
) -> float:
    """Seconds from the API's answer to the first delivery routed for `device`."""
    device_id, dev_eui = device
    key = device_id.encode()
    seen = len(deliveries.times)
    await api.ok("POST", f"/flows/{flow_id}/devices", {"add": [device_id]})
    committed = time.time()
    deadline = time.monotonic() + TRIAL_TIMEOUT_S
    n = 0
    while time.monotonic() < deadline:
        for i in range(seen, len(deliveries.keys)):
            if deliveries.keys[i] == key:
                return deliveries.times[i] - committed
        seen = len(deliveries.keys)
        uplink = lora_uplink(dev_eui, n, payload_hex=payload_hex)
        await producer.send(topics.UPLINKS_RAW_LORA, key=dev_eui.encode(), value=uplink)
        n += 1
        await asyncio.sleep(interval_s)
    raise TimeoutError(f"no delivery for device {device_id} within {TRIAL_TIMEOUT_S}s")


async def freshness_ms(
    api: Api,
    producer: AIOKafkaProducer,
    deliveries: TopicTap,
    flow_id: str,
    spare: list[tuple[str, str]],
    payload_hex: str,
    interval_s: float = 0.005,
) -> list[float]:
    """One trial per spare device (each used once); milliseconds per trial."""
    results = []
    for device in spare:
        seconds = await first_routed_s(
            api, producer, deliveries, flow_id, device, payload_hex, interval_s
        )
        results.append(1000 * seconds)
    return results
