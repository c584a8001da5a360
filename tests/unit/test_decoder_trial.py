"""Trying a decoder on a sample: built-in vectors, DIY scripts of both contracts under the
router's caps, failures as answers, and the sample's rules. No database, no Kafka."""

import asyncio
import re
import time
from datetime import UTC, datetime
from typing import Any, Literal

import pytest

from senflow.codecs.catalogue import BUILT_IN
from senflow.common.events import CodecSnapshot
from senflow.registry.domain.decoder_trial import (
    DEFAULT_DEVICE_URN,
    Sample,
    TriedDecoder,
    inline_codec,
    run_trial,
    sample_of,
)
from senflow.registry.domain.principal import Principal
from senflow.registry.errors import InvalidField, NotFound
from senflow.registry.use_cases.catalogue import Codec
from senflow.registry.use_cases.decoder_trials import DecoderTrials

URN = "urn:dev:DEVEUI:0123456789ABCDEF:"
AT = datetime(2020, 3, 31, 10, 32, 30, 500000, tzinfo=UTC)
BT = 1585650750.5
CUSTOMER = Principal(customer_id="3f6c1e2a-8b4d-4c7e-9a15-2d8f0b6e4c31", scopes=frozenset({"read"}))

KPN = """function main(input) {
  var msg = JSON.parse(input);
  return JSON.stringify([{bn: msg.metadata.urn, n: "level", v: parseInt(msg.payload, 16)},
                         {n: "port", v: msg.metadata.fPort}, {n: "frame", v: msg.metadata.fCnt}]);
}"""
TS013 = """function decodeUplink(input) {
  return { data: { level: input.bytes[0], firmware: null }, warnings: ["battery low"] };
}"""


def sample(payload_hex: str, f_port: int | None = 1, f_cnt: int | None = None) -> Sample:
    return Sample(bytes.fromhex(payload_hex), AT, f_port, f_cnt, URN)


def script(source: str, contract: Literal["kpn", "ts013"] = "kpn") -> CodecSnapshot:
    codec = inline_codec({"script": source, "contract": contract}, None)
    assert codec is not None
    return codec


def senml(records: tuple[Any, ...]) -> list[dict[str, object]]:
    return [r.model_dump(exclude_none=True) for r in records]


@pytest.mark.parametrize(
    ("decoder_id", "payload_hex", "expected"),
    [
        (
            "lora-raw",
            "01A2",
            [{"bn": URN, "bt": BT, "n": "payload", "vs": "01A2"}, {"n": "port", "v": 1}],
        ),
        (  # Cayenne LPP documentation's first example
            "cayenne-lpp",
            "03670110056700FF",
            [
                {"bn": URN, "bt": BT, "n": "3/temperature", "u": "Cel", "v": 27.2},
                {"n": "5/temperature", "u": "Cel", "v": 25.5},
            ],
        ),
    ],
)
def test_built_in_decoder_gives_the_senml_the_router_would(
    decoder_id: str, payload_hex: str, expected: list[dict[str, object]]
) -> None:
    trial = run_trial(BUILT_IN[decoder_id], sample(payload_hex))
    assert trial.decoder == TriedDecoder(decoder_id, 1)
    assert senml(trial.senml) == expected
    assert (trial.warnings, trial.error) == ((), None)
    assert trial.took_ms >= 0


def test_built_in_decoder_refusing_the_payload_is_an_error_not_an_exception() -> None:
    trial = run_trial(BUILT_IN["cayenne-lpp"], sample("0367"))
    assert trial.error == "truncated at offset 2: 3/temperature needs 2 bytes, 0 left"
    assert trial.senml == ()


def test_kpn_script_decodes_the_sample_with_its_metadata() -> None:
    trial = run_trial(script(KPN), sample("2A", f_port=7, f_cnt=42), inline=True)
    assert trial.decoder is None  # inline: no stored decoder
    assert senml(trial.senml) == [
        {"bn": URN, "bt": BT, "n": "level", "v": 42},
        {"n": "port", "v": 7},
        {"n": "frame", "v": 42},
    ]
    assert trial.error is None


def test_ts013_script_warnings_are_passed_through() -> None:
    trial = run_trial(script(TS013, "ts013"), sample("2A"), inline=True)
    assert senml(trial.senml) == [{"bn": URN, "bt": BT, "n": "level", "v": 42}]
    assert trial.warnings == ("battery low", "skipped 'firmware': null has no SenML value")


def test_stored_script_names_its_decoder_and_version() -> None:
    stored = script(TS013, "ts013").model_copy(update={"id": "diy-0a1b2c3d4e5f", "version": 4})
    assert run_trial(stored, sample("2A")).decoder == TriedDecoder("diy-0a1b2c3d4e5f", 4)


@pytest.mark.parametrize(
    ("source", "contract", "error"),
    [
        ("function main(input) { while (true) {} }", "kpn", r"^exceeded 50 ms CPU$"),
        ("function decodeUplink(i) { for (;;) {} }", "ts013", r"^exceeded 50 ms CPU$"),
        (
            "function main(input) {\n  throw new Error('bad sensor');\n}",
            "kpn",
            r"^Error: bad sensor \(line 2\)$",
        ),
        (
            "function decodeUplink(i) { return {errors: ['fPort 1?']}; }",
            "ts013",
            r"reported errors: fPort 1\?$",
        ),
        ("function main(input) { return 1 +; }", "kpn", r"^SyntaxError"),
        ("var main = 1;", "kpn", r"defines no main\(\) function"),
    ],
)
def test_a_failing_script_is_the_trial_s_error(source: str, contract: str, error: str) -> None:
    started = time.perf_counter()
    trial = run_trial(script(source, contract), sample("00"), inline=True)  # type: ignore[arg-type]
    assert trial.error is not None and re.search(error, trial.error), trial.error
    assert (trial.senml, trial.warnings) == ((), ())
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    ("body", "payload"),
    [
        ({"payload_hex": "01a2"}, b"\x01\xa2"),
        ({"payload_hex": ""}, b""),
        ({"payload_base64": "AaI="}, b"\x01\xa2"),
    ],
)
def test_sample_takes_the_payload_in_hex_or_base64(body: dict[str, Any], payload: bytes) -> None:
    now = datetime.now(UTC)
    assert sample_of(body, now) == Sample(payload, now, None, None, DEFAULT_DEVICE_URN)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "payload_hex"),
        ({"payload_hex": "01", "payload_base64": "AQ=="}, "payload_hex"),
        ({"payload_base64": "not base64!"}, "payload_base64"),
        ({"payload_base64": "AQ"}, "payload_base64"),  # unpadded
        ({"payload_base64": "AQ\u00d7="}, "payload_base64"),  # not ASCII (found by fuzzing)
    ],
)
def test_sample_without_exactly_one_readable_payload_is_refused(
    body: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidField) as refused:
        sample_of(body, AT)
    assert refused.value.field == field


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "decoder_id"),
        ({"contract": "kpn"}, "decoder_id"),
        ({"script": KPN}, "contract"),
        ({"decoder_id": "lora-raw", "script": KPN, "contract": "kpn"}, "script"),
        ({"decoder_id": "lora-raw", "contract": "kpn"}, "contract"),
    ],
)
def test_decoder_is_either_an_id_or_an_inline_script(body: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidField) as refused:
        inline_codec(body, None)
    assert refused.value.field == field


class FakeCatalogue:
    """The caller's codecs, as `Catalogue.codec` finds them (NotFound for others')."""

    def __init__(self, *codecs: Codec) -> None:
        self.codecs = {c.id: c for c in codecs}

    async def codec(self, _p: Principal, codec_id: str) -> Codec:
        if codec_id not in self.codecs:
            raise NotFound(f"codec {codec_id} not found")
        return self.codecs[codec_id]


def diy(codec_id: str, source: str, kind: str = "decoder") -> Codec:
    return Codec(
        id=codec_id,
        uuid="0",
        kind=kind,
        name="mine",
        symbol="›",
        description="",
        version=2,
        built_in=False,
        contract="ts013",
        superseded_by=None,
        script=source,
    )


def trials(*codecs: Codec) -> DecoderTrials:
    return DecoderTrials(FakeCatalogue(*codecs))  # type: ignore[arg-type]


async def test_use_case_tries_the_caller_s_stored_decoder() -> None:
    body = {"decoder_id": "diy-mine", "payload_hex": "2A", "device_urn": URN}
    trial = await trials(diy("diy-mine", TS013)).run(CUSTOMER, body)
    assert trial.decoder == TriedDecoder("diy-mine", 2)
    assert senml(trial.senml)[0]["v"] == 42


async def test_use_case_refuses_unknown_ids_and_encoders() -> None:
    with pytest.raises(NotFound):
        await trials().run(CUSTOMER, {"decoder_id": "diy-theirs", "payload_hex": "00"})
    encoder = diy("diy-enc", "function encodeDownlink() {}", kind="encoder")
    with pytest.raises(InvalidField, match="is an encoder"):
        await trials(encoder).run(CUSTOMER, {"decoder_id": "diy-enc", "payload_hex": "00"})


async def test_a_script_at_its_cpu_cap_does_not_block_the_event_loop() -> None:
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    ticker = asyncio.create_task(tick())
    body = {"script": "function main(i) { while (true) {} }", "contract": "kpn", "payload_hex": ""}
    try:
        trial = await trials().run(CUSTOMER, body)
    finally:
        ticker.cancel()
    assert trial.error == "exceeded 50 ms CPU"
    assert ticks >= 3  # the loop kept running while the script spun
