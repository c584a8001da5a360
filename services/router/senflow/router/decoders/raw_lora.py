"""`= Raw LoRa payload`: the payload as received, wrapped in SenML.

Records `payload` (hex string, upper-case) and `port`; the first record carries the
device URN as `bn` and the receive time as `bt`.
"""

from senflow.common.senml import SenmlRecord
from senflow.common.uplinks import LoraUplink
from senflow.router.decoders.base import DecodeContext, Decoder


def decode(uplink: LoraUplink, ctx: DecodeContext) -> tuple[SenmlRecord, ...]:
    return (
        SenmlRecord(
            bn=ctx.device_urn,
            bt=uplink.received_at.timestamp(),
            n="payload",
            vs=uplink.payload_hex.upper(),
        ),
        SenmlRecord(n="port", v=uplink.f_port),
    )


RAW_LORA = Decoder(id="lora-raw", version=1, name="= Raw LoRa payload", decode=decode)
