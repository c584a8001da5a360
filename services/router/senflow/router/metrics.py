"""The router's Prometheus metrics (served on `/metrics`)."""

from prometheus_client import Counter

UPLINKS = Counter(
    "senflow_router_uplinks_total",
    "Uplinks handled, by outcome: routed, or the dead-letter reason.",
    ["outcome"],
)
DELIVERIES_EMITTED = Counter(
    "senflow_router_deliveries_emitted_total", "Deliveries written to senflow.deliveries.v1."
)
