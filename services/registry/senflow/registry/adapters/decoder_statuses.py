"""The routers' latest `DecoderStatus` per decoder id, followed from the compacted status
topic (see `LatestReports`, shared with the destinations' health): unknown until a router
has reported on the decoder.
"""

import logging

from senflow.common import topics
from senflow.common.decoder_status import DecoderStatus
from senflow.registry.adapters.latest_reports import LatestReports

log = logging.getLogger(__name__)


class DecoderStatuses(LatestReports[DecoderStatus]):
    """`get(decoder_id)`; without a Kafka bootstrap it never learns any (e.g. in tests)."""

    def __init__(
        self, kafka_bootstrap: str | None = None, retry_s: float = 5.0, load_timeout_s: float = 30.0
    ) -> None:
        super().__init__(
            topics.DECODER_STATUS, DecoderStatus, kafka_bootstrap, retry_s, load_timeout_s, log
        )
