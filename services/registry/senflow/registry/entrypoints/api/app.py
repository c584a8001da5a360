"""The FastAPI application of the registry, built around an already-started service."""

from collections.abc import Awaitable, Callable

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from senflow.registry.entrypoints.api import problems, routes
from senflow.registry.wiring import UseCaseSet


def create_app(
    use_cases: UseCaseSet, admin_token: str, ready: Callable[[], Awaitable[bool]]
) -> FastAPI:
    app = FastAPI(
        title="Senflow registry",
        version="1",
        description="Management API: customers, API keys, projects, flows, devices, destinations.",
    )
    app.state.use_cases = use_cases
    app.state.admin_token = admin_token
    problems.install(app)
    app.include_router(routes.router)

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/readyz", tags=["operations"])
    async def readyz() -> JSONResponse:
        ok = await ready()
        return JSONResponse(
            {"status": "ready" if ok else "not ready"}, status_code=200 if ok else 503
        )

    return app
