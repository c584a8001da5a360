"""Device specifications and codecs: the global catalogue, plus a customer's DIY codecs."""

from typing import Any, Literal

from fastapi import APIRouter

from senflow.registry.entrypoints.api import schemas as s
from senflow.registry.entrypoints.api.auth import Caller
from senflow.registry.entrypoints.api.routes.common import IfMatch, UseCasesDep, plain

router = APIRouter(tags=["catalogue"])


@router.get("/device-specifications", response_model=list[s.SpecificationOut])
async def list_specifications(caller: Caller, uc: UseCasesDep) -> Any:
    return [plain(x) for x in await uc.catalogue.specifications(caller)]


@router.get("/device-specifications/{spec_id}", response_model=s.SpecificationOut)
async def get_specification(spec_id: str, caller: Caller, uc: UseCasesDep) -> Any:
    return plain(await uc.catalogue.specification(caller, spec_id))


@router.get("/decoders", response_model=list[s.CodecOut])
async def list_codecs(
    caller: Caller, uc: UseCasesDep, kind: Literal["decoder", "encoder"] | None = None
) -> Any:
    """Built-in codecs and the caller's own DIY ones (`kind` filters)."""
    return [plain(x) for x in await uc.catalogue.codecs(caller, kind)]


@router.get("/decoders/{codec_id}", response_model=s.CodecOut)
async def get_codec(codec_id: str, caller: Caller, uc: UseCasesDep) -> Any:
    return plain(await uc.catalogue.codec(caller, codec_id))


@router.post("/decoders", status_code=201, response_model=s.CodecOut)
async def create_codec(body: s.CodecIn, caller: Caller, uc: UseCasesDep) -> Any:
    """Create a DIY decoder or encoder (JavaScript)."""
    return plain(await uc.catalogue.create_diy(caller, body.model_dump()))


@router.patch("/decoders/{codec_id}", response_model=s.CodecOut)
async def update_codec(
    codec_id: str, body: s.CodecPatch, caller: Caller, uc: UseCasesDep, version: IfMatch
) -> Any:
    """Change a DIY codec; a new script is its next version."""
    changes = body.model_dump(exclude_none=True)
    return plain(await uc.catalogue.update_diy(caller, codec_id, changes, version))


@router.delete("/decoders/{codec_id}", status_code=204)
async def delete_codec(codec_id: str, caller: Caller, uc: UseCasesDep) -> None:
    """Delete a DIY codec no flow uses (409 otherwise); built-in codecs are read-only."""
    await uc.catalogue.delete_diy(caller, codec_id)
