"""Composition root: builds the registry's pool, service, relay and web app from settings."""

import asyncio
import logging

import asyncpg
import uvicorn

from senflow.common.kafka_admin import ensure_topics
from senflow.common.lifecycle import stop_on_signals
from senflow.registry.adapters.activity_recorder import ActivityRecorder
from senflow.registry.adapters.dead_letter_replays import KafkaReplayPublisher
from senflow.registry.adapters.dead_letters import DeadLetterIndex
from senflow.registry.adapters.decoder_statuses import DecoderStatuses
from senflow.registry.adapters.destination_health import DestinationHealthReports
from senflow.registry.adapters.downlink_consumer import DownlinkConsumer
from senflow.registry.adapters.downlink_expiry import DownlinkExpiry
from senflow.registry.adapters.migrations import migrate
from senflow.registry.adapters.outbox_gauges import OutboxGauges
from senflow.registry.adapters.outbox_relay import OutboxRelay
from senflow.registry.adapters.test_messages import TestMessages
from senflow.registry.domain.downlink_plan import TtlPolicy
from senflow.registry.entrypoints.api.app import create_app
from senflow.registry.settings import RegistrySettings
from senflow.registry.wiring import UseCaseSet

log = logging.getLogger(__name__)


async def run(settings: RegistrySettings) -> None:
    """Migrate, then serve the API (with the outbox relay, the activity recorder, the
    downlink consumer and expiry) until cancelled or signalled."""
    async with asyncpg.create_pool(settings.dsn, min_size=1, max_size=settings.db_pool_max) as pool:
        async with pool.acquire() as conn:
            await migrate(conn)
        relay: OutboxRelay | None = None
        if settings.relay_enabled:
            await ensure_topics(settings.kafka_bootstrap)
            relay = _relay(settings)
            await relay.start()
        recorder: ActivityRecorder | None = None
        if settings.activity_enabled:  # waits for the uplink topics if they are not there yet
            recorder = ActivityRecorder(
                settings.dsn,
                settings.kafka_bootstrap,
                settings.activity_batch_size,
                settings.activity_flush_interval_s,
            )
            await recorder.start()

        async def ready() -> bool:
            # Ready = can serve the API. Relay leadership is not readiness: a standby
            # replica serves requests while another replica's relay leads.
            try:
                async with asyncio.timeout(2):
                    await pool.fetchval("SELECT 1")
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
                return False
            return True

        dead_letters = DeadLetterIndex(settings.kafka_bootstrap)
        replays = KafkaReplayPublisher(settings.kafka_bootstrap)
        ttl = TtlPolicy(settings.downlink_default_ttl_s, settings.downlink_max_ttl_s)
        use_cases = UseCaseSet.build(pool, settings.secrets_key_bytes, dead_letters, replays, ttl)
        expiry = DownlinkExpiry(use_cases.downlink_updates, settings.downlink_expiry_interval_s)
        await expiry.start()
        downlink_consumer: DownlinkConsumer | None = None
        if settings.downlink_consumer_enabled:
            downlink_consumer = DownlinkConsumer(
                use_cases.downlink_updates, settings.kafka_bootstrap, settings.downlink_group_id
            )
            await downlink_consumer.start()
        app = create_app(
            use_cases,
            settings.admin_token.get_secret_value(),
            ready,
            DecoderStatuses(settings.kafka_bootstrap),
            TestMessages(settings.kafka_bootstrap),
            (dead_letters, replays),
            DestinationHealthReports(settings.kafka_bootstrap),
            OutboxGauges(pool).refresh,
            settings.http_max_body_bytes,
        )
        server = uvicorn.Server(
            uvicorn.Config(
                app,
                host=settings.http_host,
                port=settings.http_port,
                log_config=None,
                access_log=False,
            )
        )
        try:
            await server.serve()
        finally:
            if downlink_consumer is not None:
                await downlink_consumer.stop()
            await expiry.stop()
            if recorder is not None:
                await recorder.stop()
            if relay is not None:
                await relay.stop()


async def run_relay(settings: RegistrySettings) -> None:
    """Only the outbox relay (for deployments that scale it apart from the API)."""
    stop = stop_on_signals()
    await ensure_topics(settings.kafka_bootstrap)
    relay = _relay(settings)
    await relay.start()
    try:
        await stop.wait()
    finally:
        await relay.stop()


def _relay(settings: RegistrySettings) -> OutboxRelay:
    return OutboxRelay(
        settings.dsn,
        settings.kafka_bootstrap,
        settings.relay_batch_size,
        settings.relay_poll_interval_s,
    )
