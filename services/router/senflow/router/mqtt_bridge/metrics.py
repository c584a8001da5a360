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
DOWNLINKS = Counter(
    "senflow_mqtt_bridge_downlinks_total",
    "Executing MQTT downlinks handled, by outcome: sent (the broker acknowledged it),"
    " failed (refused by the broker, or no topic for its client id), expired (not"
    " published before its expires_at), invalid-record, internal-error",
    ["outcome"],
)
DOWNLINK_PUBLISH_RETRIES = Counter(
    "senflow_mqtt_bridge_downlink_publish_retries_total",
    "Downlink publishes tried again because the broker was away or did not acknowledge",
)
DOWNLINK_REPORT_RETRIES = Counter(
    "senflow_mqtt_bridge_downlink_report_retries_total",
    "Downlink reports sent again because Kafka did not acknowledge them",
)
