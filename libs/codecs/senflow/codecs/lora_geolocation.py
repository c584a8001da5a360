"""`+ LoRa geolocation`: the location the LoRa network computed for the uplink, as SenML.

When the network server sent a location, the records are (the first carries the device
URN as `bn` and the receive time as `bt`):
- `locOrigin` (`vs` `"LORA"`: the network, not the device, placed it);
- `latitude` (`u` `lat`) and `longitude` (`u` `lon`), WGS84 degrees;
- `radius` (`u` `m`), the uncertainty radius, only when given;
- `locTime` (`v`, the receive time in epoch seconds: when the network saw the device there).
Without a location there is nothing to add: the result is empty, which is not an error.
"""

from senflow.codecs.base import DecodeContext, DecodeInput, Decoder
from senflow.common.senml import SenmlRecord


def decode(uplink: DecodeInput, ctx: DecodeContext) -> tuple[SenmlRecord, ...]:
    location = uplink.location
    if location is None:
        return ()
    received_at = uplink.received_at.timestamp()
    records = [
        SenmlRecord(bn=ctx.device_urn, bt=received_at, n="locOrigin", vs="LORA"),
        SenmlRecord(n="latitude", u="lat", v=location.latitude),
        SenmlRecord(n="longitude", u="lon", v=location.longitude),
    ]
    if location.radius_m is not None:
        records.append(SenmlRecord(n="radius", u="m", v=location.radius_m))
    records.append(SenmlRecord(n="locTime", v=received_at))
    return tuple(records)


LORA_GEOLOCATION = Decoder(
    id="lora-geolocation", version=1, name="+ LoRa geolocation", decode=decode
)
