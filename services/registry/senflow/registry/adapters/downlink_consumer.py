"""Reads what moves downlinks on: workers' `DownlinkReport`s, the LoRa network server's
`LoraDownlinkResult`s and destinations' `DownlinkRequest`s, and applies each.

At least once: a consumer group (every registry replica in it shares the partitions)
whose offsets are committed after the records before them were applied, each in its own
transaction. A record applied again changes nothing (see `use_cases.downlink_updates`).

Per-record error boundary: a record that is not its topic's contract, names no known
downlink, or that the registry fails on is logged, counted and passed over. Only the
database being away stops the batch: the consumer starts over from its committed offsets.
"""

import logging
from typing import Protocol

import asyncpg
from aiokafka import AIOKafkaConsumer

from senflow.common.downlinks import DownlinkReport, DownlinkRequest, LoraDownlinkResult
from senflow.common.errors import ContractError
from senflow.common.serde import loads
from senflow.common.topics import DOWNLINK_REPORTS, DOWNLINK_REQUESTS, DOWNLINKS_LORA_RESULTS
from senflow.registry import metrics
from senflow.registry.adapters.background import BackgroundTask
from senflow.registry.adapters.keep_running import keep_running
from senflow.registry.domain.downlink_status import (
    DUPLICATE,
    INTERNAL_ERROR,
    INVALID_RECORD,
    NOT_ALLOWED,
    Outcome,
    StatusChange,
    from_lora_result,
    from_report,
)

log = logging.getLogger(__name__)

TOPICS = (DOWNLINK_REPORTS, DOWNLINKS_LORA_RESULTS, DOWNLINK_REQUESTS)
# Expected on a busy day: a report repeated or late, a request redelivered.
_ROUTINE = frozenset({NOT_ALLOWED, DUPLICATE})
_DATABASE_AWAY = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.TooManyConnectionsError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.TransactionRollbackError,
)


class DownlinkUpdater(Protocol):
    async def apply(self, change: StatusChange) -> Outcome: ...

    async def request(self, req: DownlinkRequest) -> Outcome: ...


def parse(topic: str, value: bytes | None) -> StatusChange | DownlinkRequest:
    """The record as what it asks for; `ContractError` when it is not its contract."""
    if topic == DOWNLINK_REPORTS:
        return from_report(loads(DownlinkReport, value))
    if topic == DOWNLINKS_LORA_RESULTS:
        return from_lora_result(loads(LoraDownlinkResult, value))
    if topic == DOWNLINK_REQUESTS:
        return loads(DownlinkRequest, value)
    raise ContractError(f"not a downlink topic: {topic}")


async def handle(updates: DownlinkUpdater, topic: str, value: bytes | None) -> Outcome:
    """Apply one record and count what became of it. Raises only when the database is
    away (trying again may succeed); anything else about the record is passed over."""
    parsed: StatusChange | DownlinkRequest | None = None
    try:
        parsed = parse(topic, value)
        if isinstance(parsed, DownlinkRequest):
            outcome = await updates.request(parsed)
        else:
            outcome = await updates.apply(parsed)
    except ContractError as err:
        outcome = Outcome(INVALID_RECORD, str(err))
    except Exception as err:
        if isinstance(err, _DATABASE_AWAY) or getattr(err, "retriable", False):
            raise
        log.exception("failed on a %s record; passed over", topic)
        outcome = Outcome(INTERNAL_ERROR, f"{type(err).__name__}: {err}")
    _count(parsed, topic, outcome)
    return outcome


def _count(parsed: StatusChange | DownlinkRequest | None, topic: str, outcome: Outcome) -> None:
    is_request = topic == DOWNLINK_REQUESTS
    if outcome.ignored is None:
        if isinstance(parsed, StatusChange):
            metrics.DOWNLINK_UPDATES_APPLIED.labels(parsed.status).inc()
        return
    if is_request:
        metrics.DOWNLINK_REQUESTS_SKIPPED.labels(outcome.ignored).inc()
    else:
        metrics.DOWNLINK_UPDATES_IGNORED.labels(outcome.ignored).inc()
    level = logging.DEBUG if outcome.ignored in _ROUTINE else logging.WARNING
    what = "downlink request" if is_request else "downlink update"
    log.log(level, "%s from %s ignored (%s): %s", what, topic, outcome.ignored, outcome.detail)


class DownlinkConsumer:
    """`start()` returns at once and consumes in the background; `stop()` is idempotent.
    Stopping mid-batch commits nothing of it: the group's next owner applies it again."""

    def __init__(
        self,
        updates: DownlinkUpdater,
        bootstrap: str,
        group_id: str,
        retry_s: float = 2.0,
        max_records: int = 200,
    ) -> None:
        self._updates = updates
        self._bootstrap = bootstrap
        self._group_id = group_id
        self._retry_s = retry_s
        self._max_records = max_records
        self._background = BackgroundTask("downlink-consumer")

    async def start(self) -> None:
        self._background.start(self._run)

    async def stop(self) -> None:
        await self._background.stop()

    async def _run(self) -> None:
        # Kafka or PostgreSQL away: start over from the committed offsets.
        await keep_running(self._consume, name="downlink consumer", retry_s=self._retry_s, log=log)

    async def _consume(self) -> None:
        consumer = AIOKafkaConsumer(
            *TOPICS,
            bootstrap_servers=self._bootstrap,
            group_id=self._group_id,
            enable_auto_commit=False,
            # A new group reads what the topics hold: applying an old record again is
            # harmless, missing one written before the group existed is not.
            auto_offset_reset="earliest",
        )
        try:
            await consumer.start()  # a failed start leaves connections to close too
            log.info("consuming downlink reports, results and requests as %s", self._group_id)
            while True:
                batches = await consumer.getmany(timeout_ms=1000, max_records=self._max_records)
                for records in batches.values():
                    for record in records:
                        await handle(self._updates, record.topic, record.value)
                if batches:
                    await consumer.commit()
        finally:
            await consumer.stop()
