"""The HTTP ingest's Prometheus metrics."""

from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter(
    "senflow_ingest_requests_total",
    "Device requests to the HTTP ingest, by network type and outcome",
    ["network_type", "outcome"],
)
ACK_SECONDS = Histogram(
    "senflow_ingest_kafka_ack_seconds",
    "From a valid request to Kafka's acknowledgement of its uplink",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
)
DOWNLINKS_PENDING = Gauge(
    "senflow_ingest_downlinks_pending",
    "Downlinks this ingest holds for Internet and M2M devices' next uplinks",
)
DOWNLINKS_ANSWERED = Counter(
    "senflow_ingest_downlinks_answered_total",
    "Uplink answers carrying a downlink, by whether Kafka acknowledged its sent report"
    " (reported) or not (unreported: it stays pending and goes again with the next uplink)",
    ["outcome"],
)
DOWNLINKS_DROPPED = Counter(
    "senflow_ingest_downlinks_dropped_total",
    "Executing downlinks let go without being sent, by reason: expired, device-full or"
    " ingest-full (over INGEST_MAX_PENDING_DOWNLINKS_PER_DEVICE / INGEST_MAX_PENDING_DOWNLINKS;"
    " they expire in the registry), unusable (no bytes to send)",
    ["reason"],
)
