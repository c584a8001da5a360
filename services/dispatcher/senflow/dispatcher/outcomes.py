"""Where every delivery outcome goes: counted, fed to the health tracker, and published as
a `DeliveryOutcome` on `senflow.deliveries.outcomes.v1`.

Publishing never slows a delivery: `delivered`, `attempt_failed` and `dead_lettered` only
queue the event (a bounded queue), and one task hands what the queue holds to the
producer every `linger_s`, a batch per partition (see `outcome_batches`), without waiting
for Kafka's answer, which a callback checks. An event Kafka refuses, or one that finds the
queue full (Kafka slow or away), is counted in
`senflow_dispatcher_outcome_events_lost_total` and logged (at most every 10 s), and the
delivery goes on: the outcome stream is for insight, not for accounting.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer

from senflow.common import topics
from senflow.common.deliveries import Delivery
from senflow.common.delivery_outcomes import MAX_DETAIL, DeliveryOutcome, OutcomeKind
from senflow.common.events import DestinationSnapshot
from senflow.common.serde import dumps
from senflow.dispatcher import metrics
from senflow.dispatcher.errors import DeliveryFailed
from senflow.dispatcher.health import HealthTracker
from senflow.dispatcher.outcome_batches import BatchSender

log = logging.getLogger(__name__)

_LOG_EVERY_S = 10.0
_MAX_ROUND = 5_000  # events handed to the producer at once


class OutcomeReporter:
    def __init__(
        self,
        producer: AIOKafkaProducer,
        health: HealthTracker,
        *,
        capacity: int = 10_000,
        flush_timeout_s: float = 5.0,
        linger_s: float = 0.05,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sender = BatchSender(
            producer, topics.DELIVERY_OUTCOMES, lambda count, err: self._lost("refused", err, count)
        )
        self._health = health
        self._queue: asyncio.Queue[DeliveryOutcome] = asyncio.Queue(capacity)
        self._flush_timeout_s = flush_timeout_s
        self._linger_s = linger_s
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self._lost_since_log = 0
        self._logged_at = float("-inf")

    def delivered(self, delivery: Delivery, destination: DestinationSnapshot, attempt: int) -> None:
        self._report(delivery, destination, "delivered", attempt, None)

    def attempt_failed(
        self,
        delivery: Delivery,
        destination: DestinationSnapshot,
        attempt: int,
        err: DeliveryFailed,
    ) -> None:
        self._report(delivery, destination, "failed-attempt", attempt, err)

    def dead_lettered(
        self,
        delivery: Delivery | None,
        destination: DestinationSnapshot | None,
        err: DeliveryFailed,
    ) -> None:
        """`delivery` None: the record was no delivery at all, so there is nothing to say."""
        if delivery is not None:
            self._report(delivery, destination, "dead-lettered", err.attempts, err)

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._publish(), name="delivery-outcomes")

    async def stop(self) -> None:
        """Hand what is queued to the producer (for up to `flush_timeout_s`), then stop;
        idempotent. The producer's own stop sends what it holds."""
        if self._task is None:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._flush_timeout_s):
                await self._queue.join()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    def _report(
        self,
        delivery: Delivery,
        destination: DestinationSnapshot | None,
        outcome: OutcomeKind,
        attempt: int,
        err: DeliveryFailed | None,
    ) -> None:
        at = self._clock()
        event = DeliveryOutcome(
            message_id=delivery.message_id,
            delivery_id=delivery.delivery_id,
            destination_id=delivery.destination_id,
            destination_type=None if destination is None else destination.type,
            customer_id=delivery.customer_id,
            device_id=delivery.device_id,
            outcome=outcome,
            attempt=attempt,
            status_code=None if err is None else err.status_code,
            reason=None if err is None else err.reason,
            detail=None if err is None else err.detail[:MAX_DETAIL],
            latency_ms=round((at - delivery.received_at).total_seconds() * 1000, 3),
            at=at,
        )
        metrics.labelled(metrics.OUTCOMES, event.destination_type or "unknown", outcome).inc()
        self._health.record(event)
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self._lost("overflow", None)

    async def _publish(self) -> None:
        while True:
            events = [await self._queue.get()]
            await asyncio.sleep(self._linger_s)  # let a round gather: fewer, fuller batches
            while len(events) < _MAX_ROUND and not self._queue.empty():
                events.append(self._queue.get_nowait())
            try:
                await self._sender.send((e.destination_id.encode(), dumps(e)) for e in events)
            except Exception as err:  # noqa: BLE001 - an event never stops the deliveries
                self._lost("refused", err, len(events))
            finally:
                for _ in events:
                    self._queue.task_done()

    def _lost(self, cause: str, err: BaseException | None, count: int = 1) -> None:
        metrics.OUTCOME_EVENTS_LOST.labels(cause).inc(count)
        self._lost_since_log += count
        now = time.monotonic()
        if now - self._logged_at >= _LOG_EVERY_S:
            log.warning(
                "%d delivery outcome event(s) not published (latest: %s, %r)",
                self._lost_since_log,
                cause,
                err,
            )
            self._lost_since_log = 0
            self._logged_at = now
