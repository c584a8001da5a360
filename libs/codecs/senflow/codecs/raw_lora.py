"""`= Raw LoRa payload`: the payload as received, wrapped in SenML.

Records `payload` (hex string, upper-case) and `port` (LoRa uplinks only); the first
record carries the device URN as `bn` and the receive time as `bt`.
"""

from senflow.codecs.base import DecodeContext, DecodeInput, Decoder
from senflow.common.senml import SenmlRecord


def decode(uplink: DecodeInput, ctx: DecodeContext) -> tuple[SenmlRecord, ...]:
    payload = SenmlRecord(
        bn=ctx.device_urn,
        bt=uplink.received_at.timestamp(),
        n="payload",
        vs=uplink.payload.hex().upper(),
    )
    if uplink.f_port is None:  # not a LoRa uplink: there is no port to report
        return (payload,)
    return (payload, SenmlRecord(n="port", v=uplink.f_port))


RAW_LORA = Decoder(id="lora-raw", version=1, name="= Raw LoRa payload", decode=decode)
