"""End to end: raw LoRa uplinks on Kafka → router → dispatcher → local HTTP receiver.

Reports deliveries/s and ingest → delivered latency (p50/p99), next to the two baselines
measured in the same run. `python -m bench.pipeline [--uplinks N] [--devices D] [--runs R]`
starts a private Kafka and PostgreSQL (or uses SENFLOW_* variables) and the three
services as processes, exactly as the e2e tests do.
"""

import argparse
import asyncio
import statistics
import time
from dataclasses import dataclass

import httpx
from aiokafka import AIOKafkaProducer

from bench.baselines import http_posts, kafka_pipe
from bench.harness import platform_for_bench
from bench.sink import TimingReceiver
from senflow.common import topics
from tests.support.api import (
    Api,
    create_customer,
    new_destination_secret,
    register_lora_device,
    wait_outbox_drained,
)
from tests.support.kafka import lora_uplink


@dataclass
class Run:
    deliveries_per_s: float
    p50_ms: float
    p99_ms: float


async def setup_devices(admin: Api, database_url: str, url: str, devices: int) -> list[str]:
    """One customer, one destination, one flow with `devices` LoRa devices; their DevEUIs."""
    _, api = await create_customer(admin, "bench")
    project = await api.ok("POST", "/projects", {"name": "bench"})
    destination = await api.ok(
        "POST",
        "/destinations",
        {"name": "bench", "config": {"url": url}, "secret": new_destination_secret()},
    )
    dev_euis, device_ids = [], []
    for i in range(devices):
        device_id, dev_eui = await register_lora_device(api, f"d{i}")
        dev_euis.append(dev_eui)
        device_ids.append(device_id)
    await api.ok(
        "POST",
        "/flows",
        {
            "project_id": project["id"],
            "name": "bench",
            "device_ids": device_ids,
            "destination_ids": [destination["id"]],
            "decoder_ids": ["lora-raw"],
        },
    )
    await wait_outbox_drained(database_url)
    return dev_euis


async def pipeline_run(
    bootstrap: str, receiver: TimingReceiver, dev_euis: list[str], uplinks: int, timeout_s: float
) -> Run:
    receiver.latencies_s.clear()
    start_count = receiver.count
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    started = time.perf_counter()
    try:
        for i in range(uplinks):
            dev_eui = dev_euis[i % len(dev_euis)]
            await producer.send(
                topics.UPLINKS_RAW_LORA,
                key=dev_eui.encode(),
                value=lora_uplink(dev_eui, f_cnt=i, payload_hex=f"{i % 65536:04X}"),
            )
        await producer.flush()
    finally:
        await producer.stop()
    deadline = time.monotonic() + timeout_s
    while receiver.count - start_count < uplinks:
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"{receiver.count - start_count}/{uplinks} delivered in {timeout_s}s"
            )
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - started
    lat = sorted(receiver.latencies_s)
    return Run(uplinks / elapsed, 1000 * lat[len(lat) // 2], 1000 * lat[int(len(lat) * 0.99) - 1])


def _fmt(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f} ({min(values):,.0f}–{max(values):,.0f})"


async def measure(
    bootstrap: str, admin: Api, database_url: str, uplinks: int, devices: int, runs: int
) -> dict[str, str]:
    receiver = await TimingReceiver().start()
    try:
        dev_euis = await setup_devices(admin, database_url, receiver.url, devices)
        body = lora_uplink(dev_euis[0], 0)
        pipe, posts, e2e = [], [], []
        for _ in range(runs):
            pipe.append(await kafka_pipe(bootstrap, uplinks, len(body)))
            posts.append(await http_posts(receiver.url, uplinks, body, concurrency=8))
            e2e.append(await pipeline_run(bootstrap, receiver, dev_euis, uplinks, 300))
        return {
            "baseline: aiokafka consume→produce pipe (records/s)": _fmt(pipe),
            "baseline: aiohttp POST loop, 8 in flight (POST/s)": _fmt(posts),
            "senflow: uplink → delivered (deliveries/s)": _fmt([r.deliveries_per_s for r in e2e]),
            "senflow: latency p50 (ms)": _fmt([r.p50_ms for r in e2e]),
            "senflow: latency p99 (ms)": _fmt([r.p99_ms for r in e2e]),
        }
    finally:
        await receiver.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--uplinks", type=int, default=5000)
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with platform_for_bench() as platform:

        async def go() -> dict[str, str]:
            async with httpx.AsyncClient(base_url=platform.api_url, timeout=30) as client:
                admin = Api(client, platform.admin_token)
                return await measure(
                    platform.kafka_bootstrap,
                    admin,
                    platform.database_url,
                    args.uplinks,
                    args.devices,
                    args.runs,
                )

        results = asyncio.run(go())
    print(f"\n{args.uplinks} uplinks, {args.devices} devices, {args.runs} runs: median (min–max)")
    for name, value in results.items():
        print(f"  {name:55s} {value}")


if __name__ == "__main__":
    main()
