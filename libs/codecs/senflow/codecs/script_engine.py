"""The sandbox that runs customers' (DIY) JavaScript decoders, on QuickJS.

Isolation: each codec version has its own QuickJS runtime, made and compiled once (that
costs ~0.3 ms; a call ~12 µs). `HARNESS_JS` keeps each call a function of its uplink:
top-level bindings start anew per call, and globals a call creates are deleted after it.
A deliberate change to a built-in (`Math.random = …`) persists until the runtime is rebuilt,
within that codec version only. Calls are serialised per decoder.

Caps per call: CPU time (QuickJS's interrupt handler, on the process CPU clock), memory (the
runtime's allocator limit, which also holds the compiled script), stack depth and output
size; the script's size is capped when it is built. After a CPU, memory or stack breach the
runtime is rebuilt, since the interrupted call may have left it half-updated. A breach, an
error in the script or an unusable answer raises `ScriptFailed`.

No I/O: QuickJS without its libc module has no `require`, `fetch`, timers, files or
network, and `import()` finds no module loader.

`ScriptFunction` is the runtime and its caps; `ScriptDecoder` puts a decoder contract on
it, and `format_script` a destination's format script.
"""

import logging
import re
import threading
from dataclasses import dataclass
from typing import Literal, Protocol, cast

import quickjs  # type: ignore[import-untyped]

from senflow.codecs.base import DecodeContext, DecodeInput, Decoder
from senflow.codecs.script_contracts import (
    ENTRY_POINTS,
    HARNESS_JS,
    script_answer,
    script_input,
)
from senflow.codecs.senml_normalise import normalise
from senflow.common.errors import SenflowError
from senflow.common.events import CodecSnapshot
from senflow.common.senml import SenmlRecord

logger = logging.getLogger(__name__)

_BODY_OFFSET = 2  # lines the Function constructor puts before the body it compiles
_FRAME = re.compile(r"\s*at (?:[^\s(]+ \()?<input>:(?P<line>\d+)")
_MAX_REASON = 300

Cap = Literal["cpu", "memory", "stack", "output"]


class ScriptFailed(SenflowError, ValueError):
    """A DIY script could not decode: a cap breached, an error thrown or an unusable answer."""

    def __init__(self, reason: str, cap: Cap | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.cap = cap  # the cap breached, when that is why; lets callers classify the failure


@dataclass(frozen=True)
class ScriptLimits:
    cpu_ms: float = 50
    build_cpu_ms: float = 500  # compiling a large script takes longer than a call
    memory_bytes: int = 16 * 2**20
    stack_bytes: int = 256 * 2**10
    output_bytes: int = 64 * 2**10
    script_bytes: int = 256 * 2**10


@dataclass(frozen=True)
class ScriptStats:
    """Per-decoder counters, for the router's metrics and a codec's status."""

    calls: int = 0
    failures: int = 0
    consecutive_failures: int = 0
    warnings: int = 0
    last_failure: str | None = None

    def counted(self, failure: str | None = None, warnings: int = 0) -> "ScriptStats":
        """These counters with one more call: failed with `failure`, or succeeded with
        `warnings` warnings."""
        failed = failure is not None
        return ScriptStats(
            calls=self.calls + 1,
            failures=self.failures + int(failed),
            consecutive_failures=self.consecutive_failures + 1 if failed else 0,
            warnings=self.warnings + warnings,
            last_failure=failure or self.last_failure,
        )


class _JsFunction(Protocol):
    def __call__(self, *args: str) -> object: ...


class _JsContext(Protocol):
    def eval(self, code: str) -> object: ...
    def set_time_limit(self, seconds: float) -> None: ...
    def set_memory_limit(self, limit: int) -> None: ...
    def set_max_stack_size(self, limit: int) -> None: ...


_JS_ERROR: type[Exception] = quickjs.JSException  # StackOverflow is a subclass


class ScriptFunction:
    """A script's entry point, compiled once in a QuickJS runtime of its own by `harness`
    (called with `harness_args`) and called under the caps, one JSON text in, what the
    harness returns out. Not thread-safe: callers serialise their calls.

    `entry` names the script's function in reasons; `log_extra` says whose script it is
    in the log line written when the runtime is rebuilt after a breach."""

    def __init__(
        self,
        script: str,
        entry: str,
        harness: str,
        harness_args: tuple[str, ...],
        limits: ScriptLimits | None = None,
        log_extra: dict[str, str] | None = None,
    ) -> None:
        self.limits = limits or ScriptLimits()
        self._entry = entry
        self._harness = harness
        self._harness_args = harness_args
        self._log_extra = log_extra or {}
        self._lines = script.count("\n") + 1
        self._check(script)
        self._call = self._load()

    def __call__(self, text: str) -> object:
        try:
            output = self._call(text)
        except _JS_ERROR as err:
            reason, cap = self._reason(err, self.limits.cpu_ms)
            if cap is not None:
                logger.info("DIY script rebuilt after %s", reason, extra=self._log_extra)
                self._call = self._load()
            raise ScriptFailed(reason, cap) from None
        except UnicodeError:  # a lone surrogate in a returned string
            raise ScriptFailed(f"{self._entry}() returned text that is not valid Unicode") from None
        if isinstance(output, str) and len(output.encode()) > self.limits.output_bytes:
            raise ScriptFailed(f"output larger than {self.limits.output_bytes} bytes", "output")
        return output

    def _check(self, script: str) -> None:
        try:
            size = len(script.encode())
        except UnicodeEncodeError:
            raise ScriptFailed("the script is not valid Unicode") from None
        if size > self.limits.script_bytes:
            raise ScriptFailed(f"script larger than {self.limits.script_bytes} bytes")
        if "\0" in script:  # the binding passes C strings: it would cut there
            raise ScriptFailed("the script contains a NUL character")

    def _load(self) -> _JsFunction:
        limits = self.limits
        context: _JsContext = quickjs.Context()
        context.set_memory_limit(limits.memory_bytes)
        context.set_max_stack_size(limits.stack_bytes)
        context.set_time_limit(limits.build_cpu_ms / 1000)
        setup = cast(_JsFunction, context.eval(self._harness))
        try:
            call = setup(*self._harness_args)
        except _JS_ERROR as err:
            raise ScriptFailed(*self._reason(err, limits.build_cpu_ms)) from None
        if call is None:
            raise ScriptFailed(f"the script defines no {self._entry}() function")
        context.set_time_limit(limits.cpu_ms / 1000)
        return cast(_JsFunction, call)

    def _reason(self, err: Exception, cpu_ms: float) -> tuple[str, Cap | None]:
        """Why the script failed, and the cap it breached (None: it did not breach one)."""
        lines = str(err).splitlines() or [""]
        first, limits = lines[0], self.limits
        if first == "InternalError: interrupted":
            return f"exceeded {cpu_ms:g} ms CPU", "cpu"
        # `null` is what QuickJS throws when it cannot even allocate the error object.
        if first in ("InternalError: out of memory", "null"):
            return f"exceeded memory limit ({limits.memory_bytes} bytes)", "memory"
        if first == "InternalError: stack overflow":
            return f"exceeded stack limit ({limits.stack_bytes} bytes)", "stack"
        where = _FRAME.match(lines[1]) if len(lines) > 1 else None
        if where:
            line = min(max(int(where["line"]) - _BODY_OFFSET, 1), self._lines)
            first = f"{first} (line {line})"
        return first[:_MAX_REASON], None


class ScriptDecoder:
    """One codec version's script, compiled once, decoding uplinks under the caps."""

    def __init__(self, snapshot: CodecSnapshot, limits: ScriptLimits | None = None) -> None:
        self.snapshot = snapshot
        if snapshot.kind != "decoder":
            raise ScriptFailed(f"codec {snapshot.id} is an {snapshot.kind}")
        entry = ENTRY_POINTS[snapshot.contract]
        self._function = ScriptFunction(
            snapshot.script,
            entry,
            HARNESS_JS,
            (snapshot.script, entry, snapshot.contract),
            limits,
            {"codec_id": snapshot.id},
        )
        self.limits = self._function.limits
        self._lock = threading.Lock()
        self._stats = ScriptStats()

    @property
    def stats(self) -> ScriptStats:
        return self._stats

    def as_decoder(self) -> Decoder:
        codec = self.snapshot
        return Decoder(id=codec.id, version=codec.version, name=codec.name, decode=self.decode)

    def decode(self, uplink: DecodeInput, ctx: DecodeContext) -> tuple[SenmlRecord, ...]:
        records, warnings = self.decode_with_warnings(uplink, ctx)
        for warning in warnings:
            logger.debug("DIY decoder warning: %s", warning, extra={"codec_id": self.snapshot.id})
        return records

    def decode_with_warnings(
        self, uplink: DecodeInput, ctx: DecodeContext
    ) -> tuple[tuple[SenmlRecord, ...], tuple[str, ...]]:
        """As `decode`, and the warnings too (the script's own, and each value left out)
        instead of logging them: for a customer trying a decoder on a sample."""
        with self._lock:
            try:
                warnings, records = self._decode(uplink, ctx)
            except ScriptFailed as err:
                self._count(failure=err.reason)
                raise
            self._count(warnings=len(warnings))
        return records, warnings

    def _decode(
        self, uplink: DecodeInput, ctx: DecodeContext
    ) -> tuple[tuple[str, ...], tuple[SenmlRecord, ...]]:
        contract = self.snapshot.contract
        output = self._function(script_input(contract, uplink, ctx))
        try:
            answer = script_answer(contract, output)
        except ValueError as err:
            raise ScriptFailed(str(err)[:_MAX_REASON]) from err
        if not answer.records:  # dropped (kpn null), or nothing had a SenML form
            return answer.warnings, ()
        try:
            received_at = uplink.received_at.timestamp()
            return answer.warnings, normalise(answer.records, ctx.device_urn, received_at)
        except (ValueError, RecursionError) as err:
            raise ScriptFailed(f"invalid SenML: {err}"[:_MAX_REASON]) from err

    def _count(self, failure: str | None = None, warnings: int = 0) -> None:
        self._stats = self._stats.counted(failure, warnings)


def as_decoder(snapshot: CodecSnapshot, limits: ScriptLimits | None = None) -> Decoder:
    """A customer's decoder script as a `Decoder`, next to the built-in ones."""
    return ScriptDecoder(snapshot, limits).as_decoder()
