"""One record to Kafka for a sink: bounded in time, with failures classified by the
error's own `retriable` flag rather than by a list of exception types."""

import asyncio

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, KafkaTimeoutError

from senflow.common.headers import KafkaHeaders
from senflow.dispatcher.errors import DeliveryFailed


async def send_record(
    producer: AIOKafkaProducer,
    topic: str,
    key: bytes | None,
    value: bytes,
    headers: KafkaHeaders,
    timeout_s: float,
) -> None:
    """Returns once the cluster acknowledged the record (as the producer's `acks` asks).

    A timeout does not unsend: a record already handed to the producer may still be
    written, so the retry that follows may make a duplicate (same delivery id)."""
    try:
        async with asyncio.timeout(timeout_s):
            await producer.send_and_wait(topic, value=value, key=key, headers=headers)
    except TimeoutError as err:
        detail = f"no acknowledgement within {timeout_s}s"
        if producer.client.cluster.partitions_for_topic(topic) is None:
            detail += f"; the cluster does not know topic {topic} (does it exist?)"
        raise DeliveryFailed("timeout", detail, retriable=True) from err
    except KafkaError as err:
        raise kafka_failure(err) from err


def kafka_failure(err: KafkaError) -> DeliveryFailed:
    """`kafka-unavailable` (retried) for what may pass: timeouts, lost connections, too
    few in-sync replicas, a leader moving; `kafka-refused` (dead-lettered at once) for
    what will not: authorization, a record too large, an invalid topic."""
    detail = str(err) or type(err).__name__
    if err.retriable or isinstance(err, KafkaTimeoutError):
        return DeliveryFailed("kafka-unavailable", detail, retriable=True)
    return DeliveryFailed("kafka-refused", detail, retriable=False)
