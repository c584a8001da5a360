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
import time
from collections.abc import Iterator
from typing import Annotated

from prometheus_client import REGISTRY
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from pydantic import AliasChoices, Field

from senflow.cli.lag_probe import PLATFORM_GROUP_PREFIX, LagProbe
from senflow.cli.lag_report import GroupLag
from senflow.cli.settings import CliSettings
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


class LagCollector(Collector):
    """Serves the latest snapshot. Series of groups or partitions that disappeared go with
    it (a plain labelled Gauge would keep their last value forever)."""

    def __init__(self) -> None:
        self.snapshot: list[GroupLag] = []
        self.taken_at: float | None = None
        self.failures = 0

    def collect(self) -> Iterator[Metric]:
        labels = ["group", "topic", "partition"]
        lag = GaugeMetricFamily(
            "senflow_consumergroup_lag",
            "Records the group has not consumed yet (log-end offset − committed offset).",
            labels=labels,
        )
        age = GaugeMetricFamily(
            "senflow_consumergroup_lag_seconds",
            "Age of the oldest record the group has not consumed yet (0 when none waits).",
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
        for group in self.snapshot:
            members.add_metric([group.group, group.state], group.members)
            for p in group.partitions:
                key = [group.group, p.topic, str(p.partition)]
                end.add_metric(key, p.end)
                if p.committed is not None:
                    committed.add_metric(key, p.committed)
                if p.lag is not None:
                    lag.add_metric(key, p.lag)
                if p.age_s is not None:
                    age.add_metric(key, p.age_s)
        yield from (lag, age, committed, end, members)
        yield GaugeMetricFamily(
            "senflow_lag_exporter_last_success_timestamp_seconds",
            "When the last measurement succeeded (alert when it stops moving).",
            value=self.taken_at or 0,
        )
        yield CounterMetricFamily(
            "senflow_lag_exporter_failed_measurements",
            "Measurements that failed since the exporter started.",
            value=self.failures,
        )


async def measure_forever(
    probe: LagProbe, collector: LagCollector, settings: LagExporterSettings, stop: asyncio.Event
) -> None:
    while not stop.is_set():
        try:
            groups = await probe.groups(settings.group_prefix or None)
            collector.snapshot = await probe.measure(groups)
            collector.taken_at = time.time()
        except Exception:
            # Old numbers would look current: drop them, so lag alerts see the series
            # vanish and the exporter's own staleness alert fires.
            collector.snapshot = []
            collector.failures += 1
            log.exception("lag measurement failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), settings.interval_s)


async def serve(settings: LagExporterSettings) -> None:
    stop = stop_on_signals()
    collector = LagCollector()
    REGISTRY.register(collector)
    probe = LagProbe(settings.kafka_bootstrap)
    ops = OpsServer(settings.host, settings.port, ready=lambda: collector.taken_at is not None)
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
    settings = LagExporterSettings()
    configure_logging(settings.log_level)
    asyncio.run(serve(settings))
