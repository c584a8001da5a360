"""Builds the sink of every destination type, each behind the rate-limit, health-gate and
retrying wrappers (retry(health gate(rate limit(sink))): every attempt is paced, and
reported and gated by the destination's health), and owns their lifecycle: part of the
composition root (`bootstrap.py`), split out to keep it short."""

import contextlib
from collections.abc import AsyncIterator

import aiohttp
from aiokafka import AIOKafkaProducer

from senflow.dispatcher.downlink_requests import KafkaDownlinkRequester
from senflow.dispatcher.egress import EgressPolicy, GuardedResolver
from senflow.dispatcher.health import HealthTracker
from senflow.dispatcher.outcomes import OutcomeReporter
from senflow.dispatcher.settings import DispatcherSettings
from senflow.dispatcher.sinks.base import Sink
from senflow.dispatcher.sinks.health_gate import HealthGatedSink
from senflow.dispatcher.sinks.https import HttpsSink
from senflow.dispatcher.sinks.kafka_topic import KafkaTopicSink
from senflow.dispatcher.sinks.mqtt import MqttSink
from senflow.dispatcher.sinks.payload import Bodies
from senflow.dispatcher.sinks.rate_limited import RateLimitedSink
from senflow.dispatcher.sinks.retrying import RetryingSink
from senflow.dispatcher.sinks.test_endpoint import TestEndpointSink


@contextlib.asynccontextmanager
async def running_sinks(
    settings: DispatcherSettings,
    producer: AIOKafkaProducer,
    health: HealthTracker,
    outcomes: OutcomeReporter,
) -> AsyncIterator[dict[str, Sink]]:
    """The sinks by destination type, started; stopped (their connections closed) on exit.

    `producer` is the dispatcher's own, on the platform's cluster (acks=all, idempotent):
    started before and stopped after the sinks by the caller, who also dead-letters with it.
    The downlinks HTTPS destinations ask for in their answers are published with it too.
    """
    key = settings.secrets_key_bytes
    egress = EgressPolicy(settings.egress_allow_cidrs)
    connector = aiohttp.TCPConnector(limit=256, resolver=GuardedResolver(egress))
    bodies = Bodies()  # format scripts, compiled once per destination
    kafka = KafkaTopicSink(producer, key, egress, settings.kafka_timeout_s, bodies)
    mqtt = MqttSink(key, egress, settings.mqtt_timeout_s, bodies=bodies)
    async with aiohttp.ClientSession(connector=connector) as session:
        https = HttpsSink(
            session,
            key,
            egress,
            settings.http_timeout_s,
            settings.response_excerpt_bytes,
            bodies,
            downlinks=KafkaDownlinkRequester(producer, settings.kafka_timeout_s),
        )
        sinks: dict[str, Sink] = {
            "https": https,
            "kafka": kafka,
            "mqtt": mqtt,
            "test": TestEndpointSink(producer, key, settings.kafka_timeout_s, bodies),
        }
        await kafka.start()
        await mqtt.start()
        try:
            yield {
                kind: RetryingSink(
                    HealthGatedSink(RateLimitedSink(sink), health, outcomes),
                    settings.max_attempts,
                    settings.backoff_initial_s,
                    settings.backoff_max_s,
                    max_age_s=settings.max_retry_age_s,
                    max_retry_after_s=settings.max_retry_after_s,
                )
                for kind, sink in sinks.items()
            }
        finally:
            await mqtt.stop()
            await kafka.stop()
