"""Device specifications and codecs: the global catalogue, plus a customer's DIY codecs."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request

from senflow.common.decoder_status import DecoderStatus
from senflow.registry.adapters.decoder_statuses import DecoderStatuses
from senflow.registry.domain.principal import Principal
from senflow.registry.entrypoints.api import schemas as s
from senflow.registry.entrypoints.api.auth import Caller
from senflow.registry.entrypoints.api.routes.common import IfMatch, UseCasesDep, plain
from senflow.registry.use_cases.catalogue import Codec

router = APIRouter(tags=["catalogue"])


def decoder_statuses(request: Request) -> DecoderStatuses:
    statuses: DecoderStatuses = request.app.state.decoder_statuses
    return statuses


StatusesDep = Annotated[DecoderStatuses, Depends(decoder_statuses)]


@router.get("/device-specifications", response_model=list[s.SpecificationOut])
async def list_specifications(caller: Caller, uc: UseCasesDep) -> Any:
    return [plain(x) for x in await uc.catalogue.specifications(caller)]


@router.get("/device-specifications/{spec_id}", response_model=s.SpecificationOut)
async def get_specification(spec_id: str, caller: Caller, uc: UseCasesDep) -> Any:
    return plain(await uc.catalogue.specification(caller, spec_id))


@router.get("/decoders", response_model=list[s.CodecOut])
async def list_codecs(
    caller: Caller,
    uc: UseCasesDep,
    statuses: StatusesDep,
    kind: Literal["decoder", "encoder"] | None = None,
) -> Any:
    """Built-in codecs and the caller's own DIY ones (`kind` filters), with their health."""
    return [_out(x, caller, statuses) for x in await uc.catalogue.codecs(caller, kind)]


@router.post("/decoders/test", response_model=s.DecoderTrialOut)
async def test_decoder(body: s.DecoderTrialIn, caller: Caller, uc: UseCasesDep) -> Any:
    """Decode a sample payload as the router would, with a built-in decoder, one of your
    DIY decoders or a script sent inline (the router's caps apply). A decoder that fails
    on the sample answers 200 with `error`. Nothing is stored or published."""
    return plain(await uc.decoder_trials.run(caller, body.model_dump()))


@router.get("/decoders/{codec_id}", response_model=s.CodecOut)
async def get_codec(codec_id: str, caller: Caller, uc: UseCasesDep, statuses: StatusesDep) -> Any:
    """A codec, with its health as the routers report it."""
    return _out(await uc.catalogue.codec(caller, codec_id), caller, statuses)


@router.post("/decoders", status_code=201, response_model=s.CodecOut)
async def create_codec(
    body: s.CodecIn, caller: Caller, uc: UseCasesDep, statuses: StatusesDep
) -> Any:
    """Create a DIY decoder or encoder (JavaScript)."""
    return _out(await uc.catalogue.create_diy(caller, body.model_dump()), caller, statuses)


@router.patch("/decoders/{codec_id}", response_model=s.CodecOut)
async def update_codec(
    codec_id: str,
    body: s.CodecPatch,
    caller: Caller,
    uc: UseCasesDep,
    version: IfMatch,
    statuses: StatusesDep,
) -> Any:
    """Change a DIY codec; a new script is its next version."""
    changes = body.model_dump(exclude_none=True)
    codec = await uc.catalogue.update_diy(caller, codec_id, changes, version)
    return _out(codec, caller, statuses)


@router.delete("/decoders/{codec_id}", status_code=204)
async def delete_codec(codec_id: str, caller: Caller, uc: UseCasesDep) -> None:
    """Delete a DIY codec no flow uses (409 otherwise); built-in codecs are read-only."""
    await uc.catalogue.delete_diy(caller, codec_id)


def _out(codec: Codec, caller: Principal, statuses: DecoderStatuses) -> dict[str, Any]:
    # A built-in decoder's last error may quote another customer's uplink.
    private = codec.built_in and not caller.is_admin
    return {**plain(codec), "health": _health(statuses.get(codec.id), private)}


_UNKNOWN: dict[str, Any] = {
    "status": "unknown",
    "version": None,
    "failures": None,
    "decodes": None,
    "last_error": None,
    "changed_at": None,
}


def _health(status: DecoderStatus | None, hide_error: bool) -> dict[str, Any]:
    if status is None:  # no router has reported on it (yet)
        return _UNKNOWN
    return {
        "status": status.status,
        "version": status.decoder_version,
        "failures": status.failures,
        "decodes": status.decodes,
        "last_error": None if hide_error else status.last_error,
        "changed_at": status.changed_at,
    }
