"""Uplinks as they enter the platform, per network type."""

import base64
import binascii
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, field_validator

from senflow.common.contract import Contract

HEX_EUI = r"^[0-9A-Fa-f]{16}$"


class LoraGateway(Contract):
    id: str
    rssi: float | None = None
    snr: float | None = None


class LoraRadio(Contract):
    rssi: float | None = None
    snr: float | None = None
    spreading_factor: Annotated[int | None, Field(ge=6, le=12)] = None
    gateways: tuple[LoraGateway, ...] = ()


class LoraLocation(Contract):
    latitude: float
    longitude: float
    radius_m: float | None = None


class LoraUplink(Contract):
    """A LoRaWAN uplink from the network server, on `senflow.uplinks.lora.raw.v1`.

    Key: the DevEUI (so one device's uplinks stay in order). Optional header
    `senflow-message-id` carries an id chosen upstream; without one the router derives a
    stable id from the record's topic, partition and offset.
    """

    dev_eui: Annotated[str, Field(pattern=HEX_EUI, description="EUI-64, 16 hex digits")]
    f_port: Annotated[int, Field(ge=0, le=255)]
    f_cnt_up: Annotated[int, Field(ge=0)]
    payload_hex: Annotated[str, Field(pattern=r"^([0-9A-Fa-f]{2})*$", max_length=512)]
    received_at: AwareDatetime
    radio: LoraRadio | None = None
    location: LoraLocation | None = None


DirectNetworkType = Literal["INTERNET", "M2M", "MQTT"]

# An uplink's payload, at most: what the HTTP ingest and the MQTT bridge accept.
MAX_DIRECT_PAYLOAD_BYTES = 64 * 1024


class DeviceUplink(Contract):
    """An uplink a device sent to Senflow itself (Internet and M2M over HTTPS, MQTT), on
    `senflow.uplinks.device.raw.v1`, published by the HTTP ingest or the MQTT bridge.

    Key: `<network_type>:<identifier>` (one device's uplinks stay in order). Header
    `senflow-message-id` carries the id the ingest gave the uplink (and answered the device
    with); the router keeps it through to every delivery.
    """

    network_type: DirectNetworkType
    identifier: Annotated[
        str, Field(min_length=1, max_length=128, description="DvnUUID, IMEI or MQTT client id")
    ]
    payload_base64: Annotated[
        str,
        Field(
            max_length=(MAX_DIRECT_PAYLOAD_BYTES + 2) // 3 * 4,
            description="The body the device sent, standard base64",
        ),
    ]
    content_type: Annotated[
        str | None, Field(max_length=200, description="As the device declared it, if it did")
    ] = None
    received_at: AwareDatetime
    source: Annotated[
        str | None, Field(max_length=300, description="Where it came in: the MQTT topic")
    ] = None

    @field_validator("payload_base64")
    @classmethod
    def _is_base64(cls, value: str) -> str:
        try:
            base64.b64decode(value, validate=True)
        except binascii.Error as err:
            raise ValueError(f"not standard base64: {err}") from err
        return value

    @property
    def payload(self) -> bytes:
        return base64.b64decode(self.payload_base64)

    @property
    def key(self) -> bytes:
        return f"{self.network_type}:{self.identifier}".encode()
