"""Health around each attempt, for any sink: reports every attempt's outcome, and keeps
attempts away from a destination the health tracker auto-disabled.

Sits inside the retrying wrapper, so it sees every attempt (what the tracker counts), and a
delivery that is being retried when its destination is disabled stops at its next
attempt instead of retrying on. To a disabled destination it refuses (non-retriable
`destination-auto-disabled`: the delivery is dead-lettered, to be replayed later) all but
one probe every probe interval; a probe is tried once: its failure is dead-lettered at
once with its own reason, its success re-enables the destination.
"""

import logging

from senflow.common.deliveries import Delivery
from senflow.common.events import DestinationSnapshot
from senflow.dispatcher.errors import DeliveryFailed, DestinationAutoDisabled
from senflow.dispatcher.health import Admission, HealthTracker
from senflow.dispatcher.outcomes import OutcomeReporter
from senflow.dispatcher.sinks.base import Sink

log = logging.getLogger(__name__)


class HealthGatedSink:
    def __init__(self, inner: Sink, health: HealthTracker, outcomes: OutcomeReporter) -> None:
        self._inner = inner
        self._health = health
        self._outcomes = outcomes

    async def deliver(
        self, delivery: Delivery, destination: DestinationSnapshot, attempt: int
    ) -> None:
        admission = self._health.admit(destination.id)
        if admission is Admission.REFUSE:
            raise DestinationAutoDisabled(destination.id, self._health.probe_interval_s)
        if admission is Admission.PROBE:
            log.info(
                "probing an auto-disabled destination",
                extra={"message_id": delivery.message_id, "destination_id": destination.id},
            )
        try:
            await self._inner.deliver(delivery, destination, attempt)
        except DeliveryFailed as err:
            if admission is Admission.PROBE:
                err.retriable = False
            self._outcomes.attempt_failed(delivery, destination, attempt, err)
            raise
        self._outcomes.delivered(delivery, destination, attempt)
