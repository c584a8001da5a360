"""The HTTP ingest's Prometheus metrics."""

from prometheus_client import Counter, Histogram

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
