"""Partitions of the downlink topic paused while a downlink of theirs waits for the MQTT
broker, so that the consumer keeps polling (and stays in its group) meanwhile. Each
partition waits its own backoff delay, doubling from `initial_s` up to `max_s`, back to
`initial_s` once its records go through again. A partition revoked meanwhile is
forgotten: its new owner starts from the committed offset.
"""

import logging

from aiokafka import AIOKafkaConsumer, TopicPartition

log = logging.getLogger(__name__)


class PartitionWaits:
    """The partitions paused while a downlink of theirs waits for the broker, each until
    its backoff delay (doubling, from `initial_s` up to `max_s`) is over."""

    def __init__(self, initial_s: float, max_s: float) -> None:
        self._initial_s = initial_s
        self._max_s = max_s
        self._delay_s: dict[TopicPartition, float] = {}  # the next wait's length
        self._until: dict[TopicPartition, float] = {}  # paused ones: when to resume

    def read_again(self, consumer: AIOKafkaConsumer, tp: TopicPartition, offset: int) -> None:
        if tp in consumer.assignment():  # else its new owner starts from the commit
            consumer.seek(tp, offset)

    def pause(self, consumer: AIOKafkaConsumer, tp: TopicPartition, now: float) -> None:
        if tp not in consumer.assignment():
            return
        delay_s = self._delay_s.get(tp, self._initial_s)
        consumer.pause(tp)
        self._until[tp] = now + delay_s
        self._delay_s[tp] = min(delay_s * 2, self._max_s)
        log.info("downlinks of %s wait %.1f s for the MQTT broker", tp, delay_s)

    def went_on(self, tp: TopicPartition) -> None:
        """The partition's records were handled without waiting: its next wait is short."""
        self._delay_s.pop(tp, None)

    def resume_due(self, consumer: AIOKafkaConsumer, now: float) -> None:
        assigned = consumer.assignment()
        for tp, until in list(self._until.items()):
            if tp not in assigned:  # revoked meanwhile: its new owner goes on
                del self._until[tp]
                self._delay_s.pop(tp, None)
            elif until <= now:
                del self._until[tp]
                consumer.resume(tp)

    def next_resume_in(self, now: float) -> float:
        return max(0.0, min(self._until.values(), default=now + 3600) - now)
