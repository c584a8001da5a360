"""`= Raw LoRa payload extended`: the raw payload plus the uplink's LoRa metadata.

Records, in this order (the first carries the device URN as `bn` and the receive time as
`bt`, exactly as `raw_lora`):
- `payload`: the payload as upper-case hex (`vs`); `port`: the FPort (`v`);
- `fcnt`: the uplink frame counter FCntUp (`v`), always present;
- from the radio metadata, each only when the network server reported it:
  `rssi` (`v`, in dBm, without `u`: RFC 8428's unit registry has `dBW` but no `dBm`, and
  converting would surprise everyone who reads RSSI in dBm), `snr` (`v`, `u` `dB`),
  `sf` (`v`, the spreading factor 6-12), `gateways` (`v`, how many gateways received it).
"""

from senflow.common.senml import SenmlRecord
from senflow.common.uplinks import LoraUplink
from senflow.router.decoders import raw_lora
from senflow.router.decoders.base import DecodeContext, Decoder


def decode(uplink: LoraUplink, ctx: DecodeContext) -> tuple[SenmlRecord, ...]:
    records = [*raw_lora.decode(uplink, ctx), SenmlRecord(n="fcnt", v=uplink.f_cnt_up)]
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
