"""The router's registry view: versions win, tombstones delete, moves re-index."""

from datetime import UTC, datetime

from senflow.common import topics
from senflow.common.events import ChangeEvent, DeviceSnapshot, FlowSnapshot, NetworkInfoSnapshot
from senflow.common.serde import dumps
from senflow.router.view import RegistryView


def _device(version: int, dev_eui: str, status: str = "active") -> bytes:
    snap = DeviceSnapshot(
        id="d1",
        customer_id="c1",
        name="d",
        specification_id="own-lora",
        status=status,  # type: ignore[arg-type]
        network_info=(NetworkInfoSnapshot(network_type="KPNLORA", identifier=dev_eui),),
    )
    return dumps(_event("device", "d1", version, snap))


def _flow(version: int, device_ids: tuple[str, ...], enabled: bool = True) -> bytes:
    snap = FlowSnapshot(
        id="f1",
        customer_id="c1",
        project_id="p1",
        name="f",
        enabled=enabled,
        device_ids=device_ids,
        destination_ids=("x1",),
        decoder_ids=("lora-raw",),
    )
    return dumps(_event("flow", "f1", version, snap))


def _event(
    kind: str, eid: str, version: int, snap: DeviceSnapshot | FlowSnapshot
) -> ChangeEvent[DeviceSnapshot | FlowSnapshot]:
    return ChangeEvent[DeviceSnapshot | FlowSnapshot](
        event_id=f"{eid}-{version}",
        event_type="Changed",
        entity_type=kind,  # type: ignore[arg-type]
        entity_id=eid,
        entity_version=version,
        customer_id="c1",
        occurred_at=datetime.now(UTC),
        snapshot=snap,
    )


def test_device_is_found_by_its_network_identifier() -> None:
    view = RegistryView()
    view.apply(topics.REGISTRY_DEVICES, b"d1", _device(1, "AAAAAAAAAAAAAAAA"))
    device = view.device_by_network("KPNLORA", "AAAAAAAAAAAAAAAA")
    assert device is not None and device.id == "d1"


def test_new_identifier_replaces_old_one_when_device_changes() -> None:
    view = RegistryView()
    view.apply(topics.REGISTRY_DEVICES, b"d1", _device(1, "AAAAAAAAAAAAAAAA"))
    view.apply(topics.REGISTRY_DEVICES, b"d1", _device(2, "BBBBBBBBBBBBBBBB"))
    assert view.device_by_network("KPNLORA", "AAAAAAAAAAAAAAAA") is None
    assert view.device_by_network("KPNLORA", "BBBBBBBBBBBBBBBB") is not None


def test_stale_version_is_ignored_when_replayed() -> None:
    view = RegistryView()
    view.apply(topics.REGISTRY_DEVICES, b"d1", _device(2, "BBBBBBBBBBBBBBBB"))
    view.apply(topics.REGISTRY_DEVICES, b"d1", _device(1, "AAAAAAAAAAAAAAAA"))
    assert view.device_by_network("KPNLORA", "BBBBBBBBBBBBBBBB") is not None
    assert view.device_by_network("KPNLORA", "AAAAAAAAAAAAAAAA") is None


def test_tombstone_removes_device() -> None:
    view = RegistryView()
    view.apply(topics.REGISTRY_DEVICES, b"d1", _device(1, "AAAAAAAAAAAAAAAA"))
    view.apply(topics.REGISTRY_DEVICES, b"d1", None)
    assert view.device_by_network("KPNLORA", "AAAAAAAAAAAAAAAA") is None


def test_flows_of_device_follow_membership_and_enabled_flag() -> None:
    view = RegistryView()
    view.apply(topics.REGISTRY_FLOWS, b"f1", _flow(1, ("d1",)))
    assert [f.id for f in view.flows_of("d1")] == ["f1"]
    view.apply(topics.REGISTRY_FLOWS, b"f1", _flow(2, ("d2",)))
    assert view.flows_of("d1") == []
    assert [f.id for f in view.flows_of("d2")] == ["f1"]
    view.apply(topics.REGISTRY_FLOWS, b"f1", _flow(3, ("d2",), enabled=False))
    assert view.flows_of("d2") == []


def test_unreadable_record_is_skipped_without_raising() -> None:
    view = RegistryView()
    view.apply(topics.REGISTRY_DEVICES, b"d1", b"{not json")
    view.apply(topics.REGISTRY_DEVICES, b"d1", _device(1, "AAAAAAAAAAAAAAAA"))
    assert view.size == (1, 0)
