"""One step of the capacity benchmark: offer uplinks (paced, or all at once), wait until
they are delivered (or routed), and measure throughput, latency and CPU.

The load generator plays the LoRaWAN network server: it produces raw uplinks to
`senflow.uplinks.lora.raw.v1`, each stamped with its receive time (`received_at`) when it
is made, just before it is produced; the SenML `bt` every delivery carries is that time.
"""

import asyncio
import bisect
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer

from bench.capacity_cpu import CpuMeter
from bench.capacity_sinks import ArrivalReceiver, TopicTap
from senflow.common import topics
from tests.support.kafka import lora_uplink

DELIVERIES_PER_UPLINK = 2  # each device is in one flow: an HTTP and a Kafka destination
PACE_TICK_S = 0.002


@dataclass
class Sinks:
    receiver: ArrivalReceiver  # the flows' HTTP destinations
    output: TopicTap  # the flows' Kafka-topic destination's topic
    deliveries: TopicTap  # senflow.deliveries.v1: what the router made

    def positions(self) -> tuple[int, int, int]:
        return len(self.receiver.arrivals), len(self.output.times), len(self.deliveries.times)


@dataclass
class Step:
    uplinks: int
    offered_per_s: float  # as achieved by the producer
    complete: bool  # everything arrived within the drain timeout
    delivered_per_s: float = 0.0  # uplinks at both sinks / (first produce → last arrival)
    per_sink_per_s: tuple[float, float] = (0.0, 0.0)  # a drain's HTTP and Kafka deliveries/s
    routed_per_s: float = 0.0  # uplinks routed / (first produce → last delivery record)
    routed_ms: tuple[float, float, float] = (0.0, 0.0, 0.0)  # receive → delivery record
    http_ms: tuple[float, float, float] = (0.0, 0.0, 0.0)  # p50, p95, p99
    kafka_ms: tuple[float, float, float] = (0.0, 0.0, 0.0)
    cpu_s: dict[str, float] = field(default_factory=dict)
    wall_s: float = 0.0  # the time `cpu_s` was measured over


def percentiles_ms(latencies_s: list[float]) -> tuple[float, float, float]:
    if not latencies_s:
        return (0.0, 0.0, 0.0)
    ordered = sorted(latencies_s)
    at = [ordered[min(len(ordered) - 1, int(q * len(ordered)))] for q in (0.5, 0.95, 0.99)]
    return (1000 * at[0], 1000 * at[1], 1000 * at[2])


class Load:
    """Produces uplinks of `dev_euis` in turn, with `acks=all` like a network server."""

    def __init__(self, producer: AIOKafkaProducer, dev_euis: list[str], payload_hex: str) -> None:
        self.producer = producer
        self._dev_euis = dev_euis
        self._payload_hex = payload_hex
        self._sent = 0

    async def offer(self, count: int, rate_per_s: float | None) -> tuple[float, float]:
        """Produce `count` uplinks at `rate_per_s` (None: as fast as the producer takes
        them); the wall-clock times of the first and the last send."""
        started = time.time()
        sent = 0
        while sent < count:
            due = count
            if rate_per_s is not None:  # catch up with the schedule, so pauses do not drift
                due = min(count, int((time.time() - started) * rate_per_s) + 1)
            for _ in range(due - sent):
                dev_eui = self._dev_euis[self._sent % len(self._dev_euis)]
                uplink = lora_uplink(dev_eui, self._sent, payload_hex=self._payload_hex)
                await self.producer.send(
                    topics.UPLINKS_RAW_LORA, key=dev_eui.encode(), value=uplink
                )
                self._sent += 1
            sent = due
            if sent < count:
                await asyncio.sleep(PACE_TICK_S)
        finished = time.time()
        await self.producer.flush()
        return started, finished


async def _wait(done: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def run_step(
    load: Load,
    sinks: Sinks,
    cpu: CpuMeter,
    count: int,
    rate_per_s: float | None,
    timeout_s: float,
    routed_only: bool = False,
) -> Step:
    """Offer `count` uplinks and wait until both sinks have them all (`routed_only`: until
    the router has made all their deliveries), at most `timeout_s` after the last send."""
    http0, kafka0, routed0 = sinks.positions()
    lat0 = len(sinks.receiver.latencies_s)
    expected_routed = DELIVERIES_PER_UPLINK * count

    def routed() -> int:
        return len(sinks.deliveries.times) - routed0

    def delivered() -> int:
        http = len(sinks.receiver.arrivals) - http0
        return min(http, len(sinks.output.times) - kafka0)

    cpu.start()
    started, finished = await load.offer(count, rate_per_s)
    if routed_only:
        complete = await _wait(lambda: routed() >= expected_routed, timeout_s)
    else:
        complete = await _wait(lambda: delivered() >= count, timeout_s)
    offered = count / max(finished - started, 1e-3)
    used = cpu.stop()
    step = Step(count, offered, complete, cpu_s=used, wall_s=cpu.wall_s)
    if routed():
        last = max(sinks.deliveries.times[routed0:])
        step.routed_per_s = (
            min(routed(), expected_routed) / DELIVERIES_PER_UPLINK / (last - started)
        )
        step.routed_ms = percentiles_ms(sinks.deliveries.latencies_s[routed0:])
    if not routed_only and delivered():
        last = max(max(sinks.receiver.arrivals[http0:]), max(sinks.output.times[kafka0:]))
        step.delivered_per_s = min(delivered(), count) / (last - started)
        step.http_ms = percentiles_ms(sinks.receiver.latencies_s[lat0:])
        step.kafka_ms = percentiles_ms(sinks.output.latencies_s[kafka0:])
    return step


async def drain(
    sinks: Sinks,
    cpu: CpuMeter,
    since: tuple[int, int, int],
    backlog: int,
    timeout_s: float,
    all_working: Callable[[], Awaitable[bool]],
) -> Step:
    """Wait for a backlog of `backlog` delivery records (made while no dispatcher ran) to
    reach the sinks, counting arrivals from `since` (the sinks' positions before the
    dispatchers started). The rate counts the arrivals from when `all_working()` first
    said so (every worker has taken records: their group has settled), and from the 10th
    percentile at the earliest, to the 90th: the workers' start is left out."""
    http0, kafka0, _ = since

    def arrived() -> int:
        return len(sinks.receiver.arrivals) - http0 + len(sinks.output.times) - kafka0

    cpu.start()
    deadline = time.monotonic() + timeout_s
    settled_at = None
    while arrived() < backlog and time.monotonic() < deadline:
        if settled_at is None and await all_working():
            settled_at = time.time()
        await asyncio.sleep(0.1)
    used = cpu.stop()
    complete = arrived() >= backlog
    step = Step(backlog // DELIVERIES_PER_UPLINK, 0.0, complete, cpu_s=used, wall_s=cpu.wall_s)
    times = sorted(sinks.receiver.arrivals[http0:] + sinks.output.times[kafka0:])
    if len(times) >= 10:
        high = (9 * len(times)) // 10 - 1
        low = max(len(times) // 10, bisect.bisect_left(times, settled_at or 0.0))
        if low >= high:  # a worker never took part: say so through the worker shares
            low = len(times) // 10
        start, end = times[low], times[high]
        seconds = max(end - start, 1e-3)
        step.delivered_per_s = (high - low) / seconds
        http = sum(1 for t in sinks.receiver.arrivals[http0:] if start <= t < end)
        kafka = sum(1 for t in sinks.output.times[kafka0:] if start <= t < end)
        step.per_sink_per_s = (http / seconds, kafka / seconds)
    return step
