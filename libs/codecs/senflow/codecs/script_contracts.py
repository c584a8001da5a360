"""The two DIY decoder contracts: what a script is given, and how its answer becomes SenML.

- `kpn`: `main(input)` receives the JSON text of `{encoding: "hex", payload, metadata: {urn,
  ingestion: {timestamp}, fPort, fCnt}}` (payload in lower-case hex, timestamp in epoch ms)
  and returns the JSON text of a SenML pack, or null (or nothing) to drop the uplink.
- `ts013` (LoRa Alliance TS013, as The Things Stack and ChirpStack run it):
  `decodeUplink({bytes, fPort, recvTime, variables})` returns `{data, warnings, errors}`.
  `recvTime` is a `Date`, as the codec API specifies; here it travels as an ISO string and
  the sandbox turns it into a `Date`. A non-empty `errors` fails the decoding; `data` maps
  to records by name (see `data_records`).
Pure functions (an unusable answer raises `ValueError` naming what is wrong), and
`HARNESS_JS`, the JavaScript side that hands each contract its input inside the sandbox.
"""

import json
import re
from dataclasses import dataclass
from datetime import UTC
from typing import Literal

from senflow.codecs.base import DecodeContext, DecodeInput

ContractName = Literal["kpn", "ts013"]
ENTRY_POINTS: dict[ContractName, str] = {"kpn": "main", "ts013": "decodeUplink"}

# A key becomes part of a SenML name (`bn + n`, RFC 8428 §4.5.1), so it may only use these.
_NAME_PART = re.compile(r"[A-Za-z0-9:./_-]+")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")

# The JavaScript side, evaluated once per runtime and called with (script, entry point,
# contract): it returns the per-call function, or null when the script defines no entry
# point. The script is compiled as the body of a function (`fresh`) that each call runs
# anew, so its top-level `var`, `let`, `const` and functions never carry over from one
# call to the next; the enumerable globals a call creates (a sloppy `x = 1`, or
# `globalThis.x = …`) are deleted after it. `console.*` are no-ops: published codecs log.
HARNESS_JS = """(function (source, entry, contract) {
  "use strict";
  const parse = JSON.parse, stringify = JSON.stringify, keys = Object.keys,
    remove = Reflect.deleteProperty, NativeDate = Date, quiet = () => undefined;
  Object.defineProperty(globalThis, "console", {writable: true, configurable: true,
    value: Object.freeze({log: quiet, info: quiet, warn: quiet, error: quiet, debug: quiet})});
  const fresh = new Function(source + "\\n;return typeof " + entry + " === 'function' ? "
    + entry + " : undefined;");
  const sweep = () => { for (const name of keys(globalThis)) remove(globalThis, name); };
  try { if (typeof fresh() !== "function") return null; } finally { sweep(); }
  return function (input) {
    try {
      const decode = fresh();
      if (contract === "kpn") return decode(input);
      const uplink = parse(input);
      uplink.recvTime = new NativeDate(uplink.recvTime);
      return stringify(decode(uplink));
    } finally { sweep(); }
  };
})"""


@dataclass(frozen=True)
class ScriptAnswer:
    """What a script decoded: unresolved SenML records, and why anything was left out."""

    records: list[dict[str, object]]
    warnings: tuple[str, ...] = ()


def script_input(contract: ContractName, uplink: DecodeInput, ctx: DecodeContext) -> str:
    """The JSON text handed to the script's entry point."""
    if contract == "kpn":
        body: dict[str, object] = {
            "encoding": "hex",
            "payload": uplink.payload.hex(),
            "metadata": {
                "urn": ctx.device_urn,
                "ingestion": {"timestamp": round(uplink.received_at.timestamp() * 1000)},
                "fPort": uplink.f_port,
                "fCnt": uplink.f_cnt,
            },
        }
    else:
        received = uplink.received_at.astimezone(UTC).isoformat(timespec="milliseconds")
        body = {
            "bytes": list(uplink.payload),
            "fPort": uplink.f_port,
            "recvTime": received.replace("+00:00", "Z"),  # as JS `Date.toISOString()` has it
            "variables": {},
        }
    return json.dumps(body, separators=(",", ":"))


def script_answer(contract: ContractName, output: object) -> ScriptAnswer:
    """The records in what the entry point returned (JSON text, or None for no answer)."""
    entry = ENTRY_POINTS[contract]
    if contract == "kpn" and output is None:
        return ScriptAnswer(records=[])  # null: drop the uplink
    if not isinstance(output, str):
        wanted = "a JSON string or null" if contract == "kpn" else "an object"
        raise ValueError(f"{entry}() must return {wanted}, not {_kind(output)}")
    try:
        parsed = json.loads(output)
        if _SURROGATE_ESCAPE.search(output):  # a lone one would break every consumer later
            json.dumps(parsed, ensure_ascii=False).encode()
    except json.JSONDecodeError as err:
        raise ValueError(f"{entry}() returned invalid JSON: {err}") from None
    except UnicodeEncodeError:
        raise ValueError(f"{entry}() returned text that is not valid Unicode") from None
    except RecursionError:
        raise ValueError(f"{entry}() returned JSON nested too deeply") from None
    if contract == "kpn":
        if not isinstance(parsed, list):
            raise ValueError(f"main() must return a SenML pack (an array), not {_kind(parsed)}")
        return ScriptAnswer(records=parsed)
    return _ts013_answer(parsed)


def _ts013_answer(parsed: object) -> ScriptAnswer:
    if not isinstance(parsed, dict):
        raise ValueError(f"decodeUplink() must return an object, not {_kind(parsed)}")
    errors = parsed.get("errors") or []
    if errors:
        shown = "; ".join(map(str, errors)) if isinstance(errors, list) else str(errors)
        raise ValueError(f"decodeUplink() reported errors: {shown}")
    data = parsed.get("data")
    if not isinstance(data, dict):
        raise ValueError(f"decodeUplink() returned no data object (data is {_kind(data)})")
    records, skipped = data_records(data)
    warnings = parsed.get("warnings") or []
    own = [str(w) for w in warnings] if isinstance(warnings, list) else [str(warnings)]
    return ScriptAnswer(records=records, warnings=tuple(own + skipped))


def data_records(data: dict[str, object]) -> tuple[list[dict[str, object]], list[str]]:
    """`data` as SenML records, and a warning for each value that has no SenML form.

    A number becomes `v`, a string `vs`, a boolean `vb`; a nested object's fields are named
    `parent/child`; an array of numbers gives `name/0`, `name/1`, …; anything else (null,
    other arrays, a key not usable in a SenML name) is skipped with a warning.
    """
    records: list[dict[str, object]] = []
    warnings: list[str] = []
    _flatten("", data, records, warnings)
    return records, warnings


def _flatten(
    prefix: str, data: dict[str, object], records: list[dict[str, object]], warnings: list[str]
) -> None:
    for key, value in data.items():
        name = prefix + key
        if not _NAME_PART.fullmatch(key):
            warnings.append(f"skipped {name!r}: the key is not usable in a SenML name")
        elif isinstance(value, bool):
            records.append({"n": name, "vb": value})
        elif _is_number(value):
            records.append({"n": name, "v": value})
        elif isinstance(value, str):
            records.append({"n": name, "vs": value})
        elif isinstance(value, dict):
            _flatten(name + "/", value, records, warnings)
        elif isinstance(value, list) and all(_is_number(item) for item in value):
            records.extend({"n": f"{name}/{i}", "v": item} for i, item in enumerate(value))
        else:
            warnings.append(f"skipped {name!r}: {_kind(value)} has no SenML value")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if _is_number(value):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"
