"""Flows and their members."""

from typing import Any, Literal

from fastapi import APIRouter, Response

from senflow.registry.entrypoints.api import schemas as s
from senflow.registry.entrypoints.api.auth import Caller
from senflow.registry.entrypoints.api.routes.common import (
    IfMatch,
    Paging,
    UseCasesDep,
    out,
    page_out,
)

router = APIRouter(tags=["flows"])


@router.post("/flows", status_code=201, response_model=s.FlowOut)
async def create_flow(body: s.FlowIn, caller: Caller, uc: UseCasesDep, response: Response) -> Any:
    """Link devices to destinations through decoders; all must be the customer's own (or
    built in), and built-in decoders must suit every device's specification."""
    return out(await uc.flows.create(caller, body.project_id, body.model_dump()), response)


@router.get("/flows", response_model=s.PageOut[s.FlowOut])
async def list_flows(
    caller: Caller, uc: UseCasesDep, page: Paging, project_id: str | None = None
) -> Any:
    return page_out(await uc.flows.find(caller, page, project_id))


@router.get("/flows/{flow_id}", response_model=s.FlowOut)
async def get_flow(flow_id: str, caller: Caller, uc: UseCasesDep, response: Response) -> Any:
    return out(await uc.flows.get(caller, flow_id), response)


@router.patch("/flows/{flow_id}", response_model=s.FlowOut)
async def update_flow(
    flow_id: str,
    body: s.FlowPatch,
    caller: Caller,
    uc: UseCasesDep,
    response: Response,
    version: IfMatch,
) -> Any:
    changes = body.model_dump(exclude_none=True)
    return out(await uc.flows.update(caller, flow_id, changes, version), response)


@router.delete("/flows/{flow_id}", status_code=204)
async def delete_flow(flow_id: str, caller: Caller, uc: UseCasesDep, version: IfMatch) -> None:
    await uc.flows.delete(caller, flow_id, version)


def _members_route(kind: Literal["devices", "destinations"]) -> None:
    async def change(
        flow_id: str,
        body: s.MembersIn,
        caller: Caller,
        uc: UseCasesDep,
        response: Response,
        version: IfMatch,
    ) -> Any:
        v = await uc.flows.change_members(
            caller, flow_id, kind, tuple(body.add), tuple(body.remove), version
        )
        return out(v, response)

    router.add_api_route(
        f"/flows/{{flow_id}}/{kind}",
        change,
        methods=["POST"],
        response_model=s.FlowOut,
        name=f"change_flow_{kind}",
        summary=f"Add and remove {kind} of a flow",
    )


_members_route("devices")
_members_route("destinations")
