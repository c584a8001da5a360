"""Which deliveries `senflow tail` shows: the filter, and showing each decoded message once.

The router turns one uplink into one delivery per flow, decoder and destination, all with
the same message id. Tail shows decoded messages, not deliveries, so it keeps the first
delivery of each (message id, flow, decoder) and drops the others: the decoder is a pure
function of the uplink, so those three name one decoded SenML pack, whichever destination
it was bound for. The same key also hides the duplicates at-least-once delivery makes (a
router that restarts routes an uplink again with the same message id) and a dead letter's
replay seen in the same run. A flow with two decoders shows two lines per uplink, one per
decoder, because those are two different decodings.
"""

from collections import OrderedDict
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from senflow.common import headers as h
from senflow.common.deliveries import Delivery
from senflow.common.errors import ContractError
from senflow.common.serde import loads

# One uplink's deliveries are produced together onto one partition (key = device id), so
# its duplicates follow within a few records; a bounded window keeps memory flat on a
# `--from-beginning` run over days of traffic. A duplicate further back (a replay made
# hours later) shows again, marked as a replay.
DEDUPE_WINDOW = 10_000

DedupeKey = tuple[str, str, str]


@dataclass(frozen=True)
class Selection:
    """Devices, flows and customers to show; an empty set does not restrict. A delivery is
    shown when it matches every set given."""

    devices: frozenset[str] = frozenset()
    flows: frozenset[str] = frozenset()
    customers: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls,
        devices: Collection[str] = (),
        flows: Collection[str] = (),
        customers: Collection[str] = (),
    ) -> "Selection":
        return cls(frozenset(devices), frozenset(flows), frozenset(customers))

    @property
    def empty(self) -> bool:
        return not (self.devices or self.flows or self.customers)

    def may_match(self, record_headers: Mapping[str, str]) -> bool:
        """A cheap first look at the record's headers, before its value is parsed: False
        only when a header the router wrote rules the record out. A record without those
        headers is let through, and `matches` decides on its value."""
        return (
            _allowed(self.devices, record_headers.get(h.DEVICE_ID))
            and _allowed(self.flows, record_headers.get(h.FLOW_ID))
            and _allowed(self.customers, record_headers.get(h.CUSTOMER_ID))
        )

    def matches(self, delivery: Delivery) -> bool:
        return (
            _allowed(self.devices, delivery.device_id)
            and _allowed(self.flows, delivery.flow_id)
            and _allowed(self.customers, delivery.customer_id)
        )

    def describe(self) -> str:
        """For the status line: 'device a, flow b'."""
        parts = [
            f"{label} {', '.join(sorted(values))}"
            for label, values in (
                ("device", self.devices),
                ("flow", self.flows),
                ("customer", self.customers),
            )
            if values
        ]
        return "; ".join(parts) or "everything"


def _allowed(wanted: frozenset[str], value: str | None) -> bool:
    return not wanted or value is None or value in wanted


def dedupe_key(delivery: Delivery) -> DedupeKey:
    decoder = f"{delivery.decoder.id}@{delivery.decoder.version}"
    return (delivery.message_id, delivery.flow_id, decoder)


class Deduper:
    """Remembers the latest `window` keys; `first_time` says whether a key is new."""

    def __init__(self, window: int = DEDUPE_WINDOW) -> None:
        self._window = window
        self._seen: OrderedDict[DedupeKey, None] = OrderedDict()

    def first_time(self, key: DedupeKey) -> bool:
        if key in self._seen:
            self._seen.move_to_end(key)
            return False
        self._seen[key] = None
        if len(self._seen) > self._window:
            self._seen.popitem(last=False)
        return True


class MessagePicker:
    """From raw records to the decoded messages to show: the selection's, each once.
    `invalid` counts records that were no valid delivery (skipped, not fatal: one bad
    record must not end a tail)."""

    def __init__(self, selection: Selection, window: int = DEDUPE_WINDOW) -> None:
        self._selection = selection
        self._deduper = Deduper(window)
        self.invalid = 0

    def pick(self, record_headers: Mapping[str, str], value: bytes | None) -> Delivery | None:
        if not self._selection.may_match(record_headers):
            return None  # most records, on a busy platform: not even parsed
        try:
            delivery = loads(Delivery, value)
        except ContractError:
            self.invalid += 1
            return None
        if not self._selection.matches(delivery):
            return None
        return delivery if self._deduper.first_time(dedupe_key(delivery)) else None
