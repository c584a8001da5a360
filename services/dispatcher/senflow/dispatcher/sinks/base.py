"""The one-method port every destination type implements."""

from typing import Protocol

from senflow.common.deliveries import Delivery
from senflow.common.events import DestinationSnapshot


class Sink(Protocol):
    async def deliver(
        self, delivery: Delivery, destination: DestinationSnapshot, attempt: int
    ) -> None:
        """Deliver once. Returns on success; raises `DeliveryFailed` (with `retriable`)
        otherwise. Never retries itself: retrying is the `RetryingSink` wrapper's job."""
        ...
