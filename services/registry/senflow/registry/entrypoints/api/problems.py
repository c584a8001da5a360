"""RFC 9457 problem+json for every error the API returns."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from senflow.registry.errors import InvalidField, RegistryError

PROBLEM = "application/problem+json"
log = logging.getLogger(__name__)


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def install(app: FastAPI) -> None:
    @app.exception_handler(RegistryError)
    async def _registry_error(_: Request, err: RegistryError) -> JSONResponse:
        extra: dict[str, Any] = {}
        if isinstance(err, InvalidField):
            extra["errors"] = [{"field": err.field, "reason": err.reason}]
        resp = problem(err.status, err.title, str(err), **extra)
        if err.status == 401:
            resp.headers["WWW-Authenticate"] = "Bearer"
        if err.status == 503:
            resp.headers["Retry-After"] = "5"
        return resp

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, err: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": ".".join(str(p) for p in e["loc"][1:]) or str(e["loc"][0]),
                "reason": e["msg"],
            }
            for e in err.errors()
        ]
        return problem(
            422, "Invalid request", "the request does not match its schema", errors=errors
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, err: Exception) -> JSONResponse:
        # The cause goes to the log, never to the caller.
        log.error("unexpected error answering a request", exc_info=err)
        return problem(500, "Internal error", "the registry failed to answer; try again later")

    @app.exception_handler(HTTPException)
    async def _http(_: Request, err: HTTPException) -> JSONResponse:
        return problem(err.status_code, str(err.detail), str(err.detail))
