"""Kafka record header names, and helpers to read and write them as text."""

from collections.abc import Iterable, Mapping, Sequence

MESSAGE_ID = "senflow-message-id"
DELIVERY_ID = "senflow-delivery-id"
CUSTOMER_ID = "senflow-customer-id"
DEVICE_ID = "senflow-device-id"
FLOW_ID = "senflow-flow-id"
DESTINATION_ID = "senflow-destination-id"
DECODER = "senflow-decoder"
EVENT_TYPE = "senflow-event-type"
EVENT_ID = "senflow-event-id"
ENTITY_VERSION = "senflow-entity-version"
SCHEMA_VERSION = "senflow-schema-version"
# Dead letters: why the record was parked, and where it came from.
DLQ_REASON = "senflow-dlq-reason"
DLQ_DETAIL = "senflow-dlq-detail"
DLQ_SOURCE = "senflow-dlq-source"
DLQ_ATTEMPTS = "senflow-dlq-attempts"
DLQ_STATUS_CODE = "senflow-dlq-status-code"
DLQ_RESPONSE_EXCERPT = "senflow-dlq-response-excerpt"
DLQ_PREFIX = "senflow-dlq-"  # every dead-letter header starts with it
# A delivery re-published from the dead letters: the entry it replays (`<partition>-<offset>`).
REPLAY_OF = "senflow-replay-of"

KafkaHeaders = list[tuple[str, bytes]]


def encode_headers(values: Mapping[str, str | int | None]) -> KafkaHeaders:
    """Text headers as Kafka wants them; `None` values are left out."""
    return [(k, str(v).encode()) for k, v in values.items() if v is not None]


def decode_headers(
    raw: Iterable[tuple[str, bytes]] | Sequence[tuple[str, bytes]] | None,
) -> dict[str, str]:
    """Kafka headers as text; a header sent twice keeps its last value."""
    return {k: v.decode("utf-8", "replace") for k, v in (raw or ())}
