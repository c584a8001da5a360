"""Destination format scripts: `format(pack)` reshapes what a destination is sent.

The script runs in the DIY decoders' sandbox, under the same caps per call (`FORMAT_LIMITS`
only makes the script itself smaller, as it travels in every destination change event).
`format` receives the SenML pack as the JSON body would carry it (an array of records)
and returns the body: a string is sent as it is, as `application/json` when it parses as
JSON and `text/plain; charset=utf-8` otherwise; an object or an array as compact JSON.
Anything else, an error thrown or a cap breached raises `ScriptFailed`.
"""

import json
from dataclasses import dataclass

from senflow.codecs.script_engine import ScriptFailed, ScriptFunction, ScriptLimits

ENTRY = "format"
JSON_TYPE = "application/json"
TEXT_TYPE = "text/plain; charset=utf-8"
FORMAT_LIMITS = ScriptLimits(script_bytes=64 * 2**10)

# Evaluated once per runtime, called with the script: returns the per-call function, or
# null when the script defines no format(). As for decoders, the script is the body of a
# function each call runs anew, and the globals a call creates are deleted after it. The
# answer comes back tagged: "t" + a string, "j" + JSON text, or "x" + what it was instead.
FORMAT_HARNESS_JS = """(function (source) {
  "use strict";
  const parse = JSON.parse, stringify = JSON.stringify, keys = Object.keys,
    remove = Reflect.deleteProperty, isArray = Array.isArray, quiet = () => undefined;
  Object.defineProperty(globalThis, "console", {writable: true, configurable: true,
    value: Object.freeze({log: quiet, info: quiet, warn: quiet, error: quiet, debug: quiet})});
  const fresh = new Function(source
    + "\\n;return typeof format === 'function' ? format : undefined;");
  const sweep = () => { for (const name of keys(globalThis)) remove(globalThis, name); };
  try { if (typeof fresh() !== "function") return null; } finally { sweep(); }
  return function (input) {
    try {
      const body = fresh()(parse(input));
      if (typeof body === "string") return "t" + body;
      if (typeof body === "object" && body !== null) {
        const text = stringify(body);
        if (typeof text === "string") return "j" + text;
      }
      return "x" + (body === null ? "null" : isArray(body) ? "array" : typeof body);
    } finally { sweep(); }
  };
})"""


@dataclass(frozen=True)
class FormattedBody:
    data: bytes
    content_type: str


class FormatScript:
    """One destination's format script, compiled once (`ScriptFailed` when it does not
    compile or defines no `format`). Not thread-safe: callers serialise their calls."""

    def __init__(
        self, script: str, limits: ScriptLimits = FORMAT_LIMITS, destination_id: str = ""
    ) -> None:
        self.script = script
        self._function = ScriptFunction(
            script, ENTRY, FORMAT_HARNESS_JS, (script,), limits, {"destination_id": destination_id}
        )

    def format(self, pack_json: bytes) -> FormattedBody:
        """The body to send for the SenML pack `pack_json` (compact JSON)."""
        return formatted(self._function(pack_json.decode()))


def formatted(output: object) -> FormattedBody:
    """The body in what the harness returned."""
    if not isinstance(output, str) or not output:
        raise ScriptFailed(f"{ENTRY}() gave no answer")
    tag, text = output[0], output[1:]
    if tag == "j":
        return FormattedBody(text.encode(), JSON_TYPE)
    if tag == "t":
        return FormattedBody(text.encode(), JSON_TYPE if is_json(text) else TEXT_TYPE)
    kind = "undefined (nothing)" if text == "undefined" else text
    raise ScriptFailed(f"{ENTRY}() must return a string, an object or an array, not {kind}")


def is_json(text: str) -> bool:
    """Whether `text` is a JSON document (NaN and Infinity are not JSON)."""
    try:
        json.loads(text, parse_constant=_refuse)
    except (ValueError, RecursionError):
        return False
    return True


def _refuse(constant: str) -> object:
    raise ValueError(constant)
