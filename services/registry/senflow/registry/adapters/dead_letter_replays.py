"""Replays dead-lettered deliveries: each is published again to `senflow.deliveries.v1`
(its key, value and delivery headers, plus `senflow-replay-of`), then the replay is
recorded on `senflow.deliveries.replays.v1`; one idempotent producer with `acks=all` for
the life of the API process.

Never fails the API: `start()` returns at once and connects in the background, trying
again while Kafka is not there; until it is connected a replay is a 503.
"""

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from senflow.common import topics
from senflow.common.dead_letters import DeadLetterReplayed
from senflow.common.serde import dumps
from senflow.registry.adapters.following import Retrying
from senflow.registry.domain.dead_letters import DeadLetter, ReplayOutcome, replay_headers
from senflow.registry.errors import Unavailable

log = logging.getLogger(__name__)

OutRecord = tuple[str, bytes | None, bytes | None, list[tuple[str, bytes]]]


class KafkaReplayPublisher:
    def __init__(
        self, kafka_bootstrap: str | None = None, retry_s: float = 5.0, timeout_s: float = 10.0
    ) -> None:
        self._bootstrap = kafka_bootstrap
        self._timeout_s = timeout_s
        self._producer: AIOKafkaProducer | None = None
        self._retrying = Retrying(
            f"connect the replay producer to {kafka_bootstrap}", self._connect, retry_s, log
        )

    async def start(self) -> None:
        if self._bootstrap is not None:
            await self._retrying.start()

    async def stop(self) -> None:
        """Close the producer; idempotent."""
        await self._retrying.stop()

    async def publish(
        self, replays: Sequence[tuple[DeadLetter, DeadLetterReplayed]]
    ) -> ReplayOutcome:
        """In the given order (one device's deliveries stay in order): all deliveries, then
        the records of those Kafka acknowledged. Raises `Unavailable` when not connected."""
        producer = self._producer
        if producer is None:
            raise Unavailable("Kafka cannot be reached from the registry now; try again shortly")
        failures = await _send_all(
            producer,
            [
                (topics.DELIVERIES, e.key, e.value, replay_headers(e.headers, e.id))
                for e, _ in replays
            ],
        )
        replayed = [r for (_, r), failed in zip(replays, failures, strict=True) if failed is None]
        recorded = await _send_all(
            producer,
            [(topics.DELIVERY_REPLAYS, r.entry_id.encode(), dumps(r), []) for r in replayed],
        )
        first = next((f for f in (*failures, *recorded) if f is not None), None)
        return ReplayOutcome(replayed, None if first is None else repr(first))

    async def _connect(self) -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            request_timeout_ms=int(self._timeout_s * 1000),
        )
        try:
            await producer.start()
            self._producer = producer
            await asyncio.Event().wait()  # for the life of the process: `stop()` cancels
        finally:
            self._producer = None
            with contextlib.suppress(Exception):
                await producer.stop()


async def _send_all(
    producer: AIOKafkaProducer, records: list[OutRecord]
) -> list[BaseException | None]:
    """Sends in order, then waits for every acknowledgement: per record its failure or
    None. After a send that fails at once (no metadata, a full buffer), none is tried."""
    futures = []
    refused: BaseException | None = None
    for topic, key, value, headers in records:
        try:
            futures.append(await producer.send(topic, key=key, value=value, headers=headers))
        except KafkaError as err:
            refused = err
            break
    acks = await asyncio.gather(*futures, return_exceptions=True)
    outcome = [a if isinstance(a, BaseException) else None for a in acks]
    return outcome + [refused] * (len(records) - len(futures))
