"""The MQTT bridge as a process of its own, for tests that need it (the platform fixture
starts none): connected to a test broker, with its own broker session."""

import contextlib
import secrets
from collections.abc import Iterator

from tests.support.mosquitto import MqttBroker
from tests.support.platform import Platform
from tests.support.processes import ServiceProcess, free_port


@contextlib.contextmanager
def running_bridge(
    platform: Platform, broker: MqttBroker, log_name: str, **env: str
) -> Iterator[ServiceProcess]:
    """A ready bridge (subscribed, so the broker keeps every message from then on), with
    `env` on top of the platform's; its log is `log_name` beside the router's."""
    port = str(free_port())
    service = ServiceProcess(
        "mqtt-bridge",
        ["senflow-mqtt-bridge"],
        {
            **platform.env,
            "MQTT_BRIDGE_BROKER_HOST": broker.host,
            "MQTT_BRIDGE_BROKER_PORT": str(broker.port),
            "MQTT_BRIDGE_HTTP_PORT": port,
            # Its own session on the broker, whatever another run left there.
            "MQTT_BRIDGE_CLIENT_ID": f"senflow-mqtt-bridge-{secrets.token_hex(4)}",
            **env,
        },
        f"http://127.0.0.1:{port}/readyz",
        platform.router.log_path.with_name(log_name),
    )
    service.start()
    try:
        yield service
    finally:
        service.stop()
