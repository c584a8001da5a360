"""The downlinks waiting for an Internet or M2M device's next uplink, as one ingest holds them.
Pure.

Fed with the registry's downlink change events (`senflow.downlinks.v1`, which every ingest
replica reads in full): a downlink is held while its status is `executing` and let go on
any other status (`sent` by this or another replica, `expired`, `failed`) or when it is
deleted. Events no newer than what is held (by entity version) change nothing.

A device's downlinks are handed out oldest first (by `created_at`), one per uplink, never
past their `expires_at` (the registry expires those; they are just let go here). A claimed
downlink is not offered to a second uplink until it is `released` (its `sent` report was
not acknowledged: it stays pending) or `handed_out` (gone; its version is remembered, so
a late copy of its `executing` event does not bring it back).

Bounded: at most `max_per_device` per device and `max_total` in all. A downlink that would
go beyond is not held (reported through `on_drop`): it stays `executing` in the registry
and expires there, visibly.
"""

import bisect
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from senflow.common.downlinks import DownlinkSnapshot
from senflow.common.events import ChangeEvent
from senflow.router.downlink_payload import DevicePayload, device_payload

DIRECT_NETWORKS = frozenset({"INTERNET", "M2M"})
# Why a downlink is let go without being handed out (the `on_drop` reasons).
DEVICE_FULL = "device-full"
INGEST_FULL = "ingest-full"
UNUSABLE = "unusable"  # executing, yet without bytes to send
EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class PendingDownlink:
    id: str
    customer_id: str
    device_id: str
    network_type: str
    created_at: datetime
    expires_at: datetime
    version: int
    payload: DevicePayload = field(repr=False)

    @property
    def order(self) -> tuple[datetime, str]:
        return (self.created_at, self.id)


class PendingDownlinks:
    def __init__(
        self,
        max_per_device: int,
        max_total: int,
        on_drop: Callable[[str], None] = lambda reason: None,
    ) -> None:
        self._max_per_device = max_per_device
        self._max_total = max_total
        self._on_drop = on_drop
        self._by_id: dict[str, PendingDownlink] = {}
        # (device id, network type) -> its downlinks, oldest first
        self._by_device: dict[tuple[str, str], list[PendingDownlink]] = {}
        self._claimed: set[str] = set()
        # Versions of downlinks let go, so a late copy of an older event is recognised.
        self._gone: OrderedDict[str, int] = OrderedDict()

    def __len__(self) -> int:
        return len(self._by_id)

    def apply(
        self, downlink_id: str, event: ChangeEvent[DownlinkSnapshot] | None, now: datetime
    ) -> None:
        """One record of the downlink topic (`None`: a tombstone, the downlink is deleted)."""
        downlink = event.snapshot if event is not None else None
        if event is None or downlink is None:
            self._let_go(downlink_id)
            return
        if downlink.network_type not in DIRECT_NETWORKS:
            return
        held = self._by_id.get(downlink_id)
        known = held.version if held is not None else self._gone.get(downlink_id, 0)
        if event.entity_version <= known:
            return
        if downlink.status != "executing":
            self._let_go(downlink_id, event.entity_version)
            return
        if held is not None:  # executing twice: keep the newer copy
            self._remove(downlink_id)
        self._hold(downlink, event.entity_version, now)

    def claim(
        self, device_id: str, customer_id: str, network_type: str, now: datetime
    ) -> PendingDownlink | None:
        """The device's oldest downlink not expired and not claimed already, now claimed."""
        for pending in list(self._by_device.get((device_id, network_type), ())):
            if pending.expires_at <= now:
                self._expire(pending)
            elif pending.id not in self._claimed and pending.customer_id == customer_id:
                self._claimed.add(pending.id)
                return pending
        return None

    def release(self, downlink_id: str) -> None:
        """The claim is withdrawn: the downlink is offered again on the next uplink."""
        self._claimed.discard(downlink_id)

    def handed_out(self, downlink_id: str) -> None:
        """The downlink went to its device: no longer pending here."""
        held = self._by_id.get(downlink_id)
        if held is not None:
            self._let_go(downlink_id, held.version)

    def _hold(self, downlink: DownlinkSnapshot, version: int, now: datetime) -> None:
        if downlink.expires_at <= now:
            return  # the registry expires it
        payload = device_payload(downlink)
        if payload is None:
            self._on_drop(UNUSABLE)
            return
        key = (downlink.device_id, downlink.network_type)
        queue = self._by_device.get(key, [])
        for stale in [p for p in queue if p.expires_at <= now]:
            self._expire(stale)
        queue = self._by_device.get(key, [])  # emptied queues are removed
        if len(queue) >= self._max_per_device:
            self._on_drop(DEVICE_FULL)
            return
        if len(self._by_id) >= self._max_total:
            self._drop_expired(now)
            if len(self._by_id) >= self._max_total:
                self._on_drop(INGEST_FULL)
                return
        pending = PendingDownlink(
            id=downlink.id,
            customer_id=downlink.customer_id,
            device_id=downlink.device_id,
            network_type=downlink.network_type,
            created_at=downlink.created_at,
            expires_at=downlink.expires_at,
            version=version,
            payload=payload,
        )
        bisect.insort(queue, pending, key=lambda p: p.order)
        self._by_device[key] = queue
        self._by_id[pending.id] = pending

    def _drop_expired(self, now: datetime) -> None:
        for pending in [p for p in self._by_id.values() if p.expires_at <= now]:
            self._expire(pending)

    def _expire(self, pending: PendingDownlink) -> None:
        """Let an expired downlink go, counted (the registry marks it expired)."""
        self._let_go(pending.id, pending.version)
        self._on_drop(EXPIRED)

    def _let_go(self, downlink_id: str, version: int | None = None) -> None:
        self._remove(downlink_id)
        if version is None:
            self._gone.pop(downlink_id, None)
            return
        self._gone[downlink_id] = version
        self._gone.move_to_end(downlink_id)
        while len(self._gone) > self._max_total:
            self._gone.popitem(last=False)

    def _remove(self, downlink_id: str) -> None:
        pending = self._by_id.pop(downlink_id, None)
        self._claimed.discard(downlink_id)
        if pending is None:
            return
        key = (pending.device_id, pending.network_type)
        queue = self._by_device.get(key, [])
        queue[:] = [p for p in queue if p.id != downlink_id]
        if not queue:
            self._by_device.pop(key, None)
