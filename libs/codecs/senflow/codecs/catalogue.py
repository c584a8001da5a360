"""The built-in decoders, by id: a closed lookup table (no dynamic imports)."""

from senflow.codecs.base import Decoder
from senflow.codecs.cayenne_lpp import CAYENNE_LPP
from senflow.codecs.elsys import ELSYS
from senflow.codecs.lora_geolocation import LORA_GEOLOCATION
from senflow.codecs.raw_lora import RAW_LORA
from senflow.codecs.raw_lora_extended import RAW_LORA_EXTENDED
from senflow.codecs.senml_pack import SENML
from senflow.codecs.thingsml import THINGSML

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
