"""Builds the sink of every destination type, each behind the retrying wrapper, and owns
their lifecycle: part of the composition root (`bootstrap.py`), split out to keep it short."""

import contextlib
from collections.abc import AsyncIterator

import aiohttp
from aiokafka import AIOKafkaProducer

from senflow.dispatcher.egress import EgressPolicy, GuardedResolver
from senflow.dispatcher.settings import DispatcherSettings
from senflow.dispatcher.sinks.base import Sink
from senflow.dispatcher.sinks.https import HttpsSink
from senflow.dispatcher.sinks.kafka_topic import KafkaTopicSink
from senflow.dispatcher.sinks.mqtt import MqttSink
from senflow.dispatcher.sinks.retrying import RetryingSink
from senflow.dispatcher.sinks.test_endpoint import TestEndpointSink


@contextlib.asynccontextmanager
async def running_sinks(
    settings: DispatcherSettings, producer: AIOKafkaProducer
) -> AsyncIterator[dict[str, Sink]]:
    """The sinks by destination type, started; stopped (their connections closed) on exit.

    `producer` is the dispatcher's own, on the platform's cluster (acks=all, idempotent):
    started before and stopped after the sinks by the caller, who also dead-letters with it.
    """
    key = settings.secrets_key_bytes
    egress = EgressPolicy(settings.egress_allow_cidrs)
    connector = aiohttp.TCPConnector(limit=256, resolver=GuardedResolver(egress))
    kafka = KafkaTopicSink(producer, key, egress, settings.kafka_timeout_s)
    mqtt = MqttSink(key, egress, settings.mqtt_timeout_s)
    async with aiohttp.ClientSession(connector=connector) as session:
        https = HttpsSink(
            session, key, egress, settings.http_timeout_s, settings.response_excerpt_bytes
        )
        sinks: dict[str, Sink] = {
            "https": https,
            "kafka": kafka,
            "mqtt": mqtt,
            "test": TestEndpointSink(producer, key, settings.kafka_timeout_s),
        }
        await kafka.start()
        await mqtt.start()
        try:
            yield {
                kind: RetryingSink(
                    sink, settings.max_attempts, settings.backoff_initial_s, settings.backoff_max_s
                )
                for kind, sink in sinks.items()
            }
        finally:
            await mqtt.stop()
            await kafka.stop()
