"""DIY script decoders in the QuickJS sandbox: both contracts, the caps, isolation, counters."""

import time
from dataclasses import FrozenInstanceError
from datetime import UTC, datetime
from typing import Literal

import pytest

from senflow.codecs.base import DecodeContext, DecodeInput
from senflow.codecs.script_contracts import data_records
from senflow.codecs.script_engine import (
    ScriptDecoder,
    ScriptFailed,
    ScriptLimits,
    ScriptStats,
    as_decoder,
)
from senflow.common.events import CodecSnapshot
from senflow.common.uplinks import LoraUplink

URN = "urn:dev:DEVEUI:0123456789ABCDEF:"
AT = datetime(2020, 3, 31, 10, 32, 30, 500000, tzinfo=UTC)
BT = 1585650750.5
CTX = DecodeContext(device_urn=URN)

KPN = """
function main(input) {
  var msg = JSON.parse(input);
  if (msg.metadata.fPort !== 2) return null;
  var p = msg.payload;
  return JSON.stringify([
    {bn: msg.metadata.urn, bt: msg.metadata.ingestion.timestamp / 1000,
     n: "temperature", u: "Cel", v: parseInt(p.substr(0, 4), 16) / 10},
    {n: "humidity", u: "%RH", v: parseInt(p.substr(4, 2), 16)},
    {n: "frame", v: msg.metadata.fCnt, vs: undefined},
    {n: "encoding", vs: msg.encoding + ":" + p}
  ]);
}
"""

# Written the way published TTN / ChirpStack codecs are: sloppy mode, `var`, helpers,
# bit arithmetic on `bytes`, a `Date` recvTime, no `errors` key on success, console logs.
TS013 = """
function int8(b) { return b > 0x7f ? b - 0x100 : b; }
function readInt16BE(bytes, i) {
  var value = bytes[i] << 8 | bytes[i + 1];
  return value > 0x7fff ? value - 0x10000 : value;
}

function decodeUplink(input) {
  var bytes = input.bytes;
  console.log("decoding", bytes.length, "bytes");
  if (input.fPort !== 1) {
    return { errors: ["unknown fPort " + input.fPort] };
  }
  var data = {
    temperature: readInt16BE(bytes, 0) / 100,
    humidity: bytes[2] / 2,
    battery: { voltage: (bytes[3] << 8 | bytes[4]) / 1000, low: (bytes[5] & 0x01) === 1 },
    status: ["ok", "alarm"][bytes[6]],
    acceleration: [int8(bytes[7]), int8(bytes[8]), int8(bytes[9])],
    received: input.recvTime.toISOString(),
    firmware: null
  };
  var warnings = [];
  if (data.battery.low) warnings.push("battery low");
  return { data: data, warnings: warnings };
}
"""


def uplink(payload_hex: str, f_port: int = 1, f_cnt: int = 7) -> DecodeInput:
    return DecodeInput.of_lora(
        LoraUplink(
            dev_eui="0123456789abcdef",
            f_port=f_port,
            f_cnt_up=f_cnt,
            payload_hex=payload_hex,
            received_at=AT,
        )
    )


def codec(
    script: str, contract: Literal["kpn", "ts013"] = "kpn", codec_id: str = "codec-1"
) -> CodecSnapshot:
    return CodecSnapshot(
        id=codec_id,
        customer_id="customer-1",
        kind="decoder",
        name="My decoder",
        contract=contract,
        script=script,
        version=3,
    )


def decoded(decoder: ScriptDecoder, up: DecodeInput) -> list[dict[str, object]]:
    return [r.model_dump(exclude_none=True) for r in decoder.decode(up, CTX)]


def kpn_main(body: str) -> ScriptDecoder:
    return ScriptDecoder(codec(f"function main(input) {{ {body} }}"))


@pytest.mark.parametrize(
    ("payload_hex", "f_port", "expected"),
    [
        (
            "00EA64",
            2,
            [
                {"bn": URN, "bt": BT, "n": "temperature", "u": "Cel", "v": 23.4},
                {"n": "humidity", "u": "%RH", "v": 100},
                {"n": "frame", "v": 7},
                {"n": "encoding", "vs": "hex:00ea64"},
            ],
        ),
        ("00EA64", 3, []),  # main() returned null: dropped, not a failure
    ],
)
def test_kpn_script_output_is_normalised_senml(
    payload_hex: str, f_port: int, expected: list[dict[str, object]]
) -> None:
    decoder = ScriptDecoder(codec(KPN))
    assert decoded(decoder, uplink(payload_hex, f_port)) == expected
    assert decoder.stats == ScriptStats(calls=1)


def test_ts013_vendor_codec_runs_unchanged_and_data_maps_to_senml() -> None:
    decoder = ScriptDecoder(codec(TS013, "ts013"))
    assert decoded(decoder, uplink("FF6A5A0E10010001FF10")) == [
        {"bn": URN, "bt": BT, "n": "temperature", "v": -1.5},
        {"n": "humidity", "v": 45},
        {"n": "battery/voltage", "v": 3.6},
        {"n": "battery/low", "vb": True},
        {"n": "status", "vs": "ok"},
        {"n": "acceleration/0", "v": 1},
        {"n": "acceleration/1", "v": -1},
        {"n": "acceleration/2", "v": 16},
        {"n": "received", "vs": "2020-03-31T10:32:30.500Z"},
    ]
    # the codec's own "battery low", and `firmware: null` skipped
    assert decoder.stats == ScriptStats(calls=1, warnings=2)


def test_ts013_errors_fail_the_decoding_with_their_messages() -> None:
    decoder = ScriptDecoder(codec(TS013, "ts013"))
    with pytest.raises(ScriptFailed, match=r"^decodeUplink\(\) reported errors: unknown fPort 9$"):
        decoder.decode(uplink("00", f_port=9), CTX)


@pytest.mark.parametrize(
    ("data", "records", "warnings"),
    [
        ({"t": 21.5, "n": 3}, [{"n": "t", "v": 21.5}, {"n": "n", "v": 3}], []),
        ({"s": "on", "b": False}, [{"n": "s", "vs": "on"}, {"n": "b", "vb": False}], []),
        ({"a": {"b": {"c": 1}}}, [{"n": "a/b/c", "v": 1}], []),
        ({"xyz": [1, 2.5]}, [{"n": "xyz/0", "v": 1}, {"n": "xyz/1", "v": 2.5}], []),
        ({"empty": [], "none": {}}, [], []),
        ({"x": None}, [], ["skipped 'x': null has no SenML value"]),
        ({"x": ["a", 1]}, [], ["skipped 'x': an array has no SenML value"]),
        ({"x": [True]}, [], ["skipped 'x': an array has no SenML value"]),
        ({"a": {"bad key": 1}}, [], ["skipped 'a/bad key': the key is not usable in a SenML name"]),
    ],
)
def test_ts013_data_maps_by_value_type(
    data: dict[str, object], records: list[dict[str, object]], warnings: list[str]
) -> None:
    assert data_records(data) == (records, warnings)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("while (true) {}", r"^exceeded 50 ms CPU$"),
        ("let a = []; while (true) a.push(new Float64Array(1 << 20));", r"^exceeded memory limit"),
        ("let s = 'x'; while (true) s += s;", r"^exceeded memory limit"),
        ("function f() { return f() + 1; } return f();", r"^exceeded stack limit"),
        ("return 'x'.repeat(70000);", r"^output larger than 65536 bytes$"),
        ("return {};", r"^main\(\) must return a JSON string or null, not an object$"),
        ("return '{]';", r"^main\(\) returned invalid JSON"),
        ('return \'[{"n": "t"}]\';', r"^invalid SenML: record 0, field 'v': no value"),
        (r"return '[{\"n\": \"a\", \"vs\": \"\\ud800\"}]';", r"returned text that is not valid"),
        (
            "return '['.repeat(5000) + ']'.repeat(5000);",
            r"^main\(\) returned JSON nested too deeply$",
        ),
        ("var x;\n  return x.y;", r"^TypeError: cannot read property 'y' of undefined \(line 2\)$"),
        ("\n  throw new Error('bad payload');", r"^Error: bad payload \(line 2\)$"),
    ],
)
def test_a_failing_or_greedy_call_raises_script_failed(body: str, reason: str) -> None:
    decoder = kpn_main(body)
    started = time.perf_counter()
    with pytest.raises(ScriptFailed, match=reason) as failed:
        decoder.decode(uplink("00"), CTX)
    assert time.perf_counter() - started < 1.0
    assert isinstance(failed.value, ValueError)  # the router's per-flow decode failure


def test_huge_ts013_data_is_refused_before_it_is_parsed() -> None:
    script = "function decodeUplink() { return { data: { s: 'x'.repeat(70000) } }; }"
    with pytest.raises(ScriptFailed, match=r"^output larger than 65536 bytes$"):
        ScriptDecoder(codec(script, "ts013")).decode(uplink("00"), CTX)


def test_decoder_works_again_after_a_cap_breach() -> None:
    decoder = kpn_main(
        "var m = JSON.parse(input); if (m.metadata.fPort === 9) { while (true) {} }"
        " return JSON.stringify([{n: 'port', v: m.metadata.fPort}]);"
    )
    with pytest.raises(ScriptFailed, match="CPU"):
        decoder.decode(uplink("00", f_port=9), CTX)
    assert decoded(decoder, uplink("00", f_port=1)) == [{"bn": URN, "bt": BT, "n": "port", "v": 1}]


@pytest.mark.parametrize(
    ("script", "contract", "limits", "reason"),
    [
        ("function main(input) {\n  return 1 +;\n}", "kpn", None, r"^SyntaxError: .* \(line 2\)$"),
        ("var decode = 1;", "ts013", None, r"^the script defines no decodeUplink\(\) function$"),
        ("// " + "x" * 262_142, "kpn", None, r"^script larger than 262144 bytes$"),
        ("function main() {}\0", "kpn", None, r"NUL character"),
        ("while (true) {}", "kpn", ScriptLimits(build_cpu_ms=20), r"^exceeded 20 ms CPU$"),
        ("import os from 'os';", "kpn", None, r"^SyntaxError"),
    ],
)
def test_a_bad_script_is_refused_when_built(
    script: str, contract: Literal["kpn", "ts013"], limits: ScriptLimits | None, reason: str
) -> None:
    with pytest.raises(ScriptFailed, match=reason):
        ScriptDecoder(codec(script, contract), limits)


def test_an_encoder_is_not_built_as_a_decoder() -> None:
    encoder = codec("function encodeDownlink() {}", "ts013").model_copy(update={"kind": "encoder"})
    with pytest.raises(ScriptFailed, match="is an encoder"):
        ScriptDecoder(encoder)


def test_the_sandbox_offers_no_io() -> None:
    names = ["require", "fetch", "process", "XMLHttpRequest", "WebSocket", "setTimeout"]
    names += ["std", "os", "Deno", "Bun", "importScripts", "module", "exports"]
    decoder = kpn_main(
        f"return JSON.stringify({names}.map(function (name) {{"
        " return {n: name, vs: eval('typeof ' + name)}; }));"
    )
    assert {r["n"]: r["vs"] for r in decoded(decoder, uplink("00"))} == dict.fromkeys(
        names, "undefined"
    )


def test_dynamic_import_finds_no_module() -> None:
    decoder = kpn_main(
        "var seen = 'pending'; import('os').then(function () { seen = 'loaded'; },"
        " function () { seen = 'refused'; }); return JSON.stringify([{n: 'seen', vs: seen}]);"
    )
    # The promise never settles within the call: no module can be loaded synchronously.
    assert decoded(decoder, uplink("00")) == [{"bn": URN, "bt": BT, "n": "seen", "vs": "pending"}]


@pytest.mark.parametrize(
    "script",
    [
        "var calls = 0; function main() { calls++; return JSON.stringify([{n: 'c', v: calls}]); }",
        "let calls = 0; function main() { calls++; return JSON.stringify([{n: 'c', v: calls}]); }",
        # sloppy implicit global, as some vendor codecs write
        "function main() { if (typeof calls === 'undefined') calls = 0; calls++;"
        " return JSON.stringify([{n: 'c', v: calls}]); }",
        "function main() { globalThis.calls = (globalThis.calls || 0) + 1;"
        " return JSON.stringify([{n: 'c', v: globalThis.calls}]); }",
    ],
)
def test_a_call_does_not_see_state_left_by_the_previous_call(script: str) -> None:
    decoder = ScriptDecoder(codec(script))
    for _ in range(3):
        assert decoded(decoder, uplink("00")) == [{"bn": URN, "bt": BT, "n": "c", "v": 1}]


def test_codecs_do_not_share_built_ins() -> None:
    tamper = "function main() { Math.max = function () { return 42; }; return null; }"
    honest = "function main() { return JSON.stringify([{n: 'm', v: Math.max(1, 2)}]); }"
    ScriptDecoder(codec(tamper, codec_id="a")).decode(uplink("00"), CTX)
    assert decoded(ScriptDecoder(codec(honest, codec_id="b")), uplink("00"))[0]["v"] == 2


def test_counters_report_a_decoder_that_keeps_failing() -> None:
    decoder = kpn_main(
        "if (JSON.parse(input).payload === 'ff') throw new Error('bad'); return null;"
    )
    decoder.decode(uplink("00"), CTX)
    for _ in range(2):
        with pytest.raises(ScriptFailed):
            decoder.decode(uplink("FF"), CTX)
    assert decoder.stats == ScriptStats(
        calls=3, failures=2, consecutive_failures=2, last_failure="Error: bad"
    )
    decoder.decode(uplink("00"), CTX)
    assert decoder.stats == ScriptStats(
        calls=4, failures=2, consecutive_failures=0, last_failure="Error: bad"
    )
    with pytest.raises(FrozenInstanceError):
        decoder.stats.calls = 0  # type: ignore[misc]
    with pytest.raises(AttributeError):
        decoder.stats = ScriptStats()  # type: ignore[misc]


def test_as_decoder_sits_next_to_the_built_ins() -> None:
    decoder = as_decoder(codec(KPN))
    assert (decoder.id, decoder.version, decoder.name) == ("codec-1", 3, "My decoder")
    assert decoder.decode(uplink("00EA64", f_port=2), CTX)[0].v == 23.4
