"""Helpers for decoders of binary payloads: bounded integer reads, the pack's base fields."""

from typing import Literal

from senflow.codecs.base import DecodeContext, DecodeInput
from senflow.common.senml import SenmlRecord


def read_int(
    payload: bytes,
    offset: int,
    size: int,
    *,
    signed: bool,
    what: str,
    order: Literal["big", "little"] = "big",
) -> int:
    """The integer at `offset`; a `ValueError` naming the offset when the payload is short."""
    end = offset + size
    if end > len(payload):
        needs = f"{size} byte{'s' if size > 1 else ''}"
        raise ValueError(
            f"truncated at offset {offset}: {what} needs {needs}, {len(payload) - offset} left"
        )
    return int.from_bytes(payload[offset:end], order, signed=signed)


def with_base(
    records: list[SenmlRecord], uplink: DecodeInput, ctx: DecodeContext
) -> tuple[SenmlRecord, ...]:
    """The pack with the device URN (`bn`) and the receive time (`bt`) on its first record."""
    base = {"bn": ctx.device_urn, "bt": uplink.received_at.timestamp()}
    return (records[0].model_copy(update=base), *records[1:])
