"""Router alone: uplinks/s and ingest → delivery-record latency for the raw decoder, Cayenne
LPP and a DIY JavaScript decoder, next to a bare aiokafka pipe measured in the same run.

The dispatcher is stopped while the router is measured (so the two do not share the
cores); each run offers all uplinks at once and reads `senflow.deliveries.v1` until every
uplink's delivery is there. With the router's process id, also the uplinks per CPU-second
the router spent meanwhile (utime + stime from /proc: per core, whatever else runs).
`python -m bench.router [--uplinks N] [--devices D] [--runs R]`
"""

import argparse
import asyncio
import json
import statistics
import time
from datetime import datetime

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.baselines import faust_pipe, kafka_pipe
from bench.capacity_cpu import cpu_seconds
from bench.harness import platform_for_bench
from senflow.common import topics
from tests.support.api import (
    Api,
    create_customer,
    register_lora_device,
    wait_outbox_drained,
)
from tests.support.kafka import lora_uplink

TS013 = (
    "function decodeUplink(input) {"
    " return {data: {temperature: ((input.bytes[0] << 8) | input.bytes[1]) / 10}}; }"
)
CASES = {  # name -> (decoder id or "diy", payload hex)
    "lora-raw": ("lora-raw", "0110"),
    "cayenne-lpp": ("cayenne-lpp", "03670110056700FF"),
    "DIY JS (ts013)": ("diy", "0110"),
}


async def _setup(api: Api, devices: int) -> tuple[str, list[str], list[str], str]:
    project = await api.ok("POST", "/projects", {"name": "bench"})
    destination = await api.ok("POST", "/destinations", {"name": "t", "type": "test", "config": {}})
    dev_euis, ids = [], []
    for i in range(devices):
        device_id, dev_eui = await register_lora_device(api, f"d{i}", "cayenne-lpp-lora")
        dev_euis.append(dev_eui)
        ids.append(device_id)
    flow = await api.ok(
        "POST",
        "/flows",
        {
            "project_id": project["id"],
            "name": "bench",
            "device_ids": ids,
            "destination_ids": [destination["id"]],
            "decoder_ids": ["lora-raw"],
        },
    )
    diy = await api.ok("POST", "/decoders", {"name": "bench", "contract": "ts013", "script": TS013})
    return flow["id"], dev_euis, ids, diy["id"]


async def _run(
    bootstrap: str, dev_euis: list[str], device_ids: set[str], payload: str, count: int
) -> tuple[float, float, float]:
    consumer = AIOKafkaConsumer(topics.DELIVERIES, bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    await consumer.seek_to_end()
    for tp in consumer.assignment():
        await consumer.position(tp)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    latencies: list[float] = []
    try:
        started = time.time()
        for n in range(count):
            dev_eui = dev_euis[n % len(dev_euis)]
            await producer.send(
                topics.UPLINKS_RAW_LORA,
                key=dev_eui.encode(),
                value=lora_uplink(dev_eui, n, payload_hex=payload),
            )
        await producer.flush()
        async with asyncio.timeout(300):
            while len(latencies) < count:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    for r in records:
                        body = json.loads(r.value)
                        if body["device_id"] in device_ids:
                            received = datetime.fromisoformat(body["received_at"]).timestamp()
                            latencies.append(r.timestamp / 1000 - received)
        elapsed = time.time() - started
    finally:
        await producer.stop()
        await consumer.stop()
    ordered = sorted(latencies)
    return (
        count / elapsed,
        1000 * ordered[len(ordered) // 2],
        1000 * ordered[int(len(ordered) * 0.99) - 1],
    )


def _fmt(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f} ({min(values):,.0f}–{max(values):,.0f})"


async def measure(
    api_url: str,
    admin_token: str,
    bootstrap: str,
    database_url: str,
    uplinks: int,
    devices: int,
    runs: int,
    cases: tuple[str, ...] = (),
    router_pid: int | None = None,
) -> dict[str, str]:
    results: dict[str, list[float]] = {}
    async with httpx.AsyncClient(base_url=api_url, timeout=30) as client:
        _, api = await create_customer(Api(client, admin_token), "bench-router")
        flow_id, dev_euis, ids, diy_id = await _setup(api, devices)
        for _ in range(runs):
            size = len(lora_uplink(dev_euis[0], 0))
            results.setdefault("baseline: aiokafka consume→produce pipe (records/s)", []).append(
                await kafka_pipe(bootstrap, uplinks, size)
            )
            results.setdefault("baseline: faust agent that only forwards (records/s)", []).append(
                await faust_pipe(bootstrap, uplinks, size)
            )
            for name, (decoder, payload) in CASES.items():
                if cases and name not in cases:
                    continue
                await api.ok(
                    "PATCH",
                    f"/flows/{flow_id}",
                    {"decoder_ids": [diy_id if decoder == "diy" else decoder]},
                )
                await wait_outbox_drained(database_url)
                await asyncio.sleep(1.0)  # the router's view follows within a fetch round
                cpu_before = cpu_seconds(router_pid) if router_pid else None
                rate, p50, p99 = await _run(bootstrap, dev_euis, set(ids), payload, uplinks)
                cpu_after = cpu_seconds(router_pid) if router_pid else None
                if cpu_before is not None and cpu_after is not None and cpu_after > cpu_before:
                    results.setdefault(
                        f"router, {name} (uplinks per router CPU-second)", []
                    ).append(uplinks / (cpu_after - cpu_before))
                results.setdefault(f"router, {name} (uplinks/s)", []).append(rate)
                results.setdefault(f"router, {name} p50 (ms)", []).append(p50)
                results.setdefault(f"router, {name} p99 (ms)", []).append(p99)
    return {k: _fmt(v) for k, v in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--uplinks", type=int, default=5000)
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--case", action="append", choices=list(CASES), help="only these")
    args = parser.parse_args()
    with platform_for_bench() as platform:
        platform.dispatcher.stop()  # measure the router alone
        results = asyncio.run(
            measure(
                platform.api_url,
                platform.admin_token,
                platform.kafka_bootstrap,
                platform.database_url,
                args.uplinks,
                args.devices,
                args.runs,
                tuple(args.case or ()),
                platform.router.proc.pid if platform.router.proc else None,
            )
        )
    print(f"\n{args.uplinks} uplinks, {args.devices} devices, {args.runs} runs: median (min–max)")
    for name, value in results.items():
        print(f"  {name:55s} {value}")


if __name__ == "__main__":
    main()
