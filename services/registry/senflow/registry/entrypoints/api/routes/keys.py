"""Customer API keys: scoped, hashed at rest, shown once, revocable, optionally expiring."""

from typing import Any

from fastapi import APIRouter

from senflow.registry.entrypoints.api import schemas as s
from senflow.registry.entrypoints.api.auth import Caller
from senflow.registry.entrypoints.api.routes.common import UseCasesDep, plain

router = APIRouter(tags=["api keys"])


@router.post("/api-keys", status_code=201, response_model=s.NewApiKeyOut)
async def create_api_key(body: s.ApiKeyIn, caller: Caller, uc: UseCasesDep) -> Any:
    """Create a key. Its value is in this response only; store it now."""
    key = await uc.api_keys.create(caller, body.customer_id, tuple(body.scopes), body.expires_at)
    return plain(key)


@router.get("/api-keys", response_model=list[s.ApiKeyOut])
async def list_api_keys(caller: Caller, uc: UseCasesDep, customer_id: str | None = None) -> Any:
    return [plain(k) for k in await uc.api_keys.of_customer(caller, customer_id)]


@router.delete("/api-keys/{key_id}", status_code=204)
async def revoke_api_key(key_id: str, caller: Caller, uc: UseCasesDep) -> None:
    """Revoke a key: it is refused from now on."""
    await uc.api_keys.revoke(caller, key_id)
