"""The two DIY encoder contracts: what a script is given, and how its answer becomes bytes.

- `ts013` (LoRa Alliance TS013-1.0.0, as The Things Stack and ChirpStack run it):
  `encodeDownlink({data, fPort})` returns `{bytes, fPort, warnings, errors}`. `data` is the
  command's data object, or its SenML mapped to one (`command_data`); `fPort` is the port
  asked for, or null. A non-empty `errors` refuses the command (`invalid-command`, with
  the script's messages); `bytes` must be integers 0–255 (a `Uint8Array` is accepted);
  `fPort`, when given, must be 1–223 and wins over the port asked for (the codec knows
  its device's ports).
- `kpn`, the mirror of the KPN decoder contract: `main(input)` receives the JSON text of
  `{command: <SenML pack>, metadata: {urn, fPort}}` and returns the JSON text of
  `{encoding: "hex", payload: "<hex>", fPort, warnings}` (`encoding`, `fPort` and
  `warnings` optional), or null when it does not handle the command
  (`unsupported-command`). The pack is the command's records as given, or its data object
  mapped to records as the decoders map `data` (`data_records`).
A raw payload is never given to a script (`unsupported-command`): it needs no encoding.
Pure functions raising `EncodeFailed`, and `ENCODE_HARNESS_JS`, the JavaScript side.
"""

import json
import re
from dataclasses import dataclass

from senflow.codecs.command_data import command_data
from senflow.codecs.encode_base import EncodeContext, EncodeInput
from senflow.codecs.errors import EncodeFailed
from senflow.codecs.lora_downlink import is_application_port
from senflow.codecs.script_contracts import ContractName, data_records
from senflow.codecs.senml_command import command_values

ENCODE_ENTRY_POINTS: dict[ContractName, str] = {"kpn": "main", "ts013": "encodeDownlink"}
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})*")
_MAX_SHOWN = 300

# As the decoders' HARNESS_JS (see there): evaluated once per runtime and called with
# (script, entry point, contract); the script is the body of a function each call runs
# anew, and the globals a call creates are deleted after it. A typed array in `bytes` is
# made a plain one, since JSON.stringify would turn it into an object of indices.
ENCODE_HARNESS_JS = """(function (source, entry, contract) {
  "use strict";
  const parse = JSON.parse, stringify = JSON.stringify, keys = Object.keys,
    remove = Reflect.deleteProperty, isView = ArrayBuffer.isView, toArray = Array.from,
    quiet = () => undefined;
  Object.defineProperty(globalThis, "console", {writable: true, configurable: true,
    value: Object.freeze({log: quiet, info: quiet, warn: quiet, error: quiet, debug: quiet})});
  const fresh = new Function(source + "\\n;return typeof " + entry + " === 'function' ? "
    + entry + " : undefined;");
  const sweep = () => { for (const name of keys(globalThis)) remove(globalThis, name); };
  try { if (typeof fresh() !== "function") return null; } finally { sweep(); }
  return function (input) {
    try {
      const encode = fresh();
      if (contract === "kpn") return encode(input);
      const answer = encode(parse(input));
      if (answer !== null && typeof answer === "object" && isView(answer.bytes)) {
        return stringify(Object.assign({}, answer, {bytes: toArray(answer.bytes)}));
      }
      return stringify(answer);
    } finally { sweep(); }
  };
})"""


@dataclass(frozen=True)
class ScriptEncoding:
    """What a script encoded: the bytes, the port it chose (if any) and its warnings."""

    payload: bytes
    f_port: int | None
    warnings: tuple[str, ...] = ()


def encoder_script_input(
    contract: ContractName, command: EncodeInput, ctx: EncodeContext
) -> tuple[str, tuple[str, ...]]:
    """The JSON text handed to the script, and the warnings of mapping the command to it."""
    if command.payload is not None:
        raise EncodeFailed(
            "unsupported-command",
            "a DIY encoder encodes a SenML command or a data object; a raw payload needs"
            " no encoding (use lora-raw-encoder)",
        )
    body, warnings = (_ts013_input if contract == "ts013" else _kpn_input)(command, ctx)
    try:
        text = json.dumps(body, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError, RecursionError) as err:  # NaN, a set, a cycle, …
        raise EncodeFailed("invalid-command", f"data: not a JSON object: {err}") from None
    return text, warnings


def _ts013_input(
    command: EncodeInput, ctx: EncodeContext
) -> tuple[dict[str, object], tuple[str, ...]]:
    if command.data is not None:
        data = dict(command.data)
    else:
        data = command_data(command_values(command.senml or (), ctx.device_urn))
    return {"data": data, "fPort": command.f_port}, ()


def _kpn_input(
    command: EncodeInput, ctx: EncodeContext
) -> tuple[dict[str, object], tuple[str, ...]]:
    skipped: list[str] = []
    if command.data is not None:
        records, skipped = data_records(dict(command.data))
        if not records:
            raise EncodeFailed("invalid-command", "data: no value with a SenML form")
    else:
        command_values(command.senml or (), ctx.device_urn)  # checked as a pack
        records = [record.model_dump(exclude_none=True) for record in command.senml or ()]
    metadata = {"urn": ctx.device_urn, "fPort": command.f_port}
    return {"command": records, "metadata": metadata}, tuple(skipped)


def encoder_script_answer(contract: ContractName, output: object) -> ScriptEncoding:
    """The encoding in what the entry point returned (JSON text, or None for no answer)."""
    entry = ENCODE_ENTRY_POINTS[contract]
    if contract == "kpn" and output is None:
        raise EncodeFailed(
            "unsupported-command", "main() returned null: the script does not handle this command"
        )
    if not isinstance(output, str):
        wanted = "a JSON string or null" if contract == "kpn" else "an object"
        raise _bad_answer(f"{entry}() must return {wanted}, not {_kind(output)}")
    try:
        answer = json.loads(output)
    except json.JSONDecodeError as err:
        raise _bad_answer(f"{entry}() returned invalid JSON: {err}") from None
    except RecursionError:
        raise _bad_answer(f"{entry}() returned JSON nested too deeply") from None
    if not isinstance(answer, dict):
        raise _bad_answer(f"{entry}() must return an object, not {_kind(answer)}")
    payload = _ts013_bytes(answer) if contract == "ts013" else _kpn_payload(answer)
    port = answer.get("fPort")
    if port is not None and not is_application_port(port):
        raise _bad_answer(f"{entry}() returned fPort {_js(port)}, not an application port (1–223)")
    return ScriptEncoding(payload, port, _strings(answer.get("warnings")))


def _ts013_bytes(answer: dict[str, object]) -> bytes:
    errors = answer.get("errors")
    if errors:
        shown = "; ".join(_strings(errors))
        raise EncodeFailed("invalid-command", f"encodeDownlink() reported errors: {shown}"[:500])
    values = answer.get("bytes")
    if not isinstance(values, list):
        raise _bad_answer(f"encodeDownlink() returned no bytes array (bytes is {_kind(values)})")
    for index, value in enumerate(values):
        if type(value) is not int or not 0 <= value <= 255:
            raise _bad_answer(
                f"encodeDownlink() returned bytes[{index}] = {_js(value)}, not a byte (0–255)"
            )
    return bytes(values)


def _kpn_payload(answer: dict[str, object]) -> bytes:
    encoding = answer.get("encoding", "hex")
    if encoding != "hex":
        raise _bad_answer(f"main() returned encoding {encoding!r}; only 'hex' is supported")
    payload = answer.get("payload")
    if not isinstance(payload, str) or not _HEX.fullmatch(payload):
        shown = repr(payload)[:40] if isinstance(payload, str) else _kind(payload)
        raise _bad_answer(f"main() returned payload {shown}, not hex (pairs of 0-9, A-F)")
    return bytes.fromhex(payload)


def _strings(values: object) -> tuple[str, ...]:
    if values is None:
        return ()
    texts = map(str, values) if isinstance(values, list) else (str(values),)
    # A lone surrogate (JSON allows "\ud800") would break every later UTF-8 encoding.
    return tuple(text.encode("utf-8", "replace").decode("utf-8") for text in texts)


def _js(value: object) -> str:
    """A value as the script's author wrote it (`true`, `"1"`), for an error detail."""
    return json.dumps(value)[:40]


def _bad_answer(detail: str) -> EncodeFailed:
    return EncodeFailed("script-error", detail[:_MAX_SHOWN])


def _kind(value: object) -> str:
    if value is None:
        return "nothing (null or undefined)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"
