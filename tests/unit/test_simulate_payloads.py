"""`senflow simulate`'s payloads: what each device type sends, and that the platform's own
decoders and ingest checks accept it."""

import json
from datetime import UTC, datetime

from senflow.cli.simulate_payloads import (
    cayenne_lpp,
    lora_uplink,
    reading,
    senml_pack,
)
from senflow.codecs.base import DecodeContext, DecodeInput
from senflow.codecs.cayenne_lpp import CAYENNE_LPP
from senflow.common.uplinks import LoraUplink
from senflow.router.ingest.pack import check_pack, identify

AT = datetime(2026, 11, 25, 10, 32, 30, 500000, tzinfo=UTC)


def test_readings_follow_the_sequence_number() -> None:
    assert reading(0).temperature_cel == 20.0
    assert reading(13).temperature_cel == 21.3
    assert reading(13).humidity_rh == 53.0
    assert reading(100) == reading(0)  # both cycles (50 and 20) start again


def test_cayenne_lpp_payload_is_temperature_on_channel_1_and_humidity_on_2() -> None:
    assert cayenne_lpp(reading(13)).hex().upper() == "0167" + "00D5" + "0268" + "6A"


def test_lora_uplink_is_a_valid_raw_uplink_whose_payload_the_cayenne_decoder_reads() -> None:
    value = lora_uplink("0123456789ABCDEF", 13, AT)
    uplink = LoraUplink.model_validate_json(value)
    assert (uplink.dev_eui, uplink.f_port, uplink.f_cnt_up) == ("0123456789ABCDEF", 1, 13)
    assert uplink.received_at == AT
    decoded = CAYENNE_LPP.decode(
        DecodeInput.of_lora(uplink), DecodeContext("urn:dev:DEVEUI:0123456789ABCDEF:")
    )
    assert [(r.n, r.u, r.v) for r in decoded] == [
        ("1/temperature", "Cel", 21.3),
        ("2/humidity", "%RH", 53.0),
    ]


def test_senml_pack_names_the_device_and_passes_the_ingest_checks() -> None:
    urn = "urn:dev:DVNUUID:3f2504e0-4f89-41d3-9a0c-0305e82c3301:"
    body = senml_pack(urn, 7, AT)
    assert json.loads(body) == [
        {"bn": urn, "bt": AT.timestamp(), "n": "temperature", "u": "Cel", "v": 20.7},
        {"n": "humidity", "u": "%RH", "v": 47.0},
        {"n": "seq", "v": 7},
    ]
    assert identify("INTERNET", body) == "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
    check_pack("INTERNET", "3f2504e0-4f89-41d3-9a0c-0305e82c3301", body, AT)
