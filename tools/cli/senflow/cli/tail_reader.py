"""Reading the router's deliveries topic as an outside observer.

No consumer group: the reader assigns itself every partition of `senflow.deliveries.v1`
and positions them itself, so it never joins, rebalances or commits into any group the
platform runs, and any number of tails can run next to the dispatcher without it
noticing. The cost is that a tail remembers nothing between runs (`--since` instead).
"""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaConnectionError, KafkaError

from senflow.common import topics
from senflow.common.errors import SenflowError

# Connecting and positioning take a few round trips; a broker that has not answered them
# in this long is down or not Kafka, and the user is better told than kept waiting.
START_TIMEOUT_S = 20.0
REQUEST_TIMEOUT_MS = 15_000
CLIENT_ID = "senflow-tail"


class TailUnavailable(SenflowError):
    """The deliveries cannot be read: the broker is unreachable or is not the platform's."""

    retriable = True


@dataclass(frozen=True)
class StartAt:
    """Where reading starts: the end (only new deliveries), the beginning, or the first
    record at or after `since` on each partition."""

    from_beginning: bool = False
    since: datetime | None = None

    def describe(self) -> str:
        if self.since is not None:
            return f"since {self.since.isoformat()}"
        return "from the beginning" if self.from_beginning else "new messages only"


class DeliveriesReader:
    """`start()`, then iterate `records()`; `stop()` is idempotent and safe after a failed
    start. Records come in each partition's order; partitions interleave."""

    def __init__(self, bootstrap: str, topic: str = topics.DELIVERIES) -> None:
        self._bootstrap = bootstrap
        self._topic = topic
        self._consumer: AIOKafkaConsumer | None = None

    async def start(self, at: StartAt) -> int:
        """Connect, assign every partition and position each; how many partitions."""
        try:
            async with asyncio.timeout(START_TIMEOUT_S):
                partitions = await self._partitions()
                consumer = self._consumer = AIOKafkaConsumer(
                    bootstrap_servers=self._bootstrap,
                    group_id=None,
                    enable_auto_commit=False,
                    client_id=CLIENT_ID,
                    request_timeout_ms=REQUEST_TIMEOUT_MS,
                    # Only when retention deleted what was next: go on from the oldest left.
                    auto_offset_reset="earliest",
                )
                await consumer.start()
                consumer.assign(partitions)
                await self._position(consumer, partitions, at)
        except KafkaConnectionError as err:
            raise TailUnavailable(f"Kafka at {self._bootstrap} is not reachable") from err
        except TimeoutError as err:
            raise TailUnavailable(
                f"Kafka at {self._bootstrap} did not answer within {START_TIMEOUT_S:g} s"
            ) from err
        except KafkaError as err:
            raise TailUnavailable(f"Kafka at {self._bootstrap}: {err!r}") from err
        return len(partitions)

    async def stop(self) -> None:
        if self._consumer is not None:
            consumer, self._consumer = self._consumer, None
            await consumer.stop()

    async def records(self) -> AsyncIterator[ConsumerRecord[bytes, bytes]]:
        """Forever: what arrives, as it arrives. aiokafka reconnects by itself if the
        broker goes away meanwhile; the tail then waits rather than fails."""
        if self._consumer is None:
            raise RuntimeError("DeliveriesReader.records() before start()")
        while True:
            batches = await self._consumer.getmany(timeout_ms=1000)
            for batch in batches.values():
                for record in batch:
                    yield record

    async def _partitions(self) -> list[TopicPartition]:
        # The metadata of every topic, not of this one by name: a request naming a topic
        # that does not exist would create it on a broker that auto-creates topics, and a
        # tail pointed at the wrong cluster must not leave a topic behind.
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self._bootstrap,
            client_id=CLIENT_ID,
            request_timeout_ms=REQUEST_TIMEOUT_MS,
        )
        try:
            await admin.start()
            described = await admin.describe_topics(None)
        finally:
            await admin.close()
        for topic in described:
            if topic["topic"] == self._topic and topic["partitions"]:
                ids = sorted(p["partition"] for p in topic["partitions"])
                return [TopicPartition(self._topic, p) for p in ids]
        raise TailUnavailable(
            f"Kafka at {self._bootstrap} has no topic {self._topic}:"
            " is this the platform's cluster, and has the registry started once?"
        )

    @staticmethod
    async def _position(
        consumer: AIOKafkaConsumer, partitions: list[TopicPartition], at: StartAt
    ) -> None:
        # Positions are looked up now and set explicitly, not left to the first fetch, so
        # "only new" means new since the status line said the tail is following.
        ends = await consumer.end_offsets(partitions)
        if at.since is not None:
            since_ms = max(0, int(at.since.timestamp() * 1000))  # Kafka refuses times < 1970
            wanted = {tp: since_ms for tp in partitions}
            found = await consumer.offsets_for_times(wanted)
            # None: no record that recent on that partition yet, so start at its end.
            offsets = {tp: found[tp].offset if found.get(tp) else ends[tp] for tp in partitions}
        elif at.from_beginning:
            offsets = await consumer.beginning_offsets(partitions)
        else:
            offsets = ends
        for tp in partitions:
            consumer.seek(tp, offsets[tp])
