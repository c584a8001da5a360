"""Composition root: builds the dispatcher's clients, view, sinks and consumer."""

import os
import socket

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from senflow.common import topics
from senflow.common.compacted_view import CompactedTopicView
from senflow.common.kafka_admin import ensure_topics
from senflow.common.lifecycle import stop_on_signals
from senflow.common.ops_server import OpsServer
from senflow.dispatcher.consumer import DeliveryConsumer
from senflow.dispatcher.destinations import DestinationView
from senflow.dispatcher.health import HealthTracker
from senflow.dispatcher.health_publisher import HealthPublisher
from senflow.dispatcher.outcomes import OutcomeReporter
from senflow.dispatcher.settings import DispatcherSettings
from senflow.dispatcher.sinks.factory import running_sinks


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
        auto_offset_reset=settings.auto_offset_reset,
        max_poll_interval_ms=int(settings.max_poll_interval_s * 1000),
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap, acks="all", enable_idempotence=True
    )
    health = HealthTracker(
        reporter=f"{socket.gethostname()}:{os.getpid()}",
        auto_disable_after_s=settings.auto_disable_after_s,
        probe_interval_s=settings.probe_interval_s,
    )
    outcomes = OutcomeReporter(producer, health)
    health_publisher = HealthPublisher(producer, health)
    ops = OpsServer(settings.http_host, settings.http_port, lambda: follower.loaded)
    await ops.start()
    await follower.start()
    await producer.start()
    await outcomes.start()
    await health_publisher.start()
    try:
        async with running_sinks(settings, producer, health, outcomes) as sinks:
            await consumer.start()
            try:
                await DeliveryConsumer(
                    consumer,
                    producer,
                    view,
                    follower,
                    sinks,
                    outcomes,
                    lane_slots=settings.lane_slots,
                    lane_capacity=settings.lane_capacity,
                    commit_interval_s=settings.commit_interval_s,
                ).run(stop)
            finally:
                await consumer.stop()  # run() has returned: no delivery is in progress
    finally:
        await health_publisher.stop()  # with a last round: the latest changes are sent
        await outcomes.stop()
        await producer.stop()
        await follower.stop()
        await ops.stop()
