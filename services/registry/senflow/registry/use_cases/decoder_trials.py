"""Trying a decoder on a sample uplink before a flow uses it: a built-in decoder, one of
the caller's DIY decoders, or a script sent inline. Nothing is stored or published."""

import asyncio
from datetime import UTC, datetime
from typing import Any

from senflow.codecs.base import Decoder
from senflow.codecs.catalogue import BUILT_IN
from senflow.common.events import CodecSnapshot
from senflow.registry.domain.decoder_trial import Trial, inline_codec, run_trial, sample_of
from senflow.registry.domain.principal import Principal
from senflow.registry.errors import InvalidField
from senflow.registry.use_cases.catalogue import Catalogue


class DecoderTrials:
    def __init__(self, catalogue: Catalogue) -> None:
        self._catalogue = catalogue

    async def run(self, p: Principal, body: dict[str, Any]) -> Trial:
        """The trial's outcome; a decoder that fails on the sample is an outcome too (its
        `error`). `NotFound` for a decoder id the caller cannot see."""
        p.require("read")
        sample = sample_of(body, datetime.now(UTC))
        inline = inline_codec(body, p.customer_id)
        subject = inline or await self._stored(p, body["decoder_id"])
        # A script may use its whole CPU cap, and compiling it more: never on the event loop.
        return await asyncio.to_thread(run_trial, subject, sample, inline=inline is not None)

    async def _stored(self, p: Principal, decoder_id: str) -> Decoder | CodecSnapshot:
        built_in = BUILT_IN.get(decoder_id)
        if built_in is not None:
            return built_in
        codec = await self._catalogue.codec(p, decoder_id)  # another customer's: NotFound
        if codec.kind != "decoder":
            raise InvalidField("decoder_id", f"{decoder_id} is an encoder, not a decoder")
        if codec.built_in or codec.script is None:
            raise InvalidField("decoder_id", f"{decoder_id} is not a decoder the router runs")
        return CodecSnapshot.model_validate(
            {
                "id": codec.id,
                "customer_id": p.customer_id or "",
                "kind": codec.kind,
                "name": codec.name,
                "contract": codec.contract,
                "script": codec.script,
                "version": codec.version,
            }
        )
