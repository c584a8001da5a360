"""The built-in decoders, by id: a closed lookup table (no dynamic imports)."""

from senflow.router.decoders.base import Decoder
from senflow.router.decoders.cayenne_lpp import CAYENNE_LPP
from senflow.router.decoders.elsys import ELSYS
from senflow.router.decoders.lora_geolocation import LORA_GEOLOCATION
from senflow.router.decoders.raw_lora import RAW_LORA
from senflow.router.decoders.raw_lora_extended import RAW_LORA_EXTENDED
from senflow.router.decoders.senml_lora import SENML
from senflow.router.decoders.thingsml import THINGSML

BUILT_IN: dict[str, Decoder] = {
    d.id: d
    for d in (
        RAW_LORA,
        CAYENNE_LPP,
        ELSYS,
        RAW_LORA_EXTENDED,
        LORA_GEOLOCATION,
        SENML,
        THINGSML,
    )
}
