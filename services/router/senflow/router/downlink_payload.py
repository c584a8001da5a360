"""What an Internet, M2M or MQTT device receives for a downlink: bytes and a media type. Pure.

A SenML command sent without an encoder (the device's flow has none, or it is in no flow)
goes as the SenML JSON of its records, `application/senml+json`, the form the device posts
its own uplinks in. Anything else goes as the encoded bytes (`payload_hex`),
`application/octet-stream`. The HTTP ingest answers with these bytes and the MQTT bridge
publishes them.
"""

from dataclasses import dataclass

import orjson

from senflow.common.downlinks import DownlinkSnapshot

SENML_JSON = "application/senml+json"
OCTET_STREAM = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class DevicePayload:
    body: bytes
    content_type: str


def device_payload(downlink: DownlinkSnapshot) -> DevicePayload | None:
    """The bytes to send; None when the downlink carries none (not encoded yet)."""
    command = downlink.command
    if downlink.encoder_id is None and command.senml is not None:
        records = [record.model_dump(mode="json", exclude_none=True) for record in command.senml]
        return DevicePayload(orjson.dumps(records), SENML_JSON)
    payload_hex = downlink.payload_hex
    if payload_hex is None and downlink.encoder_id is None:
        payload_hex = command.payload_hex  # sent as it is
    if payload_hex is None:
        return None
    return DevicePayload(bytes.fromhex(payload_hex), OCTET_STREAM)
