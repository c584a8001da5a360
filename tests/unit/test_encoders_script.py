"""DIY encoders in the QuickJS sandbox: TS013 `encodeDownlink`, the KPN `main` mirror, the
caps (each failing one encode, the engine staying usable), isolation and counters."""

import re
import time
from typing import Literal

import pytest

from senflow.codecs.encode_base import EncodeContext, EncodeInput, EncodeOutput
from senflow.codecs.errors import EncodeFailed
from senflow.codecs.script_encoder import ScriptEncoder, as_encoder
from senflow.codecs.script_engine import ScriptLimits, ScriptStats
from senflow.common.events import CodecSnapshot
from senflow.common.senml import SenmlRecord as R

URN = "urn:dev:DEVEUI:0123456789ABCDEF:"
LORA = EncodeContext(URN)
INTERNET = EncodeContext("urn:dev:DVNUUID:5f8e9c2a-3b1d-4e6f-8a7b-9c0d1e2f3a4b:")

# Written the way published TTN / ChirpStack codecs are: sloppy mode, `var`, console logs,
# `errors` to refuse a command, `warnings` for a doubtful one.
TS013 = """
function encodeDownlink(input) {
  console.log("encoding", input.data);
  if (typeof input.data.interval !== "number") {
    return { errors: ["interval is required"] };
  }
  var seconds = input.data.interval;
  var bytes = [0x01, (seconds >> 8) & 0xff, seconds & 0xff];
  if (input.data.led) bytes.push(input.data.led.on ? 1 : 0);
  var warnings = [];
  if (seconds < 60) warnings.push("an interval below one minute drains the battery");
  return { bytes: bytes, fPort: 10, warnings: warnings };
}
"""

KPN = """
function main(input) {
  var msg = JSON.parse(input);
  var hex = "";
  msg.command.forEach(function (r) {
    if (r.n === "interval") hex += ("0000" + r.v.toString(16)).slice(-4);
  });
  if (!hex) return null;
  return JSON.stringify({encoding: "hex", payload: hex, fPort: 3,
                         warnings: ["for " + msg.metadata.urn + " port " + msg.metadata.fPort]});
}
"""


def codec(
    script: str,
    contract: Literal["kpn", "ts013"] = "ts013",
    kind: Literal["decoder", "encoder"] = "encoder",
) -> CodecSnapshot:
    return CodecSnapshot(
        id="encoder-1",
        customer_id="customer-1",
        kind=kind,
        name="My encoder",
        contract=contract,
        script=script,
        version=2,
    )


def ts013(body: str) -> ScriptEncoder:
    return ScriptEncoder(codec(f"function encodeDownlink(input) {{ {body} }}"))


def failure(encoder: ScriptEncoder, command: EncodeInput, ctx: EncodeContext = LORA) -> str:
    with pytest.raises(EncodeFailed) as failed:
        encoder.encode(command, ctx)
    assert failed.value.retriable is False
    return f"{failed.value.reason}: {failed.value.detail}"


def test_ts013_vendor_codec_encodes_a_data_command() -> None:
    encoder = ScriptEncoder(codec(TS013))
    out = encoder.encode(EncodeInput.of_data({"interval": 600}), LORA)
    assert out == EncodeOutput(bytes.fromhex("010258"), 10)
    assert encoder.stats == ScriptStats(calls=1)


def test_ts013_gets_a_senml_command_as_data_by_name() -> None:
    command = EncodeInput.of_senml([R(bn=URN, n="interval", u="s", v=30), R(n="led/on", vb=True)])
    assert ScriptEncoder(codec(TS013)).encode(command, LORA) == EncodeOutput(
        bytes.fromhex("01001E01"), 10, ("an interval below one minute drains the battery",)
    )


def test_ts013_errors_refuse_the_command_with_their_messages() -> None:
    encoder = ScriptEncoder(codec(TS013))
    detail = failure(encoder, EncodeInput.of_data({"led": {"on": True}}))
    assert detail == "invalid-command: encodeDownlink() reported errors: interval is required"
    assert encoder.stats.failures == 1


def test_ts013_receives_the_port_asked_for_and_its_own_port_wins() -> None:
    echo = ts013("return {bytes: [input.fPort === null ? 0 : input.fPort]};")
    assert echo.encode(EncodeInput.of_data({}, f_port=7), LORA) == EncodeOutput(b"\x07", 7)
    assert failure(echo, EncodeInput.of_data({})) == (
        "invalid-command: fPort: a LoRa downlink needs a port (1–223), none given"
    )
    chooser = ScriptEncoder(codec(TS013))
    assert chooser.encode(EncodeInput.of_data({"interval": 600}, f_port=4), LORA).warnings == (
        "the script chose fPort 10, not the 4 asked for",
    )


def test_ts013_port_is_dropped_quietly_for_other_networks() -> None:
    out = ScriptEncoder(codec(TS013)).encode(EncodeInput.of_data({"interval": 600}), INTERNET)
    assert out == EncodeOutput(bytes.fromhex("010258"), None)


def test_ts013_typed_array_bytes_are_accepted() -> None:
    encoder = ts013("return {bytes: new Uint8Array([1, 2, 255]), fPort: 1};")
    assert encoder.encode(EncodeInput.of_data({}), LORA).payload == bytes.fromhex("0102FF")


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ("return {bytes: [1, 256], fPort: 1};", "returned bytes[1] = 256, not a byte (0–255)"),
        ("return {bytes: [-1], fPort: 1};", "returned bytes[0] = -1, not a byte"),
        ("return {bytes: [1.5], fPort: 1};", "returned bytes[0] = 1.5, not a byte"),
        ("return {bytes: ['1'], fPort: 1};", 'returned bytes[0] = "1", not a byte'),
        ("return {bytes: [true], fPort: 1};", "returned bytes[0] = true, not a byte"),
        ("return {bytes: '0102', fPort: 1};", "returned no bytes array (bytes is a string)"),
        ("return {fPort: 1};", "returned no bytes array (bytes is nothing (null or undefined))"),
        ("return {bytes: [1], fPort: 0};", "returned fPort 0, not an application port (1–223)"),
        ("return {bytes: [1], fPort: 224};", "returned fPort 224, not an application port"),
        ("return {bytes: [1], fPort: '2'};", 'returned fPort "2", not an application port'),
        ("return;", "must return an object, not nothing (null or undefined)"),
        ("return 5;", "must return an object, not a number"),
        ("return [1, 2];", "must return an object, not an array"),
    ],
)
def test_ts013_unusable_answer_fails_the_encode(body: str, detail: str) -> None:
    reason = failure(ts013(body), EncodeInput.of_data({}, f_port=1))
    assert reason.startswith(f"script-error: encodeDownlink() {detail}")


def test_ts013_huge_answer_is_refused_before_it_is_parsed() -> None:
    encoder = ts013("return {bytes: new Array(70000).fill(1)};")
    assert failure(encoder, EncodeInput.of_data({}, 1)) == (
        "script-error: output larger than 65536 bytes"
    )


def test_kpn_script_gets_the_senml_command_and_metadata() -> None:
    encoder = ScriptEncoder(codec(KPN, "kpn"))
    command = EncodeInput.of_senml([R(bn=URN, n="interval", v=600)], f_port=3)
    assert encoder.encode(command, LORA) == EncodeOutput(
        bytes.fromhex("0258"), 3, (f"for {URN} port 3",)
    )


def test_kpn_script_gets_a_data_command_as_records() -> None:
    encoder = ScriptEncoder(codec(KPN, "kpn"))
    out = encoder.encode(EncodeInput.of_data({"interval": 60, "note": None}), LORA)
    assert out == EncodeOutput(
        bytes.fromhex("003C"),
        3,
        ("skipped 'note': null has no SenML value", f"for {URN} port null"),
    )


def test_kpn_null_says_the_script_does_not_handle_the_command() -> None:
    encoder = ScriptEncoder(codec(KPN, "kpn"))
    assert failure(encoder, EncodeInput.of_senml([R(n="mode", vs="eco")])) == (
        "unsupported-command: main() returned null: the script does not handle this command"
    )


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ("return {payload: '01'};", "main() must return a JSON string or null, not an object"),
        ("return '{]';", "main() returned invalid JSON: "),
        ("return '[]';", "main() must return an object, not an array"),
        ("return JSON.stringify({payload: '0G'});", "main() returned payload '0G', not hex"),
        ("return JSON.stringify({payload: 1});", "main() returned payload a number, not hex"),
        (
            "return JSON.stringify({encoding: 'base64', payload: 'AQ=='});",
            "main() returned encoding 'base64'; only 'hex' is supported",
        ),
    ],
)
def test_kpn_unusable_answer_fails_the_encode(body: str, detail: str) -> None:
    encoder = ScriptEncoder(codec(f"function main(input) {{ {body} }}", "kpn"))
    assert failure(encoder, EncodeInput.of_data({"a": 1}, 1)).startswith(f"script-error: {detail}")


def test_kpn_data_without_a_senml_form_is_refused() -> None:
    encoder = ScriptEncoder(codec(KPN, "kpn"))
    assert failure(encoder, EncodeInput.of_data({"x": None})) == (
        "invalid-command: data: no value with a SenML form"
    )


@pytest.mark.parametrize("contract", ["ts013", "kpn"])
def test_a_raw_payload_is_not_given_to_a_script(contract: Literal["kpn", "ts013"]) -> None:
    encoder = ScriptEncoder(codec(TS013 if contract == "ts013" else KPN, contract))
    assert failure(encoder, EncodeInput.of_payload(b"\x01", 1)).startswith(
        "unsupported-command: a DIY encoder encodes a SenML command or a data object"
    )
    assert encoder.stats == ScriptStats()  # the script never ran


def test_data_that_json_cannot_hold_is_refused() -> None:
    encoder = ScriptEncoder(codec(TS013))
    assert failure(encoder, EncodeInput.of_data({"interval": float("nan")})).startswith(
        "invalid-command: data: not a JSON object"
    )


# A script that misbehaves only when asked to: the next, ordinary call must still work.
GREEDY = {
    "throw": (
        "\n  throw new Error('bad command');",
        r"^script-error: Error: bad command \(line 2\)$",
    ),
    "loop": ("while (true) {}", r"^script-timeout: exceeded 50 ms CPU$"),
    "memory": (
        # 8 MiB a push: out of memory in ~1 ms, far from the CPU cap even on a busy machine
        "var a = []; while (true) a.push(new Float64Array(1 << 20));",
        r"^script-memory: exceeded memory limit \(16777216 bytes\)$",
    ),
    "string": ("var s = 'x'; while (true) s += s;", r"^script-memory: exceeded memory limit"),
    "stack": (
        "var f = function () { return f() + 1; }; f();",
        r"^script-memory: exceeded stack limit \(262144 bytes\)$",
    ),
}


@pytest.mark.parametrize("mode", GREEDY)
def test_a_failing_or_greedy_script_fails_one_encode_and_the_engine_stays_usable(
    mode: str,
) -> None:
    body, reason = GREEDY[mode]
    encoder = ts013(
        f"if (input.data.mode === 'bad') {{ {body} }} return {{bytes: [42], fPort: 5}};"
    )
    started = time.perf_counter()
    assert re.match(reason, failure(encoder, EncodeInput.of_data({"mode": "bad"})))
    assert time.perf_counter() - started < 1.0
    assert encoder.encode(EncodeInput.of_data({"mode": "ok"}), LORA) == EncodeOutput(b"\x2a", 5)
    assert encoder.stats.calls == 2
    assert encoder.stats.consecutive_failures == 0
    assert encoder.stats.failures == 1


def test_caps_are_the_decoders_caps() -> None:
    assert ScriptEncoder(codec(TS013)).limits == ScriptLimits()


@pytest.mark.parametrize(
    ("snapshot", "limits", "reason"),
    [
        (
            codec("function encodeDownlink(input) {\n  return 1 +;\n}"),
            None,
            r"^script-error: SyntaxError",
        ),
        (
            codec("var encode = 1;"),
            None,
            r"^script-error: the script defines no encodeDownlink\(\)",
        ),
        (codec("function decodeUplink() {}"), None, r"defines no encodeDownlink\(\) function$"),
        (codec("function encodeDownlink() {}", "kpn"), None, r"defines no main\(\) function$"),
        (codec("// " + "x" * 262_142), None, r"^script-error: script larger than 262144 bytes$"),
        (
            codec("while (true) {}"),
            ScriptLimits(build_cpu_ms=20),
            r"^script-timeout: exceeded 20 ms",
        ),
        (codec("function encodeDownlink() {}", kind="decoder"), None, r"is a decoder$"),
    ],
)
def test_a_bad_script_is_refused_when_built(
    snapshot: CodecSnapshot, limits: ScriptLimits | None, reason: str
) -> None:
    with pytest.raises(EncodeFailed, match=reason):
        ScriptEncoder(snapshot, limits)


def test_a_call_does_not_see_state_left_by_the_previous_call() -> None:
    encoder = ScriptEncoder(
        codec(
            "var calls = 0; function encodeDownlink() { calls++;"
            " globalThis.seen = (globalThis.seen || 0) + 1; return {bytes: [calls, seen]}; }"
        )
    )
    for _ in range(3):
        assert encoder.encode(EncodeInput.of_data({}, 1), LORA).payload == b"\x01\x01"


def test_as_encoder_sits_next_to_the_built_ins() -> None:
    encoder = as_encoder(codec(TS013))
    assert (encoder.id, encoder.version, encoder.name) == ("encoder-1", 2, "My encoder")
    assert encoder.encode(EncodeInput.of_data({"interval": 1}), LORA).payload == b"\x01\x00\x01"
