"""`= Raw LoRa payload extended`: the raw payload plus the uplink's LoRa metadata.

Records, in this order (the first carries the device URN as `bn` and the receive time as
`bt`, exactly as `raw_lora`):
- `payload`: the payload as upper-case hex (`vs`); `port`: the FPort (`v`);
- `fcnt`: the uplink frame counter FCntUp (`v`), always present on LoRa uplinks;
- from the radio metadata, each only when the network server reported it:
  `rssi` (`v`, in dBm, without `u`: RFC 8428's unit registry has `dBW` but no `dBm`, and
  converting would surprise everyone who reads RSSI in dBm), `snr` (`v`, `u` `dB`),
  `sf` (`v`, the spreading factor 6-12), `gateways` (`v`, how many gateways received it).
"""

from senflow.codecs import raw_lora
from senflow.codecs.base import DecodeContext, DecodeInput, Decoder
from senflow.common.senml import SenmlRecord


def decode(uplink: DecodeInput, ctx: DecodeContext) -> tuple[SenmlRecord, ...]:
    records = list(raw_lora.decode(uplink, ctx))
    if uplink.f_cnt is not None:
        records.append(SenmlRecord(n="fcnt", v=uplink.f_cnt))
    radio = uplink.radio
    if radio is not None:
        if radio.rssi is not None:
            records.append(SenmlRecord(n="rssi", v=radio.rssi))
        if radio.snr is not None:
            records.append(SenmlRecord(n="snr", u="dB", v=radio.snr))
        if radio.spreading_factor is not None:
            records.append(SenmlRecord(n="sf", v=radio.spreading_factor))
        if radio.gateways:
            records.append(SenmlRecord(n="gateways", v=len(radio.gateways)))
    return tuple(records)


RAW_LORA_EXTENDED = Decoder(
    id="lora-raw-extended", version=1, name="= Raw LoRa payload extended", decode=decode
)
