"""Publishes the health tracker's changes to `senflow.destinations.health.v1`, and sets the
state gauge, every `interval_s`: the deliveries only record outcomes (a few dict and deque
operations), so they never wait for this, nor for Kafka.

A change Kafka refuses is kept and sent again at the next round (the latest per
destination), so a report is late rather than lost while Kafka is away.
"""

import asyncio
import contextlib
import logging

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from senflow.common import topics
from senflow.common.destination_health import DestinationHealth
from senflow.common.serde import dumps
from senflow.dispatcher import metrics
from senflow.dispatcher.health import HealthTracker

log = logging.getLogger(__name__)


class HealthPublisher:
    def __init__(
        self, producer: AIOKafkaProducer, health: HealthTracker, interval_s: float = 1.0
    ) -> None:
        self._producer = producer
        self._health = health
        self._interval_s = interval_s
        self._unsent: dict[str, DestinationHealth] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="destination-health")

    async def stop(self) -> None:
        """Stop, after one last round for the changes of the last moments; idempotent."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._interval_s * 5):
                await self.publish()

    async def publish(self) -> None:
        """One round: send the changes (acks=all), in the order they happened."""
        for change in self._health.drain():
            self._unsent.pop(change.destination_id, None)
            self._unsent[change.destination_id] = change
        for (destination_type, state), count in self._health.census().items():
            metrics.DESTINATION_STATE.labels(destination_type, state).set(count)
        for did, change in list(self._unsent.items()):
            try:
                await self._producer.send_and_wait(
                    topics.DESTINATION_HEALTH, key=did.encode(), value=dumps(change)
                )
            except KafkaError as err:
                log.warning("cannot publish destination health (next round): %r", err)
                return
            del self._unsent[did]
            level = logging.WARNING if change.state == "disabled" else logging.INFO
            log.log(
                level,
                "destination %s (%d of %d attempts failed)",
                change.state,
                change.failed_attempts,
                change.attempts,
                extra={"destination_id": did},
            )

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            await self.publish()
