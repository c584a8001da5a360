"""Uplinks as they enter the platform, per network type."""

from typing import Annotated

from pydantic import AwareDatetime, Field

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
