"""Registry: device creation rate (API, bulk import) and change-event latency (API commit →
record on Kafka), each next to a baseline measured in the same run.

`python -m bench.registry [--devices N] [--updates M] [--runs R]`
"""

import argparse
import asyncio
import json
import statistics
import time
import uuid

import aiohttp
import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.harness import platform_for_bench
from senflow.common import topics
from tests.support.api import new_dev_eui

CONCURRENCY = 8


class Client:
    """A bare aiohttp client of the API (httpx would bottleneck the load, not the API)."""

    def __init__(self, session: aiohttp.ClientSession, base: str, token: str) -> None:
        self._session, self._base = session, base
        self._headers = {"Authorization": f"Bearer {token}"}

    async def call(self, method: str, path: str, body: object) -> tuple[int, dict[str, object]]:
        async with self._session.request(
            method, self._base + path, json=body, headers=self._headers
        ) as resp:
            return resp.status, await resp.json()


def _device(i: int) -> dict[str, object]:
    return {
        "name": f"bench-{i}",
        "specification_id": "own-lora",
        "network_info": {
            "KPNLORA": {
                "dev_eui": new_dev_eui(),
                "join_eui": "70B3D57ED0000000",
                "app_key": "44" * 16,
            }
        },
    }


async def _customer(admin: Client) -> Client:
    _, customer = await admin.call("POST", "/customers", {"name": "bench"})
    _, key = await admin.call(
        "POST", "/api-keys", {"customer_id": customer["id"], "scopes": ["read", "write"]}
    )
    return Client(admin._session, admin._base, str(key["key"]))


async def insert_loop(database_url: str, count: int) -> float:
    """Baseline: one INSERT per transaction into a table shaped like `devices`."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            "CREATE TEMP TABLE bench_devices (id uuid PRIMARY KEY, name text, spec text,"
            " tags jsonb, created_at timestamptz DEFAULT now())"
        )
        started = time.perf_counter()
        for i in range(count):
            await conn.execute(
                "INSERT INTO bench_devices (id, name, spec, tags) VALUES ($1, $2, $3, '{}')",
                uuid.uuid4(),
                f"bench-{i}",
                "own-lora",
            )
        return count / (time.perf_counter() - started)
    finally:
        await conn.close()


async def api_creates(api: Client, count: int) -> float:
    todo = iter(range(count))

    async def worker() -> None:
        for i in todo:
            status, body = await api.call("POST", "/devices", _device(i))
            assert status == 201, body

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return count / (time.perf_counter() - started)


async def bulk_import(api: Client, count: int, chunk: int = 1000) -> float:
    started = time.perf_counter()
    for first in range(0, count, chunk):
        rows = [_device(i) for i in range(first, min(count, first + chunk))]
        status, body = await api.call("POST", "/devices/import", {"devices": rows})
        assert status == 200 and body["created"] == len(rows), body
    return count / (time.perf_counter() - started)


async def event_latency(api: Client, bootstrap: str, updates: int) -> tuple[float, float]:
    """p50/p99 ms from the API's answer (committed) to the event read back from Kafka."""
    _, device = await api.call("POST", "/devices", _device(0))
    consumer = AIOKafkaConsumer(topics.REGISTRY_DEVICES, bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    await consumer.seek_to_end()
    for tp in consumer.assignment():
        await consumer.position(tp)
    latencies: list[float] = []
    try:
        for n in range(updates):
            status, body = await api.call(
                "PATCH", f"/devices/{device['id']}", {"description": str(n)}
            )
            committed = time.perf_counter()
            while True:
                record = await consumer.getone()
                if (
                    record.key == str(device["id"]).encode()
                    and record.value
                    and (json.loads(record.value)["entity_version"] == body["version"])
                ):
                    latencies.append(1000 * (time.perf_counter() - committed))
                    break
    finally:
        await consumer.stop()
    return _percentiles(latencies)


async def produce_latency(bootstrap: str, count: int) -> tuple[float, float]:
    """Baseline: p50/p99 ms from a bare aiokafka produce (acks=all) to its record read back."""
    topic = topics.REGISTRY_DEVICES
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None)
    await producer.start()
    await consumer.start()
    await consumer.seek_to_end()
    for tp in consumer.assignment():
        await consumer.position(tp)
    key = f"bench-{uuid.uuid4()}".encode()
    latencies: list[float] = []
    try:
        for _ in range(count):
            sent = time.perf_counter()
            await producer.send(topic, key=key, value=None)  # a tombstone no view knows
            while (await consumer.getone()).key != key:
                pass
            latencies.append(1000 * (time.perf_counter() - sent))
    finally:
        await consumer.stop()
        await producer.stop()
    return _percentiles(latencies)


def _percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return ordered[len(ordered) // 2], ordered[max(0, int(len(ordered) * 0.99) - 1)]


def _fmt(values: list[float], digits: int = 0) -> str:
    def n(x: float) -> str:
        return f"{x:,.{digits}f}"

    return f"{n(statistics.median(values))} ({n(min(values))}–{n(max(values))})"


async def measure(
    api_url: str,
    admin_token: str,
    bootstrap: str,
    database_url: str,
    devices: int,
    updates: int,
    runs: int,
) -> dict[str, str]:
    results: dict[str, list[float]] = {}

    def add(name: str, value: float) -> None:
        results.setdefault(name, []).append(value)

    async with aiohttp.ClientSession() as session:
        admin = Client(session, api_url, admin_token)
        for _ in range(runs):
            api = await _customer(admin)
            add("baseline: asyncpg INSERT loop (rows/s)", await insert_loop(database_url, devices))
            add(
                f"senflow: POST /devices, {CONCURRENCY} in flight (devices/s)",
                await api_creates(api, devices),
            )
            add("senflow: POST /devices/import (devices/s)", await bulk_import(api, devices))
            p50, p99 = await produce_latency(bootstrap, updates)
            add("baseline: aiokafka produce → consume p50 (ms)", p50)
            add("baseline: aiokafka produce → consume p99 (ms)", p99)
            p50, p99 = await event_latency(api, bootstrap, updates)
            add("senflow: API commit → event on Kafka p50 (ms)", p50)
            add("senflow: API commit → event on Kafka p99 (ms)", p99)
    return {name: _fmt(v, 1 if "(ms)" in name else 0) for name, v in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--devices", type=int, default=2000)
    parser.add_argument("--updates", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with platform_for_bench() as platform:
        results = asyncio.run(
            measure(
                platform.api_url,
                platform.admin_token,
                platform.kafka_bootstrap,
                platform.database_url,
                args.devices,
                args.updates,
                args.runs,
            )
        )
    print(f"\n{args.devices} devices, {args.updates} updates, {args.runs} runs: median (min–max)")
    for name, value in results.items():
        print(f"  {name:55s} {value}")


if __name__ == "__main__":
    main()
