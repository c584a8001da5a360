"""What every decoder receives and returns."""

from collections.abc import Callable
from dataclasses import dataclass

from senflow.common.senml import SenmlRecord
from senflow.common.uplinks import LoraUplink


@dataclass(frozen=True)
class DecodeContext:
    """The device an uplink came from, as a decoder sees it."""

    device_urn: str


DecodeFn = Callable[[LoraUplink, DecodeContext], tuple[SenmlRecord, ...]]


@dataclass(frozen=True)
class Decoder:
    id: str
    version: int
    name: str
    decode: DecodeFn
