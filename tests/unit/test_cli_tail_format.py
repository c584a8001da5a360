"""How `senflow tail` prints a decoded message: a readable line with the SenML records
resolved against their base fields, or one JSON object per line."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from senflow.cli.tail_format import compact_pack, json_line, line, utc_time
from senflow.common.senml import SenmlRecord
from tests.support.deliveries import CUSTOMER_ID, a_delivery

URN = "urn:dev:DEVEUI:0123456789ABCDEF:"


def pack(*records: dict[str, object]) -> tuple[SenmlRecord, ...]:
    return tuple(SenmlRecord.model_validate(r) for r in records)


@pytest.mark.parametrize(
    ("records", "shown"),
    [
        (
            [{"bn": URN, "bt": 1795645163.21, "n": "payload", "vs": "01A2"}, {"n": "port", "v": 2}],
            'payload="01A2", port=2',
        ),
        (
            [{"bn": URN, "n": "temperature", "u": "Cel", "v": 21.5}, {"n": "open", "vb": False}],
            "temperature=21.5 Cel, open=false",
        ),
        (  # base unit and base value hold for the records that follow
            [{"bn": URN, "bu": "%RH", "bv": 40, "n": "humidity", "v": 1.5}, {"n": "h2", "v": 2}],
            "humidity=41.5 %RH, h2=42.0 %RH",
        ),
        (  # a time series: offsets from the first record's time
            [{"bn": URN, "bt": 1000, "n": "t", "v": 1}, {"n": "t", "v": 2, "t": 60}],
            "t=1, t=2 @+60s",
        ),
        (  # a record with a base name of its own keeps it; an unnamed one is "value"
            [{"bn": URN, "v": 3}, {"bn": "urn:dev:other:", "n": "x", "vd": "AQI="}],
            "value=3, urn:dev:other:x=data:AQI=",
        ),
        ([{"bn": URN, "bt": 1000}, {"n": "energy", "s": 12.5, "u": "Wh"}], "energy=sum:12.5 Wh"),
        ([{"bn": URN, "n": "note", "vs": 'say "hi"'}], 'note="say \\"hi\\""'),
        ([], ""),
    ],
)
def test_compact_pack_shows_resolved_records_when_given(
    records: list[dict[str, object]], shown: str
) -> None:
    assert compact_pack(pack(*records)) == shown


def test_the_line_has_time_device_flow_decoder_and_values() -> None:
    text = line(a_delivery()).plain
    assert text == (
        '2026-11-25T10:32:43.210Z  device dev-1  flow flow-1  lora-raw@2  payload="01A2", port=2'
    )


def test_the_line_says_so_when_it_is_a_replay() -> None:
    assert line(a_delivery(), replay_of="3-17").plain.endswith("(replay of dead letter 3-17)")


def test_markup_in_a_value_prints_as_itself() -> None:
    d = a_delivery()
    d = d.model_copy(update={"senml": pack({"bn": URN, "n": "s", "vs": "[red]x[/red]"})})
    assert '"[red]x[/red]"' in line(d).plain


def test_json_line_is_one_object_with_the_same_keys_every_time() -> None:
    text = json_line(a_delivery())
    assert "\n" not in text
    assert json.loads(text) == {
        "received_at": "2026-11-25T10:32:43.210000+00:00",
        "message_id": "m-1",
        "customer_id": CUSTOMER_ID,
        "device_id": "dev-1",
        "flow_id": "flow-1",
        "decoder": "lora-raw@2",
        "senml": [
            {"bn": URN, "bt": 1795645163.21, "n": "payload", "vs": "01A2"},
            {"n": "port", "v": 2},
        ],
        "replay_of": None,
    }
    assert json.loads(json_line(a_delivery(), replay_of="3-17"))["replay_of"] == "3-17"


def test_utc_time_converts_other_zones_to_utc_with_milliseconds() -> None:
    moment = datetime(2026, 11, 25, 11, 32, 43, 210987, tzinfo=timezone(timedelta(hours=1)))
    assert utc_time(moment) == "2026-11-25T10:32:43.210Z"
