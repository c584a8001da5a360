"""Bearer authentication: the admin token, or a customer API key."""

import secrets
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from senflow.registry.domain.principal import ADMIN, Principal
from senflow.registry.errors import Forbidden, Unauthorized
from senflow.registry.wiring import UseCaseSet

_bearer = HTTPBearer(auto_error=False, description="Admin token or customer API key")


async def principal(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if creds is None:
        raise Unauthorized("missing bearer token")
    admin_token: str = request.app.state.admin_token
    if secrets.compare_digest(creds.credentials.encode(), admin_token.encode()):
        return ADMIN
    use_cases: UseCaseSet = request.app.state.use_cases
    return await use_cases.api_keys.authenticate(creds.credentials)


async def admin(p: Annotated[Principal, Depends(principal)]) -> Principal:
    if not p.is_admin:
        raise Forbidden("admin token required")
    return p


Caller = Annotated[Principal, Depends(principal)]
Admin = Annotated[Principal, Depends(admin)]
