"""MQTT bridge settings (env prefix `MQTT_BRIDGE_`, plus the platform's `SENFLOW_*`)."""

from typing import Annotated

from pydantic import Field, FilePath, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from senflow.common.settings import PlatformSettings

# The longest prefix whose topics (prefix, a 128-character client id, "up") still fit
# `DeviceUplink.source` (300 characters).
MAX_TOPIC_PREFIX_CHARS = 160


class MqttBridgeSettings(PlatformSettings):
    model_config = SettingsConfigDict(env_prefix="MQTT_BRIDGE_", extra="ignore", frozen=True)

    broker_host: str = "127.0.0.1"
    broker_port: Annotated[int, Field(ge=1, le=65535)] = 1883
    username: str | None = None
    password: SecretStr | None = None
    tls: Annotated[bool, Field(description="Connect to the broker over TLS")] = False
    tls_ca_file: Annotated[
        FilePath | None,
        Field(description="CA bundle that signed the broker's certificate; system CAs if unset"),
    ] = None
    topic_prefix: Annotated[
        str,
        Field(
            description="Devices publish to <prefix>/<client id>/up and read their"
            " downlinks from <prefix>/<client id>/down"
        ),
    ] = "senflow/devices"
    # The broker keeps the bridge's session (its subscription and the messages it has not
    # acknowledged) under this id: one bridge process per id.
    client_id: Annotated[str, Field(min_length=1, max_length=128)] = "senflow-mqtt-bridge"
    # How long the broker keeps the session (and queues messages) while the bridge is away.
    session_expiry_s: Annotated[int, Field(ge=60, le=0xFFFFFFFF)] = 7 * 24 * 3600
    # Messages the broker may have in flight to the bridge, unacknowledged (MQTT v5 Receive
    # Maximum): how many Kafka sends the bridge pipelines.
    receive_maximum: Annotated[int, Field(ge=1, le=65535)] = 100
    keepalive_s: Annotated[int, Field(ge=5, le=3600)] = 30
    reconnect_initial_s: Annotated[float, Field(gt=0)] = 0.5
    reconnect_max_s: Annotated[float, Field(gt=0)] = 30.0
    # On SIGTERM: how long to wait for Kafka to acknowledge what is in flight, so it can be
    # acknowledged to the broker (what is left is redelivered on the next start).
    drain_timeout_s: Annotated[float, Field(ge=0)] = 10.0
    http_host: str = "127.0.0.1"
    http_port: int = 8083
    # Downlinks: the consumer group that shares senflow.downlinks.v1 among the replicas,
    # and how long a downlink's publish waits for the broker's PUBACK before it is tried
    # again (reconnect_initial_s / reconnect_max_s pace the retries).
    downlink_group_id: Annotated[str, Field(min_length=1)] = "senflow-mqtt-bridge-downlinks"
    downlink_publish_timeout_s: Annotated[float, Field(gt=0)] = 10.0

    @field_validator("topic_prefix")
    @classmethod
    def _prefix_is_a_plain_topic(cls, v: str) -> str:
        if not v or v.startswith("/") or v.endswith("/") or v.startswith("$"):
            raise ValueError("must be a topic like senflow/devices (no leading or trailing /)")
        if any(c in v for c in "+#\0") or "//" in v:
            raise ValueError("must not hold wildcards (+, #), NUL or empty levels")
        if len(v) > MAX_TOPIC_PREFIX_CHARS:
            raise ValueError(f"must be at most {MAX_TOPIC_PREFIX_CHARS} characters")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> "MqttBridgeSettings":
        if self.password is not None and self.username is None:
            raise ValueError("MQTT_BRIDGE_PASSWORD needs MQTT_BRIDGE_USERNAME")
        if self.tls_ca_file is not None and not self.tls:
            raise ValueError("MQTT_BRIDGE_TLS_CA_FILE needs MQTT_BRIDGE_TLS=true")
        if self.reconnect_max_s < self.reconnect_initial_s:
            raise ValueError("MQTT_BRIDGE_RECONNECT_MAX_S is below MQTT_BRIDGE_RECONNECT_INITIAL_S")
        return self
