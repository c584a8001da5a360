"""The dispatcher's Prometheus metrics (served on `/metrics`).

Labels are bounded sets (destination types, states, reasons, outcomes), never ids: a
destination's own health is on `senflow.destinations.health.v1` and the API.
"""

from typing import Any, TypeVar

from prometheus_client import Counter, Gauge, Histogram

Metric = TypeVar("Metric", Counter, Gauge, Histogram)

RECEIVED = Counter(
    "senflow_dispatcher_deliveries_received_total",
    "Delivery records taken from senflow.deliveries.v1 (records in).",
)
ATTEMPT_SECONDS = Histogram(
    "senflow_dispatcher_attempt_seconds",
    "One delivery attempt (the HTTP call, the Kafka or MQTT publish), by destination type and"
    " result (ok or failed).",
    ["destination_type", "result"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
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
    "From the uplink's receive time to the destination's acceptance, by destination type.",
    ["destination_type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
OUTCOMES = Counter(
    "senflow_dispatcher_delivery_outcomes_total",
    "Delivery outcomes (delivered, failed-attempt, dead-lettered), by destination type.",
    ["destination_type", "outcome"],
)
OUTCOME_EVENTS_LOST = Counter(
    "senflow_dispatcher_outcome_events_lost_total",
    "Outcome events not published: Kafka refused them, or too many were waiting (overflow).",
    ["cause"],
)
DESTINATION_STATE = Gauge(
    "senflow_dispatcher_destination_state",
    "Destinations this worker has delivered to, by type and health state.",
    ["destination_type", "state"],
)
ANSWER_DOWNLINKS = Counter(
    "senflow_dispatcher_answer_downlinks_total",
    "HTTPS answers that offered a downlink command (200/201, application/senml+json), by"
    " result: requested (published for the registry), not-published (Kafka did not take"
    " it), or why it was refused (too-large, token-missing, token-mismatch, invalid-senml,"
    " invalid-ttl, invalid-confirmed, unreadable).",
    ["result"],
)


_CHILDREN: dict[tuple[Any, tuple[str, ...]], Any] = {}


def labelled(metric: Metric, *values: str) -> Metric:
    """`metric.labels(*values)`, looked up once: `labels` takes a lock and builds its key
    on every call, which adds up per delivery. Labels are bounded sets, so is this."""
    key = (metric, values)
    child = _CHILDREN.get(key)
    if child is None:
        child = _CHILDREN[key] = metric.labels(*values)
    return child
