"""The management API's routes, one module per resource. Thin: parse, call, shape."""

from fastapi import APIRouter

from senflow.registry.entrypoints.api.routes import (
    admin,
    catalogue,
    dead_letters,
    destinations,
    devices,
    downlinks,
    flows,
    keys,
    projects,
)

router = APIRouter()
for module in (
    admin,
    keys,
    projects,
    devices,
    downlinks,
    destinations,
    dead_letters,
    flows,
    catalogue,
):
    router.include_router(module.router)
