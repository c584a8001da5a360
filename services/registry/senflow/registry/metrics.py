"""The registry's Prometheus metrics (served on the API's `/metrics`).

Labels are bounded sets (skip reasons), never ids: a device's own activity is in the API.
"""

from prometheus_client import Counter, Gauge

from senflow.registry.domain.device_activity import INTERNAL_ERROR, INVALID_UPLINK, UNKNOWN_DEVICE

OUTBOX_BACKLOG = Gauge(
    "senflow_registry_outbox_backlog",
    "Change events in the outbox waiting for the relay (refreshed when /metrics is read).",
)
OUTBOX_OLDEST_AGE = Gauge(
    "senflow_registry_outbox_oldest_age_seconds",
    "Age of the oldest change event waiting in the outbox; 0 when it is empty.",
)
OUTBOX_PUBLISHED = Counter(
    "senflow_registry_outbox_published_total",
    "Change events this process's relay published (Kafka acknowledged them).",
)
ACTIVITY_COUNTED = Counter(
    "senflow_registry_activity_uplinks_counted_total",
    "Uplinks counted in a device's activity (committed batches only).",
)
ACTIVITY_SKIPPED = Counter(
    "senflow_registry_activity_uplinks_skipped_total",
    "Uplink records counted for no device, by reason: invalid-uplink, unknown-device,"
    " internal-error.",
    ["reason"],
)
for _reason in (INVALID_UPLINK, UNKNOWN_DEVICE, INTERNAL_ERROR):
    ACTIVITY_SKIPPED.labels(_reason)  # each shows, as 0, before its first skip
ACTIVITY_BATCHES = Counter(
    "senflow_registry_activity_batches_total",
    "Batches of uplink records applied to the device activity (one transaction each).",
)
ACTIVITY_LAG = Gauge(
    "senflow_registry_activity_lag_seconds",
    "Now minus the Kafka time of the newest uplink record applied; 0 while none is waiting,"
    " and on a replica whose recorder stands by.",
)
ACTIVITY_LEADER = Gauge(
    "senflow_registry_activity_recorder_leader",
    "1 while this process's activity recorder is the one recording, else 0.",
)
