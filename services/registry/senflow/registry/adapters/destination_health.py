"""The dispatchers' latest `DestinationHealth` per destination id, followed from
`senflow.destinations.health.v1` (see `LatestReports`): unknown until a dispatcher has
reported on the destination."""

import logging

from senflow.common import topics
from senflow.common.destination_health import DestinationHealth
from senflow.registry.adapters.latest_reports import LatestReports

log = logging.getLogger(__name__)


class DestinationHealthReports(LatestReports[DestinationHealth]):
    """`get(destination_id)`; without a Kafka bootstrap it never learns any (e.g. in tests)."""

    def __init__(
        self, kafka_bootstrap: str | None = None, retry_s: float = 5.0, load_timeout_s: float = 30.0
    ) -> None:
        super().__init__(
            topics.DESTINATION_HEALTH,
            DestinationHealth,
            kafka_bootstrap,
            retry_s,
            load_timeout_s,
            log,
        )
