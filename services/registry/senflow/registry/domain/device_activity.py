"""Device activity (last seen, uplinks counted) as a batch of raw uplink records adds it up.

Pure: records in, per-sender and per-device tallies and the next offset per partition out.
The activity recorder reads the raw uplink topics, adds each record to an `ActivityBatch`,
resolves the batch's senders to devices and applies the whole batch, offsets included, in
one transaction (see `adapters/activity_recorder.py`).
"""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from senflow.common.errors import ContractError
from senflow.common.serde import loads
from senflow.common.topics import UPLINKS_RAW_DEVICE, UPLINKS_RAW_LORA
from senflow.common.uplinks import DeviceUplink, LoraUplink

# What the recorder reads: every uplink a device sent, routed or not.
UPLINK_TOPICS = (UPLINKS_RAW_LORA, UPLINKS_RAW_DEVICE)

# Why a record counts for no device (the label of the skipped-records metric).
INVALID_UPLINK = "invalid-uplink"
UNKNOWN_DEVICE = "unknown-device"
INTERNAL_ERROR = "internal-error"  # a record the recorder failed on (a bug): logged

# A receive time this far after Kafka stored the record is a clock running ahead: the
# record's own time is taken instead, so that it cannot pin last_seen_at in the future.
MAX_CLOCK_AHEAD = timedelta(minutes=5)

# A device's identity on one network: (network type, identifier), as `network_info` has it.
Sender = tuple[str, str]
# A topic partition, as (topic, partition).
Partition = tuple[str, int]


@dataclass(frozen=True)
class Activity:
    """A device's activity as the API shows it."""

    last_seen_at: datetime | None
    uplinks: int


NO_ACTIVITY = Activity(last_seen_at=None, uplinks=0)  # no uplink counted (yet)


@dataclass(frozen=True)
class Tally:
    """Uplinks counted and the latest receive time among them."""

    uplinks: int
    last_seen_at: datetime

    def plus(self, other: "Tally") -> "Tally":
        return Tally(self.uplinks + other.uplinks, max(self.last_seen_at, other.last_seen_at))


def sender_of(topic: str, value: bytes | None) -> tuple[Sender, datetime]:
    """Who sent the uplink in a raw record, and when it was received.

    The sender is named as the router resolves it: the DevEUI upper-case (as the registry
    stores it) for LoRa, the `DeviceUplink`'s network type and identifier otherwise.
    Raises `ContractError` for a record that is not a valid uplink of its topic (the
    router dead-letters those as `invalid-uplink`: they count for no device).
    """
    if topic == UPLINKS_RAW_LORA:
        lora = loads(LoraUplink, value)
        return ("KPNLORA", lora.dev_eui.upper()), lora.received_at
    if topic == UPLINKS_RAW_DEVICE:
        direct = loads(DeviceUplink, value)
        return (direct.network_type, direct.identifier), direct.received_at
    raise ContractError(f"{topic} is not a raw uplink topic")


@dataclass
class ActivityBatch:
    """Records read since the last batch was applied, added up per sender.

    `next_offsets` moves past every record added, valid or not, so a skipped record is
    never read again. `skipped` counts the records skipped before resolving, per reason.
    """

    senders: dict[Sender, Tally] = field(default_factory=dict)
    next_offsets: dict[Partition, int] = field(default_factory=dict)
    skipped: Counter[str] = field(default_factory=Counter)
    records: int = 0
    newest_timestamp_ms: int | None = None  # Kafka's time of the newest record added

    def add(
        self, topic: str, partition: int, offset: int, timestamp_ms: int, value: bytes | None
    ) -> None:
        """Add one record (in offset order per partition); a malformed one is skipped."""
        self._passed(topic, partition, offset, timestamp_ms)
        try:
            sender, received_at = sender_of(topic, value)
        except ContractError:
            self.skipped[INVALID_UPLINK] += 1
            return
        if timestamp_ms >= 0:  # -1: the record has no timestamp
            stored_at = datetime.fromtimestamp(timestamp_ms / 1000, UTC)
            if received_at > stored_at + MAX_CLOCK_AHEAD:
                received_at = stored_at
        tally = Tally(1, received_at)
        known = self.senders.get(sender)
        self.senders[sender] = tally if known is None else known.plus(tally)

    def _passed(self, topic: str, partition: int, offset: int, timestamp_ms: int) -> None:
        self.records += 1
        self.next_offsets[(topic, partition)] = offset + 1
        if self.newest_timestamp_ms is None or timestamp_ms > self.newest_timestamp_ms:
            self.newest_timestamp_ms = timestamp_ms

    def per_device(self, devices: Mapping[Sender, str]) -> tuple[dict[str, Tally], int]:
        """The tallies per device id, given the device id of each known sender; and the
        uplinks of the senders no device has (`unknown-device`). Leaves the batch as it is."""
        tallies: dict[str, Tally] = {}
        unknown = 0
        for sender, tally in self.senders.items():
            device_id = devices.get(sender)
            if device_id is None:
                unknown += tally.uplinks
                continue
            known = tallies.get(device_id)
            tallies[device_id] = tally if known is None else known.plus(tally)
        return tallies, unknown
