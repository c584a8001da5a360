"""DIY encoders: a customer's `encodeDownlink` (TS013) or `main` (KPN) script run in the
decoders' sandbox (`ScriptFunction`), under the same caps per call.

A script that throws, runs out of CPU time or memory, or answers something unusable fails
that one encode with `EncodeFailed` (`script-error`, `script-timeout`, `script-memory`);
the runtime is rebuilt after a cap breach, so the next call runs as usual. A script that
does not build fails when the encoder is made, with the same reasons. Calls are serialised
per encoder; `stats` counts them as the decoders' do, so a script that keeps failing can
be reported.
"""

import threading

from senflow.codecs.encode_base import (
    CommandKind,
    EncodeContext,
    EncodeInput,
    EncodeOutput,
    Encoder,
)
from senflow.codecs.encoder_contracts import (
    ENCODE_ENTRY_POINTS,
    ENCODE_HARNESS_JS,
    encoder_script_answer,
    encoder_script_input,
)
from senflow.codecs.errors import EncodeFailed, EncodeReason
from senflow.codecs.lora_downlink import downlink
from senflow.codecs.script_engine import (
    Cap,
    ScriptFailed,
    ScriptFunction,
    ScriptLimits,
    ScriptStats,
)
from senflow.common.events import CodecSnapshot

# A script takes a SenML command or a data object, never a raw payload.
SCRIPT_ACCEPTS: frozenset[CommandKind] = frozenset({"senml", "data"})
_CAP_REASONS: dict[Cap | None, EncodeReason] = {
    "cpu": "script-timeout",
    "memory": "script-memory",
    "stack": "script-memory",
    "output": "script-error",
    None: "script-error",
}


class ScriptEncoder:
    """One encoder codec version's script, compiled once, encoding commands under the caps."""

    def __init__(self, snapshot: CodecSnapshot, limits: ScriptLimits | None = None) -> None:
        self.snapshot = snapshot
        if snapshot.kind != "encoder":
            raise EncodeFailed("script-error", f"codec {snapshot.id} is a {snapshot.kind}")
        entry = ENCODE_ENTRY_POINTS[snapshot.contract]
        try:
            self._function = ScriptFunction(
                snapshot.script,
                entry,
                ENCODE_HARNESS_JS,
                (snapshot.script, entry, snapshot.contract),
                limits,
                {"codec_id": snapshot.id},
            )
        except ScriptFailed as err:
            raise _failed(err) from None
        self.limits = self._function.limits
        self._lock = threading.Lock()
        self._stats = ScriptStats()

    @property
    def stats(self) -> ScriptStats:
        return self._stats

    def as_encoder(self) -> Encoder:
        codec = self.snapshot
        return Encoder(codec.id, codec.version, codec.name, self.encode, SCRIPT_ACCEPTS)

    def encode(self, command: EncodeInput, ctx: EncodeContext) -> EncodeOutput:
        """The command encoded by the script; `EncodeFailed` when the command does not suit
        the contract, the script fails or breaches a cap, or its answer is unusable."""
        contract = self.snapshot.contract
        text, mapped = encoder_script_input(contract, command, ctx)  # before a call is counted
        with self._lock:
            try:
                output = self._function(text)
            except ScriptFailed as err:
                self._count(failure=err.reason)
                raise _failed(err) from None
            try:
                answer = encoder_script_answer(contract, output)
                port, chosen = _port(ctx, command.f_port, answer.f_port)
                warnings = mapped + answer.warnings + chosen
                result = downlink(ctx, answer.payload, port, port_field="fPort", warnings=warnings)
            except EncodeFailed as err:
                self._count(failure=err.detail)
                raise
            self._count(warnings=len(result.warnings))
        return result

    def _count(self, failure: str | None = None, warnings: int = 0) -> None:
        self._stats = self._stats.counted(failure, warnings)


def as_encoder(snapshot: CodecSnapshot, limits: ScriptLimits | None = None) -> Encoder:
    """A customer's encoder script as an `Encoder`, next to the built-in ones (raises
    `EncodeFailed` when the script does not build)."""
    return ScriptEncoder(snapshot, limits).as_encoder()


def _port(
    ctx: EncodeContext, asked: int | None, chosen: int | None
) -> tuple[int | None, tuple[str, ...]]:
    """The port to send on: on LoRa the script's choice wins (its codec knows the device);
    elsewhere it is dropped quietly, since published codecs always name one."""
    if not ctx.is_lora or chosen is None or chosen == asked:
        return asked, ()
    if asked is None:
        return chosen, ()
    return chosen, (f"the script chose fPort {chosen}, not the {asked} asked for",)


def _failed(err: ScriptFailed) -> EncodeFailed:
    return EncodeFailed(_CAP_REASONS[err.cap], err.reason)
