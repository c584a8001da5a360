"""The router's Prometheus metrics (served on `/metrics`)."""

from prometheus_client import Counter, Gauge, Histogram

UPLINKS = Counter(
    "senflow_router_uplinks_total",
    "Uplinks handled, by outcome: routed, or the dead-letter reason.",
    ["outcome"],
)
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
    "Queued downlinks taken, by network type and outcome: executing (encoded and handed to"
    " the network's path), failed (reported with its reason) or expired (past its time to"
    " live: left to the registry); network type unknown, outcome invalid-event: an"
    " unreadable change event, skipped.",
    ["network_type", "outcome"],
)
ENCODE_SECONDS = Histogram(
    "senflow_router_encode_seconds",
    "Time one encoder takes for one downlink, by encoder id (as-is: no encoder).",
    ["encoder"],
    buckets=(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1),
)
