"""A decoder's health as a router worker sees it, published when it changes."""

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from senflow.common.contract import Contract

DECODER_STATUS_SCHEMA_VERSION = 1
MAX_LAST_ERROR = 500


class DecoderStatus(Contract):
    """On `senflow.decoders.status.v1` (compacted), key = decoder id.

    `failing` when, among a decoder's latest decodes on one worker, enough failed (see the
    router's `DecoderHealth`); `ok` again after a run of successes. The latest record per
    decoder wins, whichever worker sent it.
    """

    schema_version: int = DECODER_STATUS_SCHEMA_VERSION
    decoder_id: str
    decoder_version: int
    status: Literal["ok", "failing"]
    failures: Annotated[int, Field(ge=0, description="Failed decodes in the window")]
    decodes: Annotated[int, Field(ge=0, description="Decodes in the window")]
    last_error: Annotated[str | None, Field(max_length=MAX_LAST_ERROR)] = None
    changed_at: AwareDatetime
    reporter: Annotated[str, Field(description="The router worker: host:pid")]
