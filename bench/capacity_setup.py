"""The fleet the capacity benchmark drives: one customer's LoRa devices (Cayenne LPP)
in flows of equal size, each flow to its own HTTP destination (the benchmark's
receiver) and its own Kafka-topic destination (one output topic on the platform's
cluster); plus a flow to a test destination and spare devices, for the freshness trials."""

from dataclasses import dataclass

from tests.support.api import Api, create_customer, new_destination_secret, new_dev_eui
from tests.support.kafka import create_topic

SPECIFICATION = "cayenne-lpp-lora"
DECODER = "cayenne-lpp"
PAYLOAD_HEX = "03670110056700FF"  # two Cayenne LPP temperatures
IMPORT_CHUNK = 1000
OUTPUT_PARTITIONS = 8


@dataclass
class Fleet:
    api: Api
    dev_euis: list[str]  # routed devices, in flows
    output_topic: str
    fresh_flow_id: str  # to a test destination, no devices at first
    spare: list[tuple[str, str]]  # (device id, DevEUI): in no flow yet


def _lora_row(i: int, dev_eui: str) -> dict[str, object]:
    lora = {"dev_eui": dev_eui, "join_eui": "70B3D57ED0000000", "app_key": "44" * 16}
    return {
        "name": f"cap-{i}",
        "specification_id": SPECIFICATION,
        "network_info": {"KPNLORA": lora},
    }


async def import_devices(api: Api, count: int) -> list[tuple[str, str]]:
    """`count` LoRa devices through `POST /devices/import`; (id, DevEUI) of each."""
    devices: list[tuple[str, str]] = []
    for first in range(0, count, IMPORT_CHUNK):
        dev_euis = [new_dev_eui() for _ in range(first, min(count, first + IMPORT_CHUNK))]
        rows = [_lora_row(first + i, dev_eui) for i, dev_eui in enumerate(dev_euis)]
        answer = await api.ok("POST", "/devices/import", {"devices": rows})
        assert answer["created"] == len(rows), answer["rows"][:3]
        devices += [(r["device_id"], e) for r, e in zip(answer["rows"], dev_euis, strict=True)]
    return devices


async def setup_fleet(
    admin: Api, bootstrap: str, receiver_url: str, devices: int, flows: int, spare: int
) -> Fleet:
    _, api = await create_customer(admin, "capacity")
    output_topic = f"capacity.readings.{new_dev_eui().lower()}"
    await create_topic(bootstrap, output_topic, OUTPUT_PARTITIONS)
    project = await api.ok("POST", "/projects", {"name": "capacity"})
    registered = await import_devices(api, devices + spare)
    routed, spares = registered[:devices], registered[devices:]
    per_flow = -(-devices // flows)
    for n in range(flows):
        members = routed[n * per_flow : (n + 1) * per_flow]
        http = await api.ok(
            "POST",
            "/destinations",
            {
                "name": f"http-{n}",
                "config": {"url": receiver_url},
                "secret": new_destination_secret(),
            },
        )
        kafka = await api.ok(
            "POST",
            "/destinations",
            {"name": f"kafka-{n}", "type": "kafka", "config": {"topic": output_topic}},
        )
        await api.ok(
            "POST",
            "/flows",
            {
                "project_id": project["id"],
                "name": f"flow-{n}",
                "device_ids": [device_id for device_id, _ in members],
                "destination_ids": [http["id"], kafka["id"]],
                "decoder_ids": [DECODER],
            },
        )
    test = await api.ok("POST", "/destinations", {"name": "fresh", "type": "test", "config": {}})
    fresh = await api.ok(
        "POST",
        "/flows",
        {
            "project_id": project["id"],
            "name": "freshness",
            "destination_ids": [test["id"]],
            "decoder_ids": [DECODER],
        },
    )
    return Fleet(api, [eui for _, eui in routed], output_topic, fresh["id"], spares)
