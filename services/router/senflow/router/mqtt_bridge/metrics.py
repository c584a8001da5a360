"""The MQTT bridge's Prometheus metrics (served on `/metrics`)."""

from prometheus_client import Counter

BRIDGED = Counter(
    "senflow_mqtt_bridge_messages_bridged_total",
    "MQTT messages on senflow.uplinks.device.raw.v1 (Kafka acknowledged them).",
)
DEAD_LETTERED = Counter(
    "senflow_mqtt_bridge_dead_lettered_total",
    "MQTT messages parked in senflow.uplinks.deadletter.v1, by reason.",
    ["reason"],
)
BROKER_CONNECTIONS_LOST = Counter(
    "senflow_mqtt_bridge_broker_connections_lost_total",
    "Connections to the MQTT broker that failed or dropped (the bridge reconnects).",
)
