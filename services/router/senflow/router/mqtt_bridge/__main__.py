"""`senflow-mqtt-bridge`: bridges MQTT device uplinks to Kafka, and MQTT devices'
downlinks from Kafka to the broker, until SIGTERM/SIGINT.

Exits 70 when Kafka refused an uplink's record: the messages it had not acknowledged stay
with the broker, and the supervisor (compose, systemd) starts the bridge again.
"""

import asyncio
import logging
import sys

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from senflow.common import topics
from senflow.common.kafka_admin import ensure_topics
from senflow.common.lifecycle import stop_on_signals
from senflow.common.logs import configure_logging
from senflow.common.ops_server import OpsServer
from senflow.router.mqtt_bridge.bridge import MqttBridge
from senflow.router.mqtt_bridge.broker import new_client
from senflow.router.mqtt_bridge.downlinks import DownlinkRelay
from senflow.router.mqtt_bridge.errors import KafkaRefused
from senflow.router.mqtt_bridge.settings import MqttBridgeSettings

log = logging.getLogger(__name__)

EX_SOFTWARE = 70


async def run(settings: MqttBridgeSettings) -> None:
    """Bridge until SIGTERM/SIGINT; raises `KafkaRefused` when Kafka refused a record, and
    whatever stopped the downlink consumer."""
    stop = stop_on_signals()
    await ensure_topics(settings.kafka_bootstrap)
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=2,  # messages arriving together share a batch
    )
    consumer = AIOKafkaConsumer(
        topics.DOWNLINKS,
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=settings.downlink_group_id,
        enable_auto_commit=False,  # committed once handled (see downlinks)
        auto_offset_reset="earliest",
    )
    bridge = MqttBridge(
        lambda: new_client(settings),
        producer,
        settings.topic_prefix,
        reconnect_initial_s=settings.reconnect_initial_s,
        reconnect_max_s=settings.reconnect_max_s,
        drain_timeout_s=settings.drain_timeout_s,
        publish_timeout_s=settings.downlink_publish_timeout_s,
    )
    relay = DownlinkRelay(
        bridge,
        producer,
        settings.topic_prefix,
        retry_initial_s=settings.reconnect_initial_s,
        retry_max_s=settings.reconnect_max_s,
    )
    downlinks: asyncio.Task[None] | None = None
    ops = OpsServer(
        settings.http_host,
        settings.http_port,
        lambda: downlinks is not None and not downlinks.done() and bridge.connected,
    )
    await ops.start()
    try:
        await producer.start()
        await consumer.start()
        # On a signal both stop: the downlink in hand is finished, uplinks in flight drain.
        downlinks = asyncio.create_task(relay.run(consumer, stop), name="downlinks")
        downlinks.add_done_callback(lambda _: stop.set())  # a failed consumer stops it all
        await bridge.run(stop)
    finally:
        stop.set()
        if downlinks is not None:
            await asyncio.wait({downlinks}, timeout=settings.drain_timeout_s)
            downlinks.cancel()
            await asyncio.wait({downlinks})
        await consumer.stop()
        await producer.stop()
        await ops.stop()
    if downlinks is not None and not downlinks.cancelled() and (failure := downlinks.exception()):
        raise failure


def main() -> None:
    settings = MqttBridgeSettings()  # reads the environment
    configure_logging(settings.log_level)
    try:
        asyncio.run(run(settings))
    except KafkaRefused as err:
        log.critical("Kafka refused a record: stopping the MQTT bridge: %s", err)
        logging.shutdown()
        sys.exit(EX_SOFTWARE)


if __name__ == "__main__":
    main()
