"""`= Raw LoRa payload extended` and `+ LoRa geolocation`: uplink metadata in, exact SenML out."""

from datetime import UTC, datetime

import pytest

from senflow.codecs.base import DecodeContext, DecodeInput, Decoder
from senflow.codecs.catalogue import BUILT_IN
from senflow.codecs.lora_geolocation import LORA_GEOLOCATION
from senflow.codecs.raw_lora_extended import RAW_LORA_EXTENDED
from senflow.codecs.senml_pack import SENML
from senflow.codecs.thingsml import THINGSML
from senflow.common.uplinks import LoraGateway, LoraLocation, LoraRadio, LoraUplink

URN = "urn:dev:DEVEUI:0123456789ABCDEF:"
AT = datetime(2020, 3, 31, 10, 32, 30, 500000, tzinfo=UTC)
NOW = 1585650750.5
GATEWAYS = (LoraGateway(id="gw-1", rssi=-101.0), LoraGateway(id="gw-2"))


def _uplink(radio: LoraRadio | None = None, location: LoraLocation | None = None) -> LoraUplink:
    return LoraUplink(
        dev_eui="0123456789abcdef",
        f_port=2,
        f_cnt_up=513,
        payload_hex="0a1b",
        received_at=AT,
        radio=radio,
        location=location,
    )


def _decode(decoder: Decoder, uplink: LoraUplink) -> list[dict[str, object]]:
    records = decoder.decode(DecodeInput.of_lora(uplink), DecodeContext(URN))
    return [r.model_dump(exclude_none=True) for r in records]


RAW = [{"bn": URN, "bt": NOW, "n": "payload", "vs": "0A1B"}, {"n": "port", "v": 2}]
EXTENDED = {
    "no-radio": (None, [*RAW, {"n": "fcnt", "v": 513}]),
    "full-radio": (
        LoraRadio(rssi=-110.5, snr=7.25, spreading_factor=9, gateways=GATEWAYS),
        [
            *RAW,
            {"n": "fcnt", "v": 513},
            {"n": "rssi", "v": -110.5},
            {"n": "snr", "u": "dB", "v": 7.25},
            {"n": "sf", "v": 9},
            {"n": "gateways", "v": 2},
        ],
    ),
    "rssi-only-no-gateways": (
        LoraRadio(rssi=-120),
        [*RAW, {"n": "fcnt", "v": 513}, {"n": "rssi", "v": -120}],
    ),
    "empty-radio": (LoraRadio(), [*RAW, {"n": "fcnt", "v": 513}]),
}


@pytest.mark.parametrize(("radio", "expected"), EXTENDED.values(), ids=EXTENDED.keys())
def test_raw_extended_decoder_adds_radio_records_when_reported(
    radio: LoraRadio | None, expected: list[dict[str, object]]
) -> None:
    assert _decode(RAW_LORA_EXTENDED, _uplink(radio=radio)) == expected


GEOLOCATION = {
    "with-radius": (
        LoraLocation(latitude=52.0809, longitude=5.1110, radius_m=215.5),
        [
            {"bn": URN, "bt": NOW, "n": "locOrigin", "vs": "LORA"},
            {"n": "latitude", "u": "lat", "v": 52.0809},
            {"n": "longitude", "u": "lon", "v": 5.1110},
            {"n": "radius", "u": "m", "v": 215.5},
            {"n": "locTime", "v": NOW},
        ],
    ),
    "without-radius": (
        LoraLocation(latitude=-33.8688, longitude=151.2093),
        [
            {"bn": URN, "bt": NOW, "n": "locOrigin", "vs": "LORA"},
            {"n": "latitude", "u": "lat", "v": -33.8688},
            {"n": "longitude", "u": "lon", "v": 151.2093},
            {"n": "locTime", "v": NOW},
        ],
    ),
    "no-location-adds-nothing": (None, []),
}


@pytest.mark.parametrize(("location", "expected"), GEOLOCATION.values(), ids=GEOLOCATION.keys())
def test_geolocation_decoder_emits_location_records_when_network_located_device(
    location: LoraLocation | None, expected: list[dict[str, object]]
) -> None:
    radio = LoraRadio(rssi=-99, gateways=GATEWAYS)
    assert _decode(LORA_GEOLOCATION, _uplink(radio=radio, location=location)) == expected


@pytest.mark.parametrize(
    ("decoder", "decoder_id", "name"),
    [
        (RAW_LORA_EXTENDED, "lora-raw-extended", "= Raw LoRa payload extended"),
        (LORA_GEOLOCATION, "lora-geolocation", "+ LoRa geolocation"),
        (SENML, "senml", "› SenML pass-through"),
        (THINGSML, "thingsml", "› ThingsML"),
    ],
)
def test_catalogue_lists_decoder_when_built_in(
    decoder: Decoder, decoder_id: str, name: str
) -> None:
    assert BUILT_IN[decoder_id] is decoder
    assert (decoder.id, decoder.name) == (decoder_id, name)
