"""What every decoder receives and returns."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from senflow.common.senml import SenmlRecord
from senflow.common.uplinks import DeviceUplink, LoraLocation, LoraRadio, LoraUplink


@dataclass(frozen=True, slots=True)
class DecodeInput:
    """One uplink as every decoder sees it, whatever network it came from.

    The LoRa fields (`f_port`, `f_cnt`, `radio`, `location`) are None for Internet, M2M
    and MQTT uplinks; a decoder that needs one says so in its error.
    """

    payload: bytes
    received_at: datetime
    f_port: int | None = None
    f_cnt: int | None = None
    radio: LoraRadio | None = None
    location: LoraLocation | None = None

    @classmethod
    def of_lora(cls, uplink: LoraUplink) -> "DecodeInput":
        return cls(
            payload=bytes.fromhex(uplink.payload_hex),
            received_at=uplink.received_at,
            f_port=uplink.f_port,
            f_cnt=uplink.f_cnt_up,
            radio=uplink.radio,
            location=uplink.location,
        )

    @classmethod
    def of_device(cls, uplink: DeviceUplink) -> "DecodeInput":
        return cls(payload=uplink.payload, received_at=uplink.received_at)


@dataclass(frozen=True)
class DecodeContext:
    """The device an uplink came from, as a decoder sees it."""

    device_urn: str


DecodeFn = Callable[[DecodeInput, DecodeContext], tuple[SenmlRecord, ...]]


@dataclass(frozen=True)
class Decoder:
    id: str
    version: int
    name: str
    decode: DecodeFn
