"""The router's Prometheus metrics (served on `/metrics`)."""

from prometheus_client import Counter, Gauge, Histogram

from senflow.router.errors import (
    DecodeFailed,
    DeviceDeactivated,
    InvalidUplink,
    NoFlow,
    UnknownDevice,
)

UPLINKS = Counter(
    "senflow_router_uplinks_total",
    "Uplinks handled, by outcome: routed, or the dead-letter reason.",
    ["outcome"],
)
UPLINK_OUTCOMES = (
    "routed",
    InvalidUplink.reason,
    UnknownDevice.reason,
    DeviceDeactivated.reason,
    NoFlow.reason,
    DecodeFailed.reason,
    "internal-error",  # app._Unexpected: a bug or an environment failure while routing
)


def show_uplink_outcomes() -> None:
    """Every outcome is exported, at 0, from the start: a series that only appears with
    its first dead letter, at 1, shows no increase() to the alert rules."""
    for outcome in UPLINK_OUTCOMES:
        UPLINKS.labels(outcome)


show_uplink_outcomes()
DELIVERIES_EMITTED = Counter(
    "senflow_router_deliveries_emitted_total", "Deliveries written to senflow.deliveries.v1."
)
DECODE_SECONDS = Histogram(
    "senflow_router_decode_seconds",
    "Time one decoder takes for one uplink, by decoder id.",
    ["decoder"],
    buckets=(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1),
)
DECODE_FAILURES = Counter(
    "senflow_router_decode_failures_total",
    "Uplinks a decoder failed on (its flow's copy was dead-lettered), by decoder id.",
    ["decoder"],
)
DECODER_FAILING = Gauge(
    "senflow_router_decoder_failing",
    "1 while a decoder keeps failing on this worker (see DecoderHealth), else 0, by decoder id.",
    ["decoder"],
)
DOWNLINKS_EXECUTED = Counter(
    "senflow_router_downlinks_executed_total",
    "Downlink events acted on, by network type and outcome: executing (a queued downlink"
    " encoded and reported), failed (reported with its reason), handed-over (an executing LoRa"
    " downlink published for the network server), expired (past its time to live: left to"
    " the registry); network type unknown, outcome invalid-event: an unreadable change"
    " event, skipped.",
    ["network_type", "outcome"],
)
ENCODE_SECONDS = Histogram(
    "senflow_router_encode_seconds",
    "Time one encoder takes for one downlink, by encoder id (as-is: no encoder).",
    ["encoder"],
    buckets=(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1),
)
