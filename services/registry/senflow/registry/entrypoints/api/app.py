"""The FastAPI application of the registry, built around an already-started service."""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from senflow.registry.adapters.dead_letter_replays import KafkaReplayPublisher
from senflow.registry.adapters.dead_letters import DeadLetterIndex
from senflow.registry.adapters.decoder_statuses import DecoderStatuses
from senflow.registry.adapters.destination_health import DestinationHealthReports
from senflow.registry.adapters.test_messages import TestMessages
from senflow.registry.entrypoints.api import problems, routes
from senflow.registry.entrypoints.api.body_limit import DEFAULT_MAX_BODY_BYTES, BodySizeLimit
from senflow.registry.entrypoints.api.routes.devices import EXTRA_COMPONENTS, MAX_IMPORT_BYTES
from senflow.registry.wiring import UseCaseSet


def create_app(
    use_cases: UseCaseSet,
    admin_token: str,
    ready: Callable[[], Awaitable[bool]],
    decoder_statuses: DecoderStatuses | None = None,
    test_messages: TestMessages | None = None,
    dead_letters: tuple[DeadLetterIndex, KafkaReplayPublisher] | None = None,
    destination_health: DestinationHealthReports | None = None,
    refresh_metrics: Callable[[], Awaitable[None]] | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> FastAPI:
    """`dead_letters`: the adapters `use_cases.dead_letters` was built with, run here.
    `refresh_metrics` sets the gauges read from the database before `/metrics` answers.
    A request body above `max_body_bytes` is a 413 (a bulk import may be larger)."""
    # None given (tests): every decoder's status and destination's health is unknown, no
    # test endpoint received any.
    statuses = DecoderStatuses() if decoder_statuses is None else decoder_statuses
    messages = TestMessages() if test_messages is None else test_messages
    healths = DestinationHealthReports() if destination_health is None else destination_health
    parked, replays = (
        (DeadLetterIndex(), KafkaReplayPublisher()) if dead_letters is None else dead_letters
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # All return at once: the API never waits for what the routers and dispatchers say.
        await statuses.start()
        await healths.start()
        await messages.start()
        await parked.start()
        await replays.start()
        try:
            yield
        finally:
            await replays.stop()
            await parked.stop()
            await messages.stop()
            await healths.stop()
            await statuses.stop()

    app = FastAPI(
        title="Senflow registry",
        version="1",
        description="Management API: customers, API keys, projects, flows, devices, destinations.",
        lifespan=lifespan,
    )
    app.state.use_cases = use_cases
    app.state.admin_token = admin_token
    app.state.decoder_statuses = statuses
    app.state.destination_health = healths
    app.state.test_messages = messages
    problems.install(app)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=max_body_bytes,
        larger={("POST", "/devices/import"): MAX_IMPORT_BYTES},
    )
    app.include_router(routes.router)
    _declare_extra_components(app)

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/readyz", tags=["operations"])
    async def readyz() -> JSONResponse:
        ok = await ready()
        return JSONResponse(
            {"status": "ready" if ok else "not ready"}, status_code=200 if ok else 503
        )

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        # For Prometheus, not for API clients: not in the OpenAPI document.
        if refresh_metrics is not None:
            await refresh_metrics()
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app


def _declare_extra_components(app: FastAPI) -> None:
    """Add the models that routes reference but FastAPI cannot see (bodies read by hand)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        first = app.openapi_schema is None
        spec = generate()  # FastAPI caches it in app.openapi_schema: extend it once
        if first:
            schemas = spec.setdefault("components", {}).setdefault("schemas", {})
            for model in EXTRA_COMPONENTS:
                schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
                schema.pop("$defs", None)  # already components: the other routes use them
                schemas[model.__name__] = schema
        return spec

    app.openapi = openapi  # type: ignore[method-assign]
