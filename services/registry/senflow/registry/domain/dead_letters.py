"""Dead-lettered deliveries as the API shows them, and how a replay re-publishes one.

An entry is one record of `senflow.deliveries.deadletter.v1`, named `<partition>-<offset>`
(stable for the record's life). Everything shown comes from the record's headers, which
the router and dispatcher set; the delivery itself is only read for its SenML body (and
for ids a header lacks). A record whose value is no valid delivery (`invalid-delivery`)
is still listed, without a body.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson

from senflow.common import headers as h
from senflow.common.dead_letters import DeadLetterReplayed

MAX_KEPT_PER_DESTINATION = 10_000  # entries an API process holds per destination
MAX_REPLAYED_PER_REQUEST = 10_000

KafkaHeaders = tuple[tuple[str, bytes], ...]


class RecordLike(Protocol):
    """What a Kafka consumer record offers (aiokafka's `ConsumerRecord`, or a test's)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def timestamp(self) -> int: ...  # epoch milliseconds
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def headers(self) -> Sequence[tuple[str, bytes]]: ...


@dataclass(frozen=True, slots=True)
class DeadLetter:
    id: str
    destination_id: str
    message_id: str | None
    delivery_id: str | None
    device_id: str | None
    flow_id: str | None
    reason: str
    detail: str | None
    status_code: int | None
    attempts: int | None
    response_excerpt: str | None
    dead_lettered_at: datetime
    replay_of: str | None  # this failed as a replay of that entry
    # The record as it was dead-lettered: what a replay re-publishes.
    key: bytes | None
    value: bytes | None
    headers: KafkaHeaders

    @property
    def body(self) -> list[Any] | None:
        """The delivery's SenML pack; None when the value is no delivery."""
        senml = _delivery_fields(self.value).get("senml")
        return senml if isinstance(senml, list) else None


def dead_letter_of(record: RecordLike) -> DeadLetter | None:
    """The entry a dead-letter record makes; None when it names no destination."""
    found = h.decode_headers(record.headers)
    # The router sets every id as a header; the value is parsed only when one is missing.
    delivery = _delivery_fields(record.value) if not _has_ids(found) else {}

    def field(header: str, name: str) -> str | None:
        value = found.get(header) or delivery.get(name)
        return str(value) if value is not None else None

    destination_id = field(h.DESTINATION_ID, "destination_id")
    if destination_id is None:
        return None
    return DeadLetter(
        id=f"{record.partition}-{record.offset}",
        destination_id=destination_id,
        message_id=field(h.MESSAGE_ID, "message_id"),
        delivery_id=field(h.DELIVERY_ID, "delivery_id"),
        device_id=field(h.DEVICE_ID, "device_id"),
        flow_id=field(h.FLOW_ID, "flow_id"),
        reason=found.get(h.DLQ_REASON) or "unknown",
        detail=found.get(h.DLQ_DETAIL),
        status_code=_int(found.get(h.DLQ_STATUS_CODE)),
        attempts=_int(found.get(h.DLQ_ATTEMPTS)),
        response_excerpt=found.get(h.DLQ_RESPONSE_EXCERPT),
        dead_lettered_at=datetime.fromtimestamp(record.timestamp / 1000, UTC),
        replay_of=found.get(h.REPLAY_OF),
        key=record.key,
        value=record.value,
        headers=tuple(record.headers or ()),
    )


def replay_headers(headers: Iterable[tuple[str, bytes]], entry_id: str) -> list[tuple[str, bytes]]:
    """The delivery's own headers again: without the dead-letter ones (and the mark of an
    earlier replay), plus `senflow-replay-of` naming the entry."""
    kept = [(k, v) for k, v in headers if not k.startswith(h.DLQ_PREFIX) and k != h.REPLAY_OF]
    return [*kept, (h.REPLAY_OF, entry_id.encode())]


@dataclass(frozen=True)
class ReplayOutcome:
    """What a replay publisher did with a batch of replays."""

    replayed: list[DeadLetterReplayed]  # their deliveries are back on the deliveries topic
    failure: str | None = None  # why the others are not (None: all are)


@dataclass(frozen=True)
class DeadLetterFilter:
    """`since` inclusive, `until` exclusive (dead-lettered at); `reason` exact."""

    since: datetime | None = None
    until: datetime | None = None
    reason: str | None = None
    include_replayed: bool = True

    def matches(self, entry: DeadLetter, replayed: bool) -> bool:
        at = entry.dead_lettered_at
        return (
            (self.since is None or at >= self.since)
            and (self.until is None or at < self.until)
            and (self.reason is None or entry.reason == self.reason)
            and (self.include_replayed or not replayed)
        )


def _has_ids(found: dict[str, str]) -> bool:
    ids = (h.DESTINATION_ID, h.MESSAGE_ID, h.DELIVERY_ID, h.DEVICE_ID, h.FLOW_ID)
    return all(found.get(name) for name in ids)


def _delivery_fields(value: bytes | None) -> dict[str, Any]:
    try:
        parsed = orjson.loads(value or b"")
    except orjson.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None
