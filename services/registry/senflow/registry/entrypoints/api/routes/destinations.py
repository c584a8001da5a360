"""Destinations."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

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

router = APIRouter(tags=["destinations"])


def kept_test_messages(request: Request) -> TestMessages:
    kept: TestMessages = request.app.state.test_messages
    return kept


TestMessagesDep = Annotated[TestMessages, Depends(kept_test_messages)]


@router.post("/destinations", status_code=201, response_model=s.DestinationOut)
async def create_destination(
    body: s.DestinationIn, caller: Caller, uc: UseCasesDep, response: Response
) -> Any:
    v = await uc.destinations.create(caller, body.name, body.type, body.config, body.secret)
    return out(v, response)


@router.get("/destinations", response_model=s.PageOut[s.DestinationOut])
async def list_destinations(
    caller: Caller, uc: UseCasesDep, page: Paging, project_id: str | None = None
) -> Any:
    return page_out(await uc.destinations.find(caller, page, project_id))


@router.get("/destinations/{destination_id}", response_model=s.DestinationOut)
async def get_destination(
    destination_id: str, caller: Caller, uc: UseCasesDep, response: Response
) -> Any:
    return out(await uc.destinations.get(caller, destination_id), response)


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
) -> Any:
    changes = {k: getattr(body, k) for k in body.model_fields_set if getattr(body, k) is not None}
    return out(await uc.destinations.update(caller, destination_id, changes, version), response)


@router.delete("/destinations/{destination_id}", status_code=204)
async def delete_destination(
    destination_id: str, caller: Caller, uc: UseCasesDep, version: IfMatch, detach: bool = False
) -> None:
    """A destination used by flows is a 409 unless `detach=true` removes it from them."""
    await uc.destinations.delete(caller, destination_id, detach, version)
