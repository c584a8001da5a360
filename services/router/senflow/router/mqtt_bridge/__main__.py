"""`senflow-mqtt-bridge`: bridges MQTT device uplinks to Kafka until SIGTERM/SIGINT.

Exits 70 when Kafka refused a record: the messages it had not acknowledged stay with the
broker, and the supervisor (compose, systemd) starts the bridge again.
"""

import asyncio
import logging
import sys

from aiokafka import AIOKafkaProducer

from senflow.common.kafka_admin import ensure_topics
from senflow.common.lifecycle import stop_on_signals
from senflow.common.logs import configure_logging
from senflow.common.ops_server import OpsServer
from senflow.router.mqtt_bridge.bridge import MqttBridge
from senflow.router.mqtt_bridge.broker import new_client
from senflow.router.mqtt_bridge.errors import KafkaRefused
from senflow.router.mqtt_bridge.settings import MqttBridgeSettings

log = logging.getLogger(__name__)

EX_SOFTWARE = 70


async def run(settings: MqttBridgeSettings) -> None:
    """Bridge until SIGTERM/SIGINT; raises `KafkaRefused` when Kafka refused a record."""
    stop = stop_on_signals()
    await ensure_topics(settings.kafka_bootstrap)
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=2,  # messages arriving together share a batch
    )
    bridge = MqttBridge(
        lambda: new_client(settings),
        producer,
        settings.topic_prefix,
        reconnect_initial_s=settings.reconnect_initial_s,
        reconnect_max_s=settings.reconnect_max_s,
        drain_timeout_s=settings.drain_timeout_s,
    )
    producer_started = False
    ops = OpsServer(
        settings.http_host, settings.http_port, lambda: producer_started and bridge.connected
    )
    await ops.start()
    try:
        await producer.start()
        producer_started = True
        await bridge.run(stop)
    finally:
        await producer.stop()
        await ops.stop()


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
