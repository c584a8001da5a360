"""The registry as the router needs it: devices by network identifier, flows by device,
and customers' DIY codecs.

Pure in-memory state fed by the registry's compacted topics (see CompactedTopicView).
A record older than what the view holds (by entity version) is ignored, so replays and
the relay's at-least-once duplicates are harmless.

Every router worker holds every device of the platform, so a device is kept compact
(`_Device`: tuples, one string per id, shared customer and specification ids; about
0.75 KB) rather than as its parsed snapshot (about 2.2 KB: each pydantic model's
`__dict__` and set of given fields, and a second model per network identity);
`device_by_network` builds the snapshot when asked (about 6 µs).
"""

import logging
import sys
from typing import NamedTuple

from senflow.common import topics
from senflow.common.errors import ContractError
from senflow.common.events import (
    ChangeEvent,
    CodecSnapshot,
    DeviceSnapshot,
    DeviceStatus,
    FlowSnapshot,
    NetworkInfoSnapshot,
    NetworkType,
)
from senflow.common.serde import loads

log = logging.getLogger(__name__)


class _Identity(NamedTuple):
    network_type: NetworkType
    identifier: str
    attributes: tuple[tuple[str, str], ...]
    sealed_secret: str | None


class _Device(NamedTuple):
    """A `DeviceSnapshot`'s fields, with its dicts as tuples of items."""

    id: str
    customer_id: str
    name: str
    specification_id: str
    status: DeviceStatus
    identities: tuple[_Identity, ...]
    barcode: str | None
    description: str
    tags: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, s: DeviceSnapshot) -> "_Device":
        identities = tuple(
            _Identity(i.network_type, i.identifier, tuple(i.attributes.items()), i.sealed_secret)
            for i in s.network_info
        )
        return cls(
            s.id,
            sys.intern(s.customer_id),  # a customer's devices share one string
            s.name,
            sys.intern(s.specification_id),
            s.status,
            identities,
            s.barcode,
            s.description,
            tuple(s.tags.items()),
        )

    def snapshot(self) -> DeviceSnapshot:
        """The snapshot this was made of (validated when it was read: not again)."""
        network_info = tuple(
            NetworkInfoSnapshot.model_construct(
                network_type=i.network_type,
                identifier=i.identifier,
                attributes=dict(i.attributes),
                sealed_secret=i.sealed_secret,
            )
            for i in self.identities
        )
        return DeviceSnapshot.model_construct(
            id=self.id,
            customer_id=self.customer_id,
            name=self.name,
            specification_id=self.specification_id,
            status=self.status,
            network_info=network_info,
            barcode=self.barcode,
            description=self.description,
            tags=dict(self.tags),
        )


class RegistryView:
    def __init__(self) -> None:
        self._devices: dict[str, _Device] = {}
        self._by_network: dict[str, dict[str, str]] = {}  # network type -> identifier -> id
        self._flows: dict[str, FlowSnapshot] = {}
        self._flows_by_device: dict[str, tuple[str, ...]] = {}  # flow ids, sorted
        self._codecs: dict[str, CodecSnapshot] = {}
        self._versions: dict[str, dict[str, int]] = {"device": {}, "flow": {}, "codec": {}}

    # --- queries ---------------------------------------------------------------------
    def device_by_network(self, network_type: str, identifier: str) -> DeviceSnapshot | None:
        device_id = self._by_network.get(network_type, {}).get(identifier)
        device = self._devices.get(device_id) if device_id else None
        return device.snapshot() if device else None

    def flows_of(self, device_id: str) -> list[FlowSnapshot]:
        """The device's flows, enabled ones only, in a stable order."""
        flows = (self._flows[f] for f in self._flows_by_device.get(device_id, ()))
        return [f for f in flows if f.enabled]

    def codec(self, codec_id: str) -> CodecSnapshot | None:
        """A customer's DIY codec (built-in codecs are not registry events)."""
        return self._codecs.get(codec_id)

    @property
    def size(self) -> tuple[int, int]:
        return len(self._devices), len(self._flows)

    # --- updates ---------------------------------------------------------------------
    def apply(self, topic: str, key: bytes | None, value: bytes | None) -> None:
        """Apply one registry record; a bad record is logged and skipped, never raised."""
        if key is None:
            return
        entity_id = key.decode()
        try:
            if topic == topics.REGISTRY_DEVICES:
                self._apply_device(entity_id, value)
            elif topic == topics.REGISTRY_FLOWS:
                self._apply_flow(entity_id, value)
            elif topic == topics.REGISTRY_CODECS:
                self._apply_codec(entity_id, value)
        except ContractError as err:
            log.error("skipping unreadable registry record on %s: %s", topic, err)

    def _newer(self, kind: str, entity_id: str, version: int) -> bool:
        versions = self._versions[kind]
        if version <= versions.get(entity_id, 0):
            return False
        versions[entity_id] = version
        return True

    def _apply_device(self, device_id: str, value: bytes | None) -> None:
        if value is None:
            self._drop_device(device_id)
            self._versions["device"].pop(device_id, None)
            return
        event = loads(ChangeEvent[DeviceSnapshot], value)
        if event.snapshot is None:
            return
        device_id = _one_string(event.snapshot.id, device_id)
        if not self._newer("device", device_id, event.entity_version):
            return
        self._drop_device(device_id)
        device = _Device.of(event.snapshot)
        self._devices[device_id] = device
        for info in device.identities:
            self._by_network.setdefault(info.network_type, {})[info.identifier] = device_id

    def _drop_device(self, device_id: str) -> None:
        old = self._devices.pop(device_id, None)
        for info in old.identities if old else ():
            self._by_network.get(info.network_type, {}).pop(info.identifier, None)

    def _apply_flow(self, flow_id: str, value: bytes | None) -> None:
        if value is None:
            self._drop_flow(flow_id)
            self._versions["flow"].pop(flow_id, None)
            return
        event = loads(ChangeEvent[FlowSnapshot], value)
        if event.snapshot is not None:
            flow_id = _one_string(event.snapshot.id, flow_id)
        if not self._newer("flow", flow_id, event.entity_version) or event.snapshot is None:
            return
        self._drop_flow(flow_id)
        flow = event.snapshot
        self._flows[flow_id] = flow
        for device_id in flow.device_ids:
            self._flows_by_device[device_id] = tuple(
                sorted((*self._flows_by_device.get(device_id, ()), flow_id))
            )

    def _apply_codec(self, codec_id: str, value: bytes | None) -> None:
        if value is None:
            self._codecs.pop(codec_id, None)
            self._versions["codec"].pop(codec_id, None)
            return
        event = loads(ChangeEvent[CodecSnapshot], value)
        if event.snapshot is not None and self._newer("codec", codec_id, event.entity_version):
            self._codecs[codec_id] = event.snapshot

    def _drop_flow(self, flow_id: str) -> None:
        old = self._flows.pop(flow_id, None)
        for device_id in old.device_ids if old else ():
            members = tuple(f for f in self._flows_by_device.get(device_id, ()) if f != flow_id)
            if members:
                self._flows_by_device[device_id] = members
            else:
                self._flows_by_device.pop(device_id, None)


def _one_string(in_snapshot: str, in_key: str) -> str:
    """The snapshot's copy of an id when the record's key says the same: the view then
    holds one string per id, not one per place it is indexed."""
    return in_snapshot if in_snapshot == in_key else in_key
