"""Trying a decoder on a sample uplink, exactly as the router would run it: a built-in
decoder, or a DIY script under the router's caps (default `ScriptLimits`).

Pure: nothing is stored or published. CPU-bound (a script may use its whole CPU cap, and
compiling one more): callers run `run_trial` off the event loop.
"""

import base64
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from senflow.codecs.base import DecodeContext, DecodeInput, Decoder
from senflow.codecs.script_engine import ScriptDecoder, ScriptFailed
from senflow.common.events import CodecSnapshot
from senflow.common.senml import SenmlRecord
from senflow.registry.errors import InvalidField

DEFAULT_DEVICE_URN = "urn:dev:DEVEUI:0000000000000000:"
INLINE_ID = "inline"

Decoded = tuple[tuple[SenmlRecord, ...], tuple[str, ...]]


@dataclass(frozen=True)
class Sample:
    """The uplink to decode, and the device it claims to come from."""

    payload: bytes
    received_at: datetime
    f_port: int | None = None
    f_cnt: int | None = None
    device_urn: str = DEFAULT_DEVICE_URN


@dataclass(frozen=True)
class TriedDecoder:
    id: str
    version: int


@dataclass(frozen=True)
class Trial:
    """What the decoder made of the sample: the SenML the router would deliver, or why
    it would dead-letter the uplink (`error`)."""

    decoder: TriedDecoder | None  # None for an inline script
    senml: tuple[SenmlRecord, ...]
    warnings: tuple[str, ...]
    error: str | None
    took_ms: float


def sample_of(body: Mapping[str, Any], now: datetime) -> Sample:
    """The sample in a request body; `InvalidField` unless it has exactly one payload."""
    return Sample(
        payload=_payload(body.get("payload_hex"), body.get("payload_base64")),
        received_at=body.get("received_at") or now,
        f_port=body.get("f_port"),
        f_cnt=body.get("f_cnt"),
        device_urn=body.get("device_urn") or DEFAULT_DEVICE_URN,
    )


def inline_codec(body: Mapping[str, Any], customer_id: str | None) -> CodecSnapshot | None:
    """The inline script to try, or None when the body names a stored decoder instead;
    `InvalidField` when it does both, or neither."""
    decoder_id, script, contract = body.get("decoder_id"), body.get("script"), body.get("contract")
    if decoder_id is not None:
        if script is not None or contract is not None:
            field = "script" if script is not None else "contract"
            raise InvalidField(field, "give either decoder_id, or script and contract")
        return None
    if script is None:
        raise InvalidField("decoder_id", "give either decoder_id, or script and contract")
    if contract is None:
        raise InvalidField("contract", "required with script: kpn or ts013")
    return CodecSnapshot(
        id=INLINE_ID,
        customer_id=customer_id or "",
        kind="decoder",
        name=INLINE_ID,
        contract=contract,
        script=script,
        version=0,
    )


def run_trial(subject: Decoder | CodecSnapshot, sample: Sample, *, inline: bool = False) -> Trial:
    """Decode `sample` with a built-in decoder or a DIY script (`inline`: one the caller
    sent, not a stored one); a failure (a script that does not compile, a cap breached, a
    payload the decoder refuses) is the trial's `error`, never an exception. `took_ms`
    times the decode only, not compiling a script, which the router does once per version."""
    named = None if inline else TriedDecoder(subject.id, subject.version)
    uplink = DecodeInput(
        payload=sample.payload,
        received_at=sample.received_at,
        f_port=sample.f_port,
        f_cnt=sample.f_cnt,
    )
    ctx = DecodeContext(device_urn=sample.device_urn)
    started = time.perf_counter()
    try:
        decode = _decode_fn(subject)
        started = time.perf_counter()
        records, warnings = decode(uplink, ctx)
    except Exception as err:  # noqa: BLE001 - a decoder's failure is the trial's answer
        return Trial(named, (), (), _reason(err), _ms_since(started))
    return Trial(named, records, warnings, None, _ms_since(started))


def _decode_fn(subject: Decoder | CodecSnapshot) -> Callable[[DecodeInput, DecodeContext], Decoded]:
    if isinstance(subject, CodecSnapshot):
        return ScriptDecoder(subject).decode_with_warnings  # the router's default caps

    def built_in(uplink: DecodeInput, ctx: DecodeContext) -> Decoded:
        return subject.decode(uplink, ctx), ()

    return built_in


def _payload(payload_hex: str | None, payload_base64: str | None) -> bytes:
    if (payload_hex is None) == (payload_base64 is None):
        raise InvalidField("payload_hex", "give exactly one of payload_hex and payload_base64")
    if payload_hex is not None:
        try:
            return bytes.fromhex(payload_hex)
        except ValueError:
            raise InvalidField("payload_hex", "not hexadecimal bytes") from None
    assert payload_base64 is not None
    try:
        return base64.b64decode(payload_base64, validate=True)
    except ValueError:  # binascii.Error, or characters outside ASCII
        raise InvalidField("payload_base64", "not base64 (RFC 4648 §4, padded)") from None


def _reason(err: Exception) -> str:
    if isinstance(err, ScriptFailed):
        return err.reason
    if isinstance(err, ValueError):  # how built-in decoders refuse a payload
        return str(err) or type(err).__name__
    return f"{type(err).__name__}: {err}"


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
