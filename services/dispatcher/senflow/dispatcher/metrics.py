"""The dispatcher's Prometheus metrics (served on `/metrics`)."""

from prometheus_client import Counter, Histogram

DELIVERED = Counter(
    "senflow_dispatcher_delivered_total",
    "Deliveries a destination accepted, by destination type.",
    ["destination_type"],
)
DEAD_LETTERED = Counter(
    "senflow_dispatcher_dead_lettered_total",
    "Deliveries parked in senflow.deliveries.deadletter.v1, by reason.",
    ["reason"],
)
FAILED_ATTEMPTS = Counter(
    "senflow_dispatcher_failed_attempts_total",
    "Delivery attempts that failed, by reason (retried or not).",
    ["reason"],
)
INGEST_TO_DELIVERED = Histogram(
    "senflow_dispatcher_ingest_to_delivered_seconds",
    "From the uplink's receive time to the destination's acceptance.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
