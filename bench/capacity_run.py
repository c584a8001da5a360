"""One run of the capacity benchmark (see `bench.capacity`): its phases in order, on one
platform and fleet, each figure recorded as a row of a section of `Results`."""

import asyncio
import contextlib
import json
import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass

from bench.baselines import faust_pipe, http_posts, kafka_pipe
from bench.capacity_cpu import CpuMeter, kafka_broker_pid
from bench.capacity_freshness import freshness_ms
from bench.capacity_load import (
    DELIVERIES_PER_UPLINK,
    Load,
    Sinks,
    Step,
    drain,
    percentiles_ms,
    run_step,
)
from bench.capacity_report import Results
from bench.capacity_setup import PAYLOAD_HEX, Fleet
from bench.capacity_workers import Workers, work_done
from bench.registry import produce_latency
from tests.support.kafka import lora_uplink
from tests.support.platform import Platform

log = logging.getLogger(__name__)

SETTLE_ROUNDS = 20
E2E = "end to end, 1 router + 1 dispatcher"
SCALING = "scaling (maximum load)"
CPU = "CPU seconds per process during the step"


@dataclass(frozen=True)
class Settings:
    devices: int = 10_000
    flows: int = 100
    rates: tuple[float, ...] = (100, 500, 2000, 5000)  # uplinks/s, each for duration_s
    duration_s: float = 10.0
    burst: int = 20_000
    runs: int = 3
    trials: int = 30
    memory_devices: tuple[int, ...] = (10_000, 100_000)
    drain_timeout_s: float = 300.0
    warmup: int = 200


class Bench:
    """One platform, one fleet, the sinks and the load generator, for all runs."""

    def __init__(self, platform: Platform, s: Settings, fleet: Fleet, sinks: Sinks) -> None:
        self.platform, self.s, self.fleet, self.sinks = platform, s, fleet, sinks
        self.workers = Workers(platform)
        self.results = Results()
        self.kafka_pid = kafka_broker_pid(platform.kafka_bootstrap)

    def meter(self) -> CpuMeter:
        pids = {"registry": self.platform.registry, "ingest": self.platform.ingest}
        named = {n: p.proc.pid for n, p in pids.items() if p.proc is not None}
        if self.kafka_pid:
            named["kafka broker"] = self.kafka_pid
        return CpuMeter({**named, **self.workers.pids(), "bench (load + sinks)": os.getpid()})

    async def step(self, load: Load, count: int, rate: float | None, **kw: bool) -> Step:
        return await run_step(
            load, self.sinks, self.meter(), count, rate, self.s.drain_timeout_s, **kw
        )

    def record(self, section: str, row: str, step: Step) -> None:
        add = self.results.add
        if step.offered_per_s and section == E2E:
            add(section, row, "offered (uplinks/s)", step.offered_per_s)
        if step.delivered_per_s:
            unit = "deliveries/s" if row.startswith("dispatcher") else "uplinks/s"
            add(section, row, f"delivered ({unit})", step.delivered_per_s)
        if step.per_sink_per_s[0]:
            add(section, row, "of which HTTP (deliveries/s)", step.per_sink_per_s[0])
            add(section, row, "of which Kafka (deliveries/s)", step.per_sink_per_s[1])
        if step.routed_per_s:
            add(section, row, "routed (uplinks/s)", step.routed_per_s)
            add(section, row, "routed p50 (ms)", step.routed_ms[0])
            add(section, row, "routed p99 (ms)", step.routed_ms[2])
        if step.http_ms[2]:
            for q, v in zip(("p50", "p95", "p99"), step.http_ms, strict=True):
                add(section, row, f"HTTP {q} (ms)", v)
            for q, v in zip(("p50", "p95", "p99"), step.kafka_ms, strict=True):
                add(section, row, f"Kafka {q} (ms)", v)
        router_cpu = sum(v for k, v in step.cpu_s.items() if k.startswith("router"))
        if row.startswith("router alone") and router_cpu:
            add(section, row, "uplinks per router CPU-second", step.uplinks / router_cpu)
        add(section, row, "complete (1 = all arrived)", float(step.complete))
        self.cpu(f"{section}: {row}", step.wall_s, step.cpu_s)

    def cpu(self, row: str, wall_s: float, used: dict[str, float]) -> None:
        self.results.add(CPU, row, "wall (s)", wall_s)
        for name, seconds in used.items():
            self.results.add(CPU, row, name, seconds)

    async def run(self, load: Load, run: int) -> None:
        await self.baselines()
        await self.end_to_end(load)
        await self.scaling(load)
        await self.workers.set(1, 1)
        await self.settle(load)
        trials = self.fleet.spare[run * self.s.trials : (run + 1) * self.s.trials]
        ms = await freshness_ms(
            self.fleet.api,
            load.producer,
            self.sinks.deliveries,
            self.fleet.fresh_flow_id,
            trials,
            PAYLOAD_HEX,
        )
        p50, _, p99 = percentiles_ms([m / 1000 for m in ms])
        row = "registry change → first uplink routed with it"
        self.results.add("freshness", row, "p50 (ms)", p50)
        self.results.add("freshness", row, "p99 (ms)", p99)
        await asyncio.to_thread(self.memory)

    async def settle(self, load: Load, routed_only: bool = False) -> None:
        """Warm up until every running worker has taken records: their groups have settled
        (a rebalance during a measurement would be measured too)."""
        kinds = ("router",) if routed_only else ("router", "dispatcher")
        workers = [(w, kind) for kind in kinds for w in self.workers.of(kind)]
        for _ in range(SETTLE_ROUNDS):
            before = [await work_done(w, kind) for w, kind in workers]
            await self.step(load, self.s.warmup, None, routed_only=routed_only)
            after = [await work_done(w, kind) for w, kind in workers]
            if all(a is None or b is None or a > b for b, a in zip(before, after, strict=True)):
                return
        log.warning("a worker took no records in %d warm-ups: measuring anyway", SETTLE_ROUNDS)

    async def baselines(self) -> None:
        bootstrap, s = self.platform.kafka_bootstrap, self.s
        size = len(lora_uplink(self.fleet.dev_euis[0], 0, payload_hex=PAYLOAD_HEX))
        body = self.sinks.output.last_value or b"[]"
        add = self.results.add
        add(
            "baselines",
            f"aiokafka consume→produce pipe, {size} B records",
            "records/s",
            await kafka_pipe(bootstrap, s.burst, size),
        )
        add(
            "baselines",
            f"faust agent that only forwards, {size} B records",
            "records/s",
            await faust_pipe(bootstrap, s.burst, size),
        )
        add(
            "baselines",
            "aiohttp POST loop, 8 in flight, a delivery's SenML body",
            "POST/s",
            await http_posts(self.sinks.receiver.url, s.burst, body, concurrency=8),
        )
        p50, p99 = await produce_latency(bootstrap, 200)
        add("baselines", "aiokafka produce → consume (acks=all)", "p50 (ms)", p50)
        add("baselines", "aiokafka produce → consume (acks=all)", "p99 (ms)", p99)

    async def end_to_end(self, load: Load) -> None:
        s = self.s
        await self.workers.set(1, 1)
        await self.settle(load)
        idle = self.meter()  # what the processes spend with no uplinks at all
        idle.start()
        await asyncio.sleep(s.duration_s)
        used = idle.stop()
        self.cpu(f"{E2E}: idle, no uplinks", idle.wall_s, used)
        for rate in s.rates:
            self.record(
                E2E, f"{rate:,.0f}/s", await self.step(load, int(rate * s.duration_s), rate)
            )
        most = await self.step(load, s.burst, None)
        self.record(E2E, f"maximum ({s.burst:,} at once)", most)
        half = most.delivered_per_s / 2
        if half >= 1:
            count = max(1, int(half * s.duration_s))
            self.record(E2E, "half of the maximum", await self.step(load, count, half))

    async def scaling(self, load: Load) -> None:
        s = self.s
        for workers in (1, 2):
            await self.workers.set(workers, 0)
            since = self.sinks.positions()
            await self.settle(load, routed_only=True)
            row = f"router alone, {workers} worker(s)"
            async with self.shares(row, {"router": s.burst}):
                self.record(SCALING, row, await self.step(load, s.burst, None, routed_only=True))
            backlog = len(self.sinks.deliveries.times) - since[2]
            await self.workers.set(workers, workers)
            row = f"dispatcher alone, {workers} worker(s)"
            drained = await drain(
                self.sinks,
                self.meter(),
                since,
                backlog,
                s.drain_timeout_s,
                lambda: self.all_working("dispatcher"),
            )
            for w in self.workers.of("dispatcher"):  # fresh processes: they count from 0
                if (done := await work_done(w, "dispatcher")) is not None:
                    self.results.add("worker shares", row, w.name, done / backlog)
            self.results.add(SCALING, row, "backlog drained (deliveries)", backlog)
            self.record(SCALING, row, drained)
        await self.settle(load)
        row = "end to end, 2 routers + 2 dispatchers"
        deliveries = DELIVERIES_PER_UPLINK * s.burst
        async with self.shares(row, {"router": s.burst, "dispatcher": deliveries}):
            self.record(SCALING, row, await self.step(load, s.burst, None))

    async def all_working(self, kind: str) -> bool:
        """Every worker of `kind` has taken records since it started."""
        done = [await work_done(w, kind) for w in self.workers.of(kind)]
        return all(d is None or d > 0 for d in done)

    @contextlib.asynccontextmanager
    async def shares(self, row: str, totals: dict[str, int]) -> AsyncIterator[None]:
        """Records which share of the records each worker took in the block: `totals`
        says how many records each kind of worker (router, dispatcher) gets in all."""
        workers = [(w, kind) for kind in totals for w in self.workers.of(kind)]
        before = [await work_done(w, kind) for w, kind in workers]
        yield
        for (w, kind), b in zip(workers, before, strict=True):
            if (a := await work_done(w, kind)) is not None and b is not None:
                self.results.add("worker shares", row, w.name, (a - b) / totals[kind])

    def memory(self) -> None:
        argv = [sys.executable, "-m", "bench.capacity_memory", "--json"]
        for n in self.s.memory_devices:
            argv += ["--devices", str(n)]
        out = subprocess.run(argv, check=True, capture_output=True, text=True, timeout=600).stdout
        for r in json.loads(out):
            row = f"{r['devices']:,} devices"
            self.results.add("registry view memory", row, "bytes/device", r["bytes_per_device"])
