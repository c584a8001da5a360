"""Producing uplinks and reading topics from the tests, with aiokafka."""

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from senflow.common import topics


def lora_uplink(dev_eui: str, f_cnt: int, payload_hex: str = "01A2", **extra: Any) -> bytes:
    body = {
        "dev_eui": dev_eui,
        "f_port": 2,
        "f_cnt_up": f_cnt,
        "payload_hex": payload_hex,
        "received_at": datetime.now(UTC).isoformat(),
        **extra,
    }
    return json.dumps(body).encode()


async def produce(
    producer: AIOKafkaProducer, key: str, value: bytes, topic: str = topics.UPLINKS_RAW_LORA
) -> None:
    await producer.send_and_wait(topic, key=key.encode(), value=value)


class TopicReader:
    """Reads a topic from the end offsets it had when created, i.e. only new records."""

    def __init__(self, bootstrap: str, topic: str, start_at: dict[Any, int] | None = None) -> None:
        self._bootstrap = bootstrap
        self._topic = topic
        self._start_at = start_at
        self._consumer: AIOKafkaConsumer | None = None
        self.records: list[ConsumerRecord[bytes, bytes]] = []

    async def start(self) -> "TopicReader":
        # Without a group, aiokafka assigns every partition of the subscribed topic.
        self._consumer = AIOKafkaConsumer(
            self._topic, bootstrap_servers=self._bootstrap, group_id=None, enable_auto_commit=False
        )
        await self._consumer.start()
        partitions = list(self._consumer.assignment())
        if self._start_at is not None:
            for tp in partitions:
                self._consumer.seek(tp, self._start_at.get(tp, 0))
            return self
        await self._consumer.seek_to_end(*partitions)
        for tp in partitions:  # resolve "end" now, not at the first fetch
            await self._consumer.position(tp)
        return self

    async def positions(self) -> dict[Any, int]:
        """Where this reader stands, to start another reader there later."""
        assert self._consumer is not None
        return {tp: await self._consumer.position(tp) for tp in self._consumer.assignment()}

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()

    async def wait_for(
        self, match: "Any", count: int = 1, timeout_s: float = 20.0
    ) -> list[ConsumerRecord[bytes, bytes]]:
        """Read until `count` records satisfy `match(record)`; those records."""
        assert self._consumer is not None
        async with asyncio.timeout(timeout_s):
            while True:
                found = [r for r in self.records if match(r)]
                if len(found) >= count:
                    return found
                batches = await self._consumer.getmany(timeout_ms=200)
                for recs in batches.values():
                    self.records.extend(recs)


def header(record: ConsumerRecord[bytes, bytes], name: str) -> str | None:
    for k, v in record.headers or ():
        if k == name:
            return v.decode()
    return None


async def wait_group_caught_up(
    bootstrap: str, group_id: str, topic: str, timeout_s: float = 60.0
) -> None:
    """Wait until `group_id` has committed every record `topic` holds now (lag 0)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None)
    await admin.start()
    await consumer.start()
    try:
        ends = await consumer.end_offsets(list(consumer.assignment()))
        async with asyncio.timeout(timeout_s):
            while True:
                committed = await admin.list_consumer_group_offsets(group_id)
                if all(
                    tp in committed and committed[tp].offset >= end
                    for tp, end in ends.items()
                    if end > 0
                ):
                    return
                await asyncio.sleep(0.1)
    finally:
        await consumer.stop()
        await admin.close()


async def create_topic(bootstrap: str, name: str, partitions: int = 1) -> None:
    """A customer's topic on the platform's cluster (the broker creates none by itself)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, replication_factor=1)])
    finally:
        await admin.close()
