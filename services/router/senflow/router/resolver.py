"""Which decoder runs for a decoder id: a built-in, or a customer's DIY script compiled
once per version (from the registry view), each measured."""

import time
from collections.abc import Callable

from senflow.codecs.base import DecodeContext, DecodeInput, Decoder
from senflow.codecs.catalogue import BUILT_IN
from senflow.codecs.script_engine import ScriptFailed, as_decoder
from senflow.common.senml import SenmlRecord
from senflow.router import metrics
from senflow.router.view import RegistryView

# Told of every decode: decoder id, its version, and the error (None when it decoded).
OnOutcome = Callable[[str, int, Exception | None], object]


def _ignore(_decoder_id: str, _version: int, _error: Exception | None) -> None:
    return None


class DecoderResolver:
    def __init__(self, view: RegistryView, on_outcome: OnOutcome = _ignore) -> None:
        self._view = view
        self._on_outcome = on_outcome
        self._scripts: dict[str, Decoder] = {}  # id -> the decoder of its current version
        self._measured: dict[tuple[str, int], Decoder] = {}

    def __call__(self, decoder_id: str) -> Decoder | None:
        """The decoder to run, or None when the id names no decoder this router has."""
        decoder = BUILT_IN.get(decoder_id) or self._script(decoder_id)
        if decoder is None:
            return None
        key = (decoder.id, decoder.version)
        if key not in self._measured:
            self._measured[key] = _measured(decoder, self._on_outcome)
        return self._measured[key]

    def _script(self, decoder_id: str) -> Decoder | None:
        snapshot = self._view.codec(decoder_id)
        if snapshot is None or snapshot.kind != "decoder":
            return None
        cached = self._scripts.get(decoder_id)
        if cached is not None and cached.version == snapshot.version:
            return cached
        try:
            decoder = as_decoder(snapshot)
        except ScriptFailed as err:  # a script that does not even build fails each call
            decoder = _failing(snapshot.id, snapshot.version, snapshot.name, err)
        self._scripts[decoder_id] = decoder
        return decoder


def _measured(decoder: Decoder, on_outcome: OnOutcome) -> Decoder:
    """The same decoder, timing every call and counting failures, per decoder id; each
    outcome is also handed to `on_outcome`."""
    seconds = metrics.DECODE_SECONDS.labels(decoder.id)
    failures = metrics.DECODE_FAILURES.labels(decoder.id)

    def decode(uplink: DecodeInput, ctx: DecodeContext) -> tuple[SenmlRecord, ...]:
        started = time.perf_counter()
        try:
            records = decoder.decode(uplink, ctx)
        except Exception as err:
            seconds.observe(time.perf_counter() - started)
            failures.inc()
            on_outcome(decoder.id, decoder.version, err)
            raise
        seconds.observe(time.perf_counter() - started)
        on_outcome(decoder.id, decoder.version, None)
        return records

    return Decoder(decoder.id, decoder.version, decoder.name, decode)


def _failing(codec_id: str, version: int, name: str, err: ScriptFailed) -> Decoder:
    def decode(_uplink: DecodeInput, _ctx: DecodeContext) -> tuple[SenmlRecord, ...]:
        raise err

    return Decoder(codec_id, version, name, decode)
