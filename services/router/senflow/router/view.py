"""The registry as the router needs it: devices by network identifier, flows by device,
and customers' DIY codecs.

Pure in-memory state fed by the registry's compacted topics (see CompactedTopicView).
A record older than what the view holds (by entity version) is ignored, so replays and
the relay's at-least-once duplicates are harmless.
"""

import logging
from collections import defaultdict

from senflow.common import topics
from senflow.common.errors import ContractError
from senflow.common.events import ChangeEvent, CodecSnapshot, DeviceSnapshot, FlowSnapshot
from senflow.common.serde import loads

log = logging.getLogger(__name__)


class RegistryView:
    def __init__(self) -> None:
        self._devices: dict[str, DeviceSnapshot] = {}
        self._by_network: dict[tuple[str, str], str] = {}
        self._flows: dict[str, FlowSnapshot] = {}
        self._flows_by_device: defaultdict[str, set[str]] = defaultdict(set)
        self._codecs: dict[str, CodecSnapshot] = {}
        self._versions: dict[tuple[str, str], int] = {}

    # --- queries ---------------------------------------------------------------------
    def device_by_network(self, network_type: str, identifier: str) -> DeviceSnapshot | None:
        device_id = self._by_network.get((network_type, identifier))
        return self._devices.get(device_id) if device_id else None

    def flows_of(self, device_id: str) -> list[FlowSnapshot]:
        """The device's flows, enabled ones only, in a stable order."""
        flows = (self._flows[f] for f in sorted(self._flows_by_device.get(device_id, ())))
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
        if version <= self._versions.get((kind, entity_id), 0):
            return False
        self._versions[(kind, entity_id)] = version
        return True

    def _apply_device(self, device_id: str, value: bytes | None) -> None:
        if value is None:
            self._drop_device(device_id)
            self._versions.pop(("device", device_id), None)
            return
        event = loads(ChangeEvent[DeviceSnapshot], value)
        if event.snapshot is None or not self._newer("device", device_id, event.entity_version):
            return
        self._drop_device(device_id)
        device = event.snapshot
        self._devices[device_id] = device
        for info in device.network_info:
            self._by_network[(info.network_type, info.identifier)] = device_id

    def _drop_device(self, device_id: str) -> None:
        old = self._devices.pop(device_id, None)
        for info in old.network_info if old else ():
            self._by_network.pop((info.network_type, info.identifier), None)

    def _apply_flow(self, flow_id: str, value: bytes | None) -> None:
        if value is None:
            self._drop_flow(flow_id)
            self._versions.pop(("flow", flow_id), None)
            return
        event = loads(ChangeEvent[FlowSnapshot], value)
        if not self._newer("flow", flow_id, event.entity_version) or event.snapshot is None:
            return
        self._drop_flow(flow_id)
        flow = event.snapshot
        self._flows[flow_id] = flow
        for device_id in flow.device_ids:
            self._flows_by_device[device_id].add(flow_id)

    def _apply_codec(self, codec_id: str, value: bytes | None) -> None:
        if value is None:
            self._codecs.pop(codec_id, None)
            self._versions.pop(("codec", codec_id), None)
            return
        event = loads(ChangeEvent[CodecSnapshot], value)
        if event.snapshot is not None and self._newer("codec", codec_id, event.entity_version):
            self._codecs[codec_id] = event.snapshot

    def _drop_flow(self, flow_id: str) -> None:
        old = self._flows.pop(flow_id, None)
        for device_id in old.device_ids if old else ():
            members = self._flows_by_device.get(device_id)
            if members is not None:
                members.discard(flow_id)
                if not members:
                    del self._flows_by_device[device_id]
