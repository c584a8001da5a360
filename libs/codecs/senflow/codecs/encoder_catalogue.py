"""The built-in downlink encoders, by id: a closed lookup table (no dynamic imports).

The ids are the registry's (`codecs` rows of kind `encoder`); DIY encoders are built from
their `CodecSnapshot` by `script_encoder.as_encoder`.
"""

from senflow.codecs.cayenne_lpp_encoder import CAYENNE_LPP_ENCODER
from senflow.codecs.encode_base import Encoder
from senflow.codecs.raw_lora_encoder import RAW_LORA_ENCODER
from senflow.codecs.thingsml_encoder import THINGSML_ENCODER

BUILT_IN_ENCODERS: dict[str, Encoder] = {
    e.id: e for e in (RAW_LORA_ENCODER, CAYENNE_LPP_ENCODER, THINGSML_ENCODER)
}
