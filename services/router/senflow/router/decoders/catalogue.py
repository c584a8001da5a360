"""The built-in decoders, by id: a closed lookup table (no dynamic imports)."""

from senflow.router.decoders.base import Decoder
from senflow.router.decoders.raw_lora import RAW_LORA

BUILT_IN: dict[str, Decoder] = {d.id: d for d in (RAW_LORA,)}
