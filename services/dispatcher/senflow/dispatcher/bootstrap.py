"""Composition root: builds the dispatcher's clients, view, sinks and consumer."""

import aiohttp
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from senflow.common import topics
from senflow.common.compacted_view import CompactedTopicView
from senflow.common.kafka_admin import ensure_topics
from senflow.common.lifecycle import stop_on_signals
from senflow.common.ops_server import OpsServer
from senflow.dispatcher.consumer import DeliveryConsumer
from senflow.dispatcher.destinations import DestinationView
from senflow.dispatcher.egress import EgressPolicy, GuardedResolver
from senflow.dispatcher.settings import DispatcherSettings
from senflow.dispatcher.sinks.base import Sink
from senflow.dispatcher.sinks.https import HttpsSink
from senflow.dispatcher.sinks.retrying import RetryingSink


async def run(settings: DispatcherSettings) -> None:
    """Run until SIGTERM/SIGINT; the batch in hand is finished and committed before exit."""
    stop = stop_on_signals()
    await ensure_topics(settings.kafka_bootstrap)
    view = DestinationView()
    follower = CompactedTopicView(
        settings.kafka_bootstrap, (topics.REGISTRY_DESTINATIONS,), view.apply
    )
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=settings.group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_interval_ms=int(settings.max_poll_interval_s * 1000),
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap, acks="all", enable_idempotence=True
    )
    ops = OpsServer(settings.http_host, settings.http_port, lambda: follower.loaded)
    await ops.start()
    egress = EgressPolicy(settings.egress_allow_cidrs)
    connector = aiohttp.TCPConnector(limit=256, resolver=GuardedResolver(egress))
    async with aiohttp.ClientSession(connector=connector) as session:
        https = RetryingSink(
            HttpsSink(
                session,
                settings.secrets_key_bytes,
                egress,
                settings.http_timeout_s,
                settings.response_excerpt_bytes,
            ),
            settings.max_attempts,
            settings.backoff_initial_s,
            settings.backoff_max_s,
        )
        await follower.start()
        await producer.start()
        await consumer.start()
        try:
            sinks: dict[str, Sink] = {"https": https}
            await DeliveryConsumer(consumer, producer, view, follower, sinks).run(stop)
        finally:
            await consumer.stop()
            await producer.stop()
            await follower.stop()
            await ops.stop()
