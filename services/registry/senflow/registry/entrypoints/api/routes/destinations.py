"""Destinations, each with its health as the dispatchers report it."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from senflow.common.destination_health import DestinationHealth
from senflow.registry.adapters.destination_health import DestinationHealthReports
from senflow.registry.adapters.test_messages import TestMessages
from senflow.registry.entrypoints.api import schemas as s
from senflow.registry.entrypoints.api.auth import Caller
from senflow.registry.entrypoints.api.routes.common import (
    IfMatch,
    Paging,
    UseCasesDep,
    out,
    page_out,
)
from senflow.registry.use_cases.base import Versioned

router = APIRouter(tags=["destinations"])


def kept_test_messages(request: Request) -> TestMessages:
    kept: TestMessages = request.app.state.test_messages
    return kept


TestMessagesDep = Annotated[TestMessages, Depends(kept_test_messages)]


def destination_health(request: Request) -> DestinationHealthReports:
    reports: DestinationHealthReports = request.app.state.destination_health
    return reports


HealthDep = Annotated[DestinationHealthReports, Depends(destination_health)]


@router.post("/destinations", status_code=201, response_model=s.DestinationOut)
async def create_destination(
    body: s.DestinationIn, caller: Caller, uc: UseCasesDep, response: Response, health: HealthDep
) -> Any:
    v = await uc.destinations.create(
        caller,
        body.name,
        body.type,
        body.config,
        body.secret,
        credential=body.credential,
        format_script=body.format_script,
    )
    return _out(v, health, response)


@router.get("/destinations", response_model=s.PageOut[s.DestinationOut])
async def list_destinations(
    caller: Caller, uc: UseCasesDep, page: Paging, health: HealthDep, project_id: str | None = None
) -> Any:
    listed = page_out(await uc.destinations.find(caller, page, project_id))
    for item in listed["items"]:
        item["health"] = _health(health.get(item["id"]))
    return listed


@router.get("/destinations/{destination_id}", response_model=s.DestinationOut)
async def get_destination(
    destination_id: str, caller: Caller, uc: UseCasesDep, response: Response, health: HealthDep
) -> Any:
    """A destination, with its health: `unknown` until a dispatcher has reported on it."""
    return _out(await uc.destinations.get(caller, destination_id), health, response)


@router.get("/destinations/{destination_id}/messages", response_model=s.TestMessagesOut)
async def list_test_messages(
    destination_id: str, caller: Caller, uc: UseCasesDep, kept: TestMessagesDep
) -> Any:
    """What a test destination received, newest first: its latest 100 messages, and none
    older than 5 days, each with the headers and body an https receiver would have got.
    Kept on a Kafka topic (5 days' retention), not in the database; a message shows here
    within a second or so of its delivery. Another type of destination is a 409."""
    destination = await uc.destinations.test_endpoint(caller, destination_id)
    return {"items": [m.model_dump() for m in kept.latest(destination.id)]}


@router.patch("/destinations/{destination_id}", response_model=s.DestinationOut)
async def update_destination(
    destination_id: str,
    body: s.DestinationPatch,
    caller: Caller,
    uc: UseCasesDep,
    response: Response,
    version: IfMatch,
    health: HealthDep,
) -> Any:
    changes = {k: getattr(body, k) for k in body.model_fields_set if getattr(body, k) is not None}
    updated = await uc.destinations.update(caller, destination_id, changes, version)
    return _out(updated, health, response)


@router.delete("/destinations/{destination_id}", status_code=204)
async def delete_destination(
    destination_id: str, caller: Caller, uc: UseCasesDep, version: IfMatch, detach: bool = False
) -> None:
    """A destination used by flows is a 409 unless `detach=true` removes it from them."""
    await uc.destinations.delete(caller, destination_id, detach, version)


def _out(v: Versioned, health: DestinationHealthReports, response: Response) -> dict[str, Any]:
    data = out(v, response)
    return {**data, "health": _health(health.get(data["id"]))}


_UNKNOWN: dict[str, Any] = {
    "state": "unknown",
    "attempts": None,
    "failed_attempts": None,
    "last_error": None,
    "last_status_code": None,
    "changed_at": None,
}


def _health(report: DestinationHealth | None) -> dict[str, Any]:
    # The routes only ever show the caller's own destinations: all of it is theirs to see.
    if report is None:  # no dispatcher has reported on it (yet)
        return _UNKNOWN
    return report.model_dump(
        include={
            "state",
            "attempts",
            "failed_attempts",
            "last_error",
            "last_status_code",
            "changed_at",
        }
    )
