"""Memory of the router's registry view: bytes per device at a given fleet size.

The view is fed as the router feeds it: `RegistryView.apply(topic, key, value)` with the
change events the registry publishes (LoRa devices as registered: a DevEUI, a JoinEUI
attribute and the AppKey sealed with the platform key; flows of 100 devices, two
destinations and one decoder each). Measured with tracemalloc (every Python allocation the
view still holds once fed, after a collection), in a process of its own so the rest of a
benchmark neither pollutes nor pays for the tracing:
`python -m bench.capacity_memory --devices 10000 --devices 100000 [--json]`
"""

import argparse
import gc
import json
import sys
import tracemalloc
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from senflow.common import topics
from senflow.common.events import ChangeEvent, DeviceSnapshot, FlowSnapshot, NetworkInfoSnapshot
from senflow.common.secrets import generate_key, parse_key, seal
from senflow.common.serde import dumps
from senflow.router.view import RegistryView

DEVICES_PER_FLOW = 100


def _event(kind: str, entity_id: str, customer_id: str, snapshot: Any) -> bytes:
    event = ChangeEvent[Any](
        event_id=str(uuid.uuid4()),
        event_type="DeviceRegistered" if kind == "device" else "FlowCreated",
        entity_type=kind,  # type: ignore[arg-type]
        entity_id=entity_id,
        entity_version=1,
        customer_id=customer_id,
        occurred_at=datetime.now(UTC),
        snapshot=snapshot,
    )
    return dumps(event)


def registry_records(devices: int) -> Iterator[tuple[str, bytes, bytes]]:
    """(topic, key, value) of `devices` LoRa devices and their flows, in publishing order."""
    key = parse_key(generate_key())
    customer_id, project_id = str(uuid.uuid4()), str(uuid.uuid4())
    destinations = (str(uuid.uuid4()), str(uuid.uuid4()))
    members: list[str] = []
    for i in range(devices):
        device_id = str(uuid.uuid4())
        info = NetworkInfoSnapshot(
            network_type="KPNLORA",
            identifier=uuid.uuid4().hex[:16].upper(),
            attributes={"join_eui": "70B3D57ED0000000"},
            sealed_secret=seal(key, "44" * 16, bound_to=device_id),
        )
        device = DeviceSnapshot(
            id=device_id,
            customer_id=customer_id,
            name=f"sensor-{i:06d}",
            specification_id="cayenne-lpp-lora",
            status="active",
            network_info=(info,),
        )
        yield (
            topics.REGISTRY_DEVICES,
            device_id.encode(),
            _event("device", device_id, customer_id, device),
        )
        members.append(device_id)
        if len(members) == DEVICES_PER_FLOW or i == devices - 1:
            flow_id = str(uuid.uuid4())
            flow = FlowSnapshot(
                id=flow_id,
                customer_id=customer_id,
                project_id=project_id,
                name=f"flow-{i // DEVICES_PER_FLOW}",
                enabled=True,
                device_ids=tuple(members),
                destination_ids=destinations,
                decoder_ids=("cayenne-lpp",),
            )
            yield (
                topics.REGISTRY_FLOWS,
                flow_id.encode(),
                _event("flow", flow_id, customer_id, flow),
            )
            members = []


def deep_size(obj: object, seen: set[int]) -> int:
    """Bytes of `obj` and everything it references that `seen` does not hold yet."""
    if id(obj) in seen or obj is None or isinstance(obj, bool | type):
        return 0
    seen.add(id(obj))
    size = sys.getsizeof(obj)
    if isinstance(obj, dict):
        size += sum(deep_size(k, seen) + deep_size(v, seen) for k, v in obj.items())
    elif isinstance(obj, list | tuple | set | frozenset):
        size += sum(deep_size(x, seen) for x in obj)
    if hasattr(obj, "__dict__"):
        size += deep_size(vars(obj), seen)
    for name in getattr(type(obj), "__slots__", ()):
        size += deep_size(getattr(obj, name, None), seen)
    if hasattr(obj, "__pydantic_fields_set__"):
        size += deep_size(obj.__pydantic_fields_set__, seen)
    return size


def breakdown(view: RegistryView) -> dict[str, int]:
    """Bytes per structure of the view, each counted once (in this order)."""
    seen: set[int] = set()
    return {name: deep_size(value, seen) for name, value in sorted(vars(view).items())}


def measure(devices: int) -> dict[str, Any]:
    """Bytes per device the fed view holds (tracemalloc), and where they are."""
    records = list(registry_records(devices))  # made before tracing: only the view counts
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    view = RegistryView()
    for topic, key, value in records:
        view.apply(topic, key, value)
    del records
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert view.size == (devices, -(-devices // DEVICES_PER_FLOW)), view.size
    parts = breakdown(view)
    return {
        "devices": devices,
        "bytes_per_device": held / devices,
        "breakdown_bytes_per_device": {k: v / devices for k, v in parts.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--devices", type=int, action="append", help="fleet sizes")
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    args = parser.parse_args()
    results = [measure(n) for n in args.devices or [10_000, 100_000]]
    if args.json:
        print(json.dumps(results))
        return
    for r in results:
        print(f"{r['devices']:>7,} devices: {r['bytes_per_device']:,.0f} bytes/device")
        for name, size in r["breakdown_bytes_per_device"].items():
            print(f"    {name:20s} {size:,.0f}")


if __name__ == "__main__":
    main()
