"""Pending downlinks of Internet and M2M devices, handed out with the answer to an uplink.

Every ingest replica follows `senflow.downlinks.v1` from the start, without a consumer
group (like the device directory), and holds the `executing` downlinks of Internet and
M2M devices (`pending`). On a device's valid uplink, once Kafka has it, `take` picks the
device's oldest pending downlink and publishes its `sent` report (acks=all) before the
ingest answers with it.

When that report is not acknowledged in time (or Kafka refuses it), the device still gets
the downlink: an unacknowledged report may yet be stored, and answering without the
downlink would then let the registry mark `sent` a downlink the device never got. The
downlink stays pending here instead, so the next uplink carries it again (same id) with a
new report. At least once, like the rest of the platform.

Another replica keeps a downlink this one handed out until the registry's `sent` event
reaches it (milliseconds, usually): an uplink of the same device through that replica
in between gets it a second time, with the same `Senflow-Downlink-Id`.
"""

import asyncio
import logging
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from senflow.common import topics
from senflow.common.compacted_view import CompactedTopicView
from senflow.common.downlinks import DownlinkReport, DownlinkSnapshot
from senflow.common.errors import ContractError
from senflow.common.events import ChangeEvent, DeviceSnapshot
from senflow.common.serde import dumps, loads
from senflow.common.uplinks import DirectNetworkType
from senflow.router.ingest import metrics
from senflow.router.ingest.pending import PendingDownlink, PendingDownlinks

log = logging.getLogger(__name__)

REPORTER = "ingest"


def _dropped(reason: str) -> None:
    metrics.DOWNLINKS_DROPPED.labels(reason).inc()


class DownlinkHandout:
    def __init__(
        self,
        bootstrap: str,
        producer: AIOKafkaProducer,
        *,
        report_timeout_s: float,
        max_per_device: int,
        max_total: int,
    ) -> None:
        self._producer = producer
        self._report_timeout_s = report_timeout_s
        self._pending = PendingDownlinks(max_per_device, max_total, on_drop=_dropped)
        self._view = CompactedTopicView(bootstrap, (topics.DOWNLINKS,), self.apply)

    @property
    def loaded(self) -> bool:
        return self._view.loaded

    async def start(self, load_timeout_s: float) -> None:
        await self._view.start(load_timeout_s)

    async def stop(self) -> None:
        await self._view.stop()

    async def take(
        self, device: DeviceSnapshot, network_type: DirectNetworkType
    ) -> PendingDownlink | None:
        """The downlink to answer the device's uplink with, if one is pending; its `sent`
        report is on Kafka unless the log says otherwise (module docstring)."""
        if not self._view.loaded:  # stopped following: what it holds may be stale
            return None
        now = datetime.now(UTC)
        downlink = self._pending.claim(device.id, device.customer_id, network_type, now)
        metrics.DOWNLINKS_PENDING.set(len(self._pending))  # expired ones may have gone
        if downlink is None:
            return None
        report = DownlinkReport(
            downlink_id=downlink.id, status="sent", reported_at=now, reporter=REPORTER
        )
        try:
            async with asyncio.timeout(self._report_timeout_s):
                await self._producer.send_and_wait(
                    topics.DOWNLINK_REPORTS, key=downlink.id.encode(), value=dumps(report)
                )
        except (KafkaError, TimeoutError) as err:
            log.warning(
                "downlink %s goes out unreported (it stays pending): %r",
                downlink.id,
                err,
                extra={"device_id": device.id, "downlink_id": downlink.id},
            )
            self._pending.release(downlink.id)
            metrics.DOWNLINKS_ANSWERED.labels("unreported").inc()
            return downlink
        except BaseException:  # cancelled: not answered, so still pending
            self._pending.release(downlink.id)
            raise
        self._pending.handed_out(downlink.id)
        metrics.DOWNLINKS_PENDING.set(len(self._pending))
        metrics.DOWNLINKS_ANSWERED.labels("reported").inc()
        log.info(
            "downlink %s sent with an uplink's answer",
            downlink.id,
            extra={"device_id": device.id, "downlink_id": downlink.id},
        )
        return downlink

    def apply(self, topic: str, key: bytes | None, value: bytes | None) -> None:
        """One record of the downlink topic (the view calls it; never raises for a bad one)."""
        if key is None:
            return
        try:
            event = None if value is None else loads(ChangeEvent[DownlinkSnapshot], value)
            self._pending.apply(key.decode(errors="replace"), event, datetime.now(UTC))
        except ContractError as err:
            log.error("skipping an unreadable downlink event: %s", err)
        except Exception:  # noqa: BLE001 - a bug on one record must not stop the view
            log.exception("skipping a downlink event that failed unexpectedly")
        metrics.DOWNLINKS_PENDING.set(len(self._pending))
