"""The registry's Prometheus metrics (served on the API's `/metrics`).

Labels are bounded sets (skip reasons), never ids: a device's own activity is in the API.
"""

from prometheus_client import Counter, Gauge

from senflow.registry.domain.device_activity import INTERNAL_ERROR, INVALID_UPLINK, UNKNOWN_DEVICE
from senflow.registry.domain.downlink_status import IGNORED_REASONS, SKIPPED_REASONS

DATABASE_UP = Gauge(
    "senflow_registry_database_up",
    "1 when PostgreSQL answered the last /metrics read, else 0 (the outbox gauges are NaN).",
)
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
OUTBOX_PARKED = Counter(
    "senflow_registry_outbox_parked_total",
    "Change events this process's relay parked in outbox_parked: Kafka refused them for"
    " good (e.g. too large); kept there for an operator, never published by themselves.",
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
DOWNLINKS_CREATED = Counter(
    "senflow_registry_downlinks_created_total",
    "Downlinks queued, by source: api, destination (a destination's answer).",
    ["source"],
)
for _source in ("api", "destination"):
    DOWNLINKS_CREATED.labels(_source)
DOWNLINK_UPDATES_APPLIED = Counter(
    "senflow_registry_downlink_updates_applied_total",
    "Status reports and LoRa results that moved a downlink, by the status it moved to (a"
    " late executing report that only records the bytes counts as executing).",
    ["status"],
)
for _status in ("executing", "sent", "acknowledged", "failed"):
    DOWNLINK_UPDATES_APPLIED.labels(_status)
DOWNLINK_UPDATES_IGNORED = Counter(
    "senflow_registry_downlink_updates_ignored_total",
    "Status reports and LoRa results that changed nothing, by reason: invalid-record,"
    " unknown-downlink, not-allowed (repeated, late or out of order), wrong-network,"
    " internal-error.",
    ["reason"],
)
for _reason in IGNORED_REASONS:
    DOWNLINK_UPDATES_IGNORED.labels(_reason)
DOWNLINK_REQUESTS_SKIPPED = Counter(
    "senflow_registry_downlink_requests_skipped_total",
    "Destinations' downlink requests that created no downlink, by reason: invalid-record,"
    " duplicate, not-owned, invalid-command, expired, internal-error.",
    ["reason"],
)
for _reason in SKIPPED_REASONS:
    DOWNLINK_REQUESTS_SKIPPED.labels(_reason)
DOWNLINKS_EXPIRED = Counter(
    "senflow_registry_downlinks_expired_total",
    "Downlinks expired: not sent within their time to live.",
)
