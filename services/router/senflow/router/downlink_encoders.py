"""Which encoder encodes a downlink: none (the command as it is), a built-in, or the
customer's DIY script, compiled once per version from the registry view; each timed.

DIY encoders run inline, as DIY decoders do: the sandbox's caps (CPU, memory, stack)
bound every call, so a script that loops costs one capped call, not the stream.
"""

import dataclasses
import time
from collections.abc import Callable

import orjson

from senflow.codecs.encode_base import EncodeContext, EncodeInput, EncodeOutput, Encoder
from senflow.codecs.encoder_catalogue import BUILT_IN_ENCODERS
from senflow.codecs.errors import EncodeFailed
from senflow.codecs.lora_downlink import downlink
from senflow.codecs.script_encoder import SCRIPT_ACCEPTS, as_encoder
from senflow.common.events import CodecSnapshot
from senflow.router import metrics
from senflow.router.view import RegistryView

AS_IS_ID = "as-is"  # a downlink without an encoder; the label of its encode metrics

# The DIY codec snapshot of an id, if the router has one.
CodecLookup = Callable[[str], CodecSnapshot | None]


def send_as_is(command: EncodeInput, ctx: EncodeContext) -> EncodeOutput:
    """A command without an encoder: a raw payload as its bytes (a LoRa one on its port),
    or a SenML command, for an Internet, M2M or MQTT device, as compact SenML JSON."""
    if command.payload is not None:
        return downlink(ctx, command.payload, command.f_port)
    if command.senml is not None and not ctx.is_lora:
        records = [record.model_dump(mode="json", exclude_none=True) for record in command.senml]
        return downlink(ctx, orjson.dumps(records), command.f_port)
    wanted = "a raw payload" if ctx.is_lora else "a raw payload or a SenML command"
    raise EncodeFailed(
        "unsupported-command",
        f"the downlink has no encoder, so it is sent as it is: {ctx.device_urn} takes"
        f" {wanted}, not {command.described()}",
    )


AS_IS = Encoder(id=AS_IS_ID, version=1, name="= As it is", encode=send_as_is)


class EncoderResolver:
    """`resolver(encoder_id, customer_id)`: the encoder to run, or None when this router
    has none by that id for that customer (another customer's script is never used)."""

    def __init__(self, codecs: CodecLookup) -> None:
        self._codec = codecs
        self._fixed = {e.id: _measured(e) for e in (AS_IS, *BUILT_IN_ENCODERS.values())}
        self._scripts: dict[str, Encoder] = {}  # id -> the measured encoder of its version

    @classmethod
    def of_view(cls, view: RegistryView) -> "EncoderResolver":
        return cls(view.codec)

    def __call__(self, encoder_id: str | None, customer_id: str) -> Encoder | None:
        if encoder_id is None:
            return self._fixed[AS_IS_ID]
        return self._fixed.get(encoder_id) or self._script(encoder_id, customer_id)

    def _script(self, encoder_id: str, customer_id: str) -> Encoder | None:
        snapshot = self._codec(encoder_id)
        if snapshot is None or snapshot.kind != "encoder" or snapshot.customer_id != customer_id:
            return None
        cached = self._scripts.get(encoder_id)
        if cached is not None and cached.version == snapshot.version:
            return cached
        try:
            encoder = as_encoder(snapshot)
        except EncodeFailed as err:  # a script that does not even build fails each call
            encoder = _failing(snapshot, err)
        self._scripts[encoder_id] = _measured(encoder)
        return self._scripts[encoder_id]


def _measured(encoder: Encoder) -> Encoder:
    """The same encoder, timing every call by encoder id."""
    seconds = metrics.ENCODE_SECONDS.labels(encoder.id)

    def encode(command: EncodeInput, ctx: EncodeContext) -> EncodeOutput:
        started = time.perf_counter()
        try:
            return encoder.encode(command, ctx)
        finally:
            seconds.observe(time.perf_counter() - started)

    return dataclasses.replace(encoder, encode=encode)


def _failing(snapshot: CodecSnapshot, err: EncodeFailed) -> Encoder:
    def encode(_command: EncodeInput, _ctx: EncodeContext) -> EncodeOutput:
        raise EncodeFailed(err.reason, err.detail)

    return Encoder(snapshot.id, snapshot.version, snapshot.name, encode, SCRIPT_ACCEPTS)
