"""Waits until the registry's change events for new devices (and their flow) are on Kafka.

The registry publishes its changes a moment after it answers (transactional outbox). The
router, the ingest and the MQTT bridge's path catch up with the registry topics when they
meet an unknown device, but only with what is published by then: an uplink sent before
its device's event reached Kafka is refused (401) or dead-lettered (`unknown-device`,
`no-flow`). So the simulator watches the topics from before it creates anything, and
sends only once every event it caused is there.
"""

import asyncio
import time

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from senflow.cli.simulate_errors import NotPublished, TargetUnreachable
from senflow.common import headers as h
from senflow.common import topics

WATCHED = (topics.REGISTRY_DEVICES, topics.REGISTRY_FLOWS)
CONNECT_TIMEOUT_S = 15.0


class PublishedWatch:
    """`start()` before the changes, `wait_for()` after them, `stop()` always (idempotent)."""

    def __init__(self, bootstrap: str) -> None:
        self._bootstrap = bootstrap
        self._consumer: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        """Connect and remember where the topics end now: later records are the changes'."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            group_id=None,
            enable_auto_commit=False,
            request_timeout_ms=int(CONNECT_TIMEOUT_S * 1000),
        )
        self._consumer = consumer  # first: `stop()` closes it even when `start()` fails
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT_S):
                await consumer.start()
                if missing := set(WATCHED) - await consumer.topics():
                    raise TargetUnreachable(
                        f"Kafka at {self._bootstrap} has no {', '.join(sorted(missing))}:"
                        " is the platform up?"
                    )
                partitions = [
                    TopicPartition(spec.name, p)
                    for spec in topics.ALL_TOPICS
                    if spec.name in WATCHED
                    for p in range(spec.partitions)
                ]
                consumer.assign(partitions)
                await consumer.seek_to_end(*partitions)
                for tp in partitions:  # resolves the end offsets now, before any change
                    await consumer.position(tp)
        except (KafkaError, TimeoutError) as err:
            await self.stop()
            raise TargetUnreachable(f"Kafka at {self._bootstrap} did not answer") from err

    async def wait_for(self, versions: dict[str, int], timeout_s: float = 15.0) -> None:
        """Return once a record of every entity id in `versions` with at least that
        `entity_version` has come by; `NotPublished` after `timeout_s`."""
        assert self._consumer is not None, "start() first"
        missing = dict(versions)
        deadline = time.monotonic() + timeout_s
        while missing:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise NotPublished(
                    f"the registry did not publish {len(missing)} of {len(versions)} changes"
                    f" within {timeout_s:.0f} s: is its outbox relay running?"
                )
            try:
                batches = await self._consumer.getmany(timeout_ms=int(min(remaining, 0.5) * 1000))
            except KafkaError as err:
                raise TargetUnreachable(f"Kafka at {self._bootstrap} failed: {err!r}") from err
            for records in batches.values():
                for record in records:
                    entity = record.key.decode() if record.key else ""
                    version = h.decode_headers(record.headers).get(h.ENTITY_VERSION, "0")
                    if entity in missing and int(version) >= missing[entity]:
                        del missing[entity]

    async def stop(self) -> None:
        if self._consumer is not None:
            consumer, self._consumer = self._consumer, None
            await consumer.stop()
