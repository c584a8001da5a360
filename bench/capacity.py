"""Capacity (issue 7): end-to-end throughput, latency and CPU at offered loads, scaling to
two router and two dispatcher workers, the router's registry-view memory and registry
change → first routed uplink, each next to baselines measured in the same run.

`python -m bench.capacity [--runs 3] [--json results.json]` starts a private Kafka and
PostgreSQL (or uses SENFLOW_* variables) and the services as processes, registers the
fleet (LoRa devices in flows, each flow to an HTTP receiver and a Kafka topic), sends
every device one uplink (a warm-up), then per run measures, in order:

1. baselines: the bare aiokafka consume→produce pipe and a faust agent that only
   forwards (`--burst` records of the uplinks' size), the bare aiohttp POST loop to the
   same receiver (8 in flight, the SenML body a receiver gets), and the bare produce →
   consume latency;
2. end to end with one router and one dispatcher: CPU with no uplinks for
   `--duration-s`, each paced rate for `--duration-s`, then `--burst` uplinks all at once
   (the maximum), then half of that maximum, paced;
3. scaling: the router alone (dispatchers stopped) with 1 and then 2 workers, each on a
   burst; the dispatcher alone with 1 and then 2 workers, draining the backlog that
   burst left; end to end with 2 routers and 2 dispatchers on a burst;
4. registry change → first uplink routed with it (`--trials`);
5. the registry view's memory per device (`--memory-devices`, in its own process).
"""

import argparse
import asyncio
import dataclasses
import json

import httpx
from aiokafka import AIOKafkaProducer

from bench.capacity_load import Load, Sinks
from bench.capacity_report import Results
from bench.capacity_run import SCALING, Bench, Settings
from bench.capacity_setup import PAYLOAD_HEX, setup_fleet
from bench.capacity_sinks import ArrivalReceiver, TopicTap
from bench.harness import platform_for_bench
from senflow.common import topics
from tests.support.api import Api, wait_outbox_drained
from tests.support.platform import Platform

__all__ = ["SCALING", "Settings", "main", "measure"]


async def measure(platform: Platform, s: Settings) -> Results:
    bootstrap = platform.kafka_bootstrap
    receiver = await ArrivalReceiver().start()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    bench: Bench | None = None
    taps: list[TopicTap] = []
    try:
        async with httpx.AsyncClient(base_url=platform.api_url, timeout=120) as client:
            fleet = await setup_fleet(
                Api(client, platform.admin_token),
                bootstrap,
                receiver.url,
                s.devices,
                s.flows,
                s.trials * s.runs,
            )
            await wait_outbox_drained(platform.database_url, timeout_s=300)
            taps = [
                await TopicTap(bootstrap, fleet.output_topic, "senml").start(),
                await TopicTap(bootstrap, topics.DELIVERIES, "delivery").start(),
            ]
            bench = Bench(platform, s, fleet, Sinks(receiver, *taps))
            load = Load(producer, fleet.dev_euis, PAYLOAD_HEX)
            # Every device once: each destination's lane and connection exist before any
            # measurement, as on a platform that has been running (and a sample body).
            await bench.step(load, s.devices, None)
            for run in range(s.runs):
                await bench.run(load, run)
            return bench.results
    finally:
        if bench is not None:
            await bench.workers.restore()
        for tap in taps:
            await tap.stop()
        await producer.stop()
        await receiver.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    d = Settings()
    parser.add_argument("--devices", type=int, default=d.devices)
    parser.add_argument("--flows", type=int, default=d.flows)
    parser.add_argument("--rates", type=float, nargs="+", default=list(d.rates), help="uplinks/s")
    parser.add_argument("--duration-s", type=float, default=d.duration_s, help="per paced step")
    parser.add_argument("--burst", type=int, default=d.burst, help="uplinks at once (maximum)")
    parser.add_argument("--runs", type=int, default=d.runs)
    parser.add_argument("--trials", type=int, default=d.trials, help="freshness trials per run")
    parser.add_argument("--memory-devices", type=int, nargs="+", default=list(d.memory_devices))
    parser.add_argument("--drain-timeout-s", type=float, default=d.drain_timeout_s)
    parser.add_argument("--json", help="also write the figures (every run's) to this file")
    args = parser.parse_args()
    s = Settings(
        args.devices,
        args.flows,
        tuple(args.rates),
        args.duration_s,
        args.burst,
        args.runs,
        args.trials,
        tuple(args.memory_devices),
        args.drain_timeout_s,
    )
    with platform_for_bench() as platform:
        results = asyncio.run(measure(platform, s))
    print(f"\n{s}\nmedian (min–max) of {s.runs} run(s)")
    print(results.markdown())
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {"settings": dataclasses.asdict(s), "results": results.to_json()}, f, indent=1
            )


if __name__ == "__main__":
    main()
