"""`senflow-lag-exporter`: the consumer lag of the platform's groups as Prometheus metrics.

Why a process of its own rather than each consumer exporting its own lag: the lag that
matters most is that of a group whose consumers are down or stuck, and a dead consumer
exports nothing. Measured from outside (like Burrow or kafka-lag-exporter), the lag keeps
rising in Prometheus while no worker is alive, and each partition is reported exactly once
however many replicas a group has. The numbers are those of `senflow lag` (same probe).
"""

import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import Callable, Iterator
from typing import Annotated, Protocol

from prometheus_client import REGISTRY
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from pydantic import AliasChoices, Field

from senflow.cli.lag_latest import LatestLags
from senflow.cli.lag_probe import PLATFORM_GROUP_PREFIX, LagProbe
from senflow.cli.lag_report import GroupLag
from senflow.cli.settings import (
    EXIT_INVALID_SETTINGS,
    CliSettings,
    InvalidSettings,
    read_settings,
)
from senflow.common.lifecycle import stop_on_signals
from senflow.common.logs import configure_logging
from senflow.common.ops_server import OpsServer

log = logging.getLogger(__name__)


class LagExporterSettings(CliSettings):
    host: Annotated[str, Field(validation_alias=AliasChoices("LAG_EXPORTER_HOST"))] = "127.0.0.1"
    port: Annotated[int, Field(validation_alias=AliasChoices("LAG_EXPORTER_PORT"))] = 9308
    interval_s: Annotated[
        float, Field(gt=0, validation_alias=AliasChoices("LAG_EXPORTER_INTERVAL_S"))
    ] = 10.0
    group_prefix: Annotated[
        str, Field(validation_alias=AliasChoices("LAG_EXPORTER_GROUP_PREFIX"))
    ] = PLATFORM_GROUP_PREFIX
    log_level: Annotated[str, Field(validation_alias=AliasChoices("SENFLOW_LOG_LEVEL"))] = "INFO"


# How many measuring intervals a group's last good numbers outlive failed measurements.
KEEP_INTERVALS = 3


class GroupLagSource(Protocol):
    """What the exporter measures with: `LagProbe`, or a fake in tests."""

    async def groups(self, prefix: str | None) -> list[str]: ...

    async def measure_group(self, group: str) -> GroupLag: ...


class LagCollector(Collector):
    """Serves each group's latest good numbers (see `LatestLags`). Series of groups or
    partitions that disappeared go with them (a plain labelled Gauge would keep their last
    value forever)."""

    def __init__(self, keep_s: float, clock: Callable[[], float] = time.time) -> None:
        self.latest = LatestLags(keep_s)
        self.clock = clock
        self.listed_at: float | None = None  # a round listed and measured (ready from then)
        self.taken_at: float | None = None  # every listed group was measured
        self.failures = 0

    def collect(self) -> Iterator[Metric]:
        labels = ["group", "topic", "partition"]
        lag = GaugeMetricFamily(
            "senflow_consumergroup_lag",
            "Records the group has not consumed yet (log-end offset − committed offset; "
            "negative when the commit is past the end, as Kafka's tool shows it).",
            labels=labels,
        )
        age = GaugeMetricFamily(
            "senflow_consumergroup_lag_seconds",
            "Age of the oldest record the group has not consumed yet (0 when none waits).",
            labels=labels,
        )
        lost = GaugeMetricFamily(
            "senflow_consumergroup_lost_records",
            "Records deleted (retention) before the group read them: log-start offset − "
            "committed offset, when positive.",
            labels=labels,
        )
        committed = GaugeMetricFamily(
            "senflow_consumergroup_committed_offset", "The group's committed offset.", labels=labels
        )
        end = GaugeMetricFamily(
            "senflow_consumergroup_log_end_offset", "The partition's log-end offset.", labels=labels
        )
        members = GaugeMetricFamily(
            "senflow_consumergroup_members", "Members of the group.", labels=["group", "state"]
        )
        measured_at = GaugeMetricFamily(
            "senflow_consumergroup_measured_timestamp_seconds",
            "When the group's numbers were measured (they are kept a few intervals when a "
            "measurement fails, then dropped).",
            labels=["group"],
        )
        for measured in self.latest.current(self.clock()):
            group = measured.lag
            measured_at.add_metric([group.group], measured.at)
            members.add_metric([group.group, group.state], group.members)
            for p in group.partitions:
                key = [group.group, p.topic, str(p.partition)]
                end.add_metric(key, p.end)
                if p.committed is not None:
                    committed.add_metric(key, p.committed)
                if p.lag is not None:
                    lag.add_metric(key, p.lag)
                if p.lost is not None:
                    lost.add_metric(key, p.lost)
                if p.age_s is not None:
                    age.add_metric(key, p.age_s)
        yield from (lag, age, lost, committed, end, members, measured_at)
        yield GaugeMetricFamily(
            "senflow_lag_exporter_last_success_timestamp_seconds",
            "When every platform group was last measured (alert when it stops moving).",
            value=self.taken_at or 0,
        )
        yield CounterMetricFamily(
            "senflow_lag_exporter_failed_measurements",
            "Measurements that failed since the exporter started (a group's, or the listing).",
            value=self.failures,
        )


async def measure_round(
    source: GroupLagSource, collector: LagCollector, prefix: str | None
) -> None:
    """List the groups, then measure each on its own: one group's failure leaves the
    others' numbers fresh, and its own last ones in place for a while."""
    try:
        groups = await source.groups(prefix)
    except Exception:
        collector.failures += 1
        log.exception("listing the consumer groups failed")
        return
    collector.latest.keep_only(groups)
    complete = True
    for group in groups:
        try:
            measured = await source.measure_group(group)
        except Exception:
            complete = False
            collector.failures += 1
            log.exception("lag measurement failed", extra={"group": group})
            continue
        collector.latest.record(measured, collector.clock())
    collector.listed_at = collector.clock()  # after the round: /readyz then has numbers
    if complete:
        collector.taken_at = collector.clock()


async def measure_forever(
    source: GroupLagSource,
    collector: LagCollector,
    settings: LagExporterSettings,
    stop: asyncio.Event,
) -> None:
    while not stop.is_set():
        await measure_round(source, collector, settings.group_prefix or None)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), settings.interval_s)


async def serve(settings: LagExporterSettings) -> None:
    stop = stop_on_signals()
    collector = LagCollector(KEEP_INTERVALS * settings.interval_s)
    REGISTRY.register(collector)
    probe = LagProbe(settings.kafka_bootstrap)
    ops = OpsServer(settings.host, settings.port, ready=lambda: collector.listed_at is not None)
    await ops.start()
    try:
        while not stop.is_set():
            try:
                await probe.start()
                break
            except Exception as exc:  # noqa: BLE001  Kafka not up yet: /readyz says 503 meanwhile
                log.warning("Kafka not reachable yet: %s", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 2.0)
        log.info("lag exporter on %s:%d", settings.host, settings.port)
        await measure_forever(probe, collector, settings, stop)
    finally:
        await probe.stop()
        await ops.stop()


def main() -> None:
    try:
        settings = read_settings(LagExporterSettings)
    except InvalidSettings as bad:
        print(f"senflow-lag-exporter: invalid setting: {bad}", file=sys.stderr)
        sys.exit(EXIT_INVALID_SETTINGS)
    configure_logging(settings.log_level)
    asyncio.run(serve(settings))
