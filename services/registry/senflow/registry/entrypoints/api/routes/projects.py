"""Projects."""

from typing import Any

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

router = APIRouter(tags=["projects"])


@router.post("/projects", status_code=201, response_model=s.ProjectOut)
async def create_project(
    body: s.ProjectIn, caller: Caller, uc: UseCasesDep, response: Response
) -> Any:
    return out(await uc.projects.create(caller, body.name, body.description), response)


@router.get("/projects", response_model=s.PageOut[s.ProjectOut])
async def list_projects(caller: Caller, uc: UseCasesDep, page: Paging) -> Any:
    return page_out(await uc.projects.find(caller, page))


@router.get("/projects/{project_id}", response_model=s.ProjectOut)
async def get_project(project_id: str, caller: Caller, uc: UseCasesDep, response: Response) -> Any:
    return out(await uc.projects.get(caller, project_id), response)


@router.patch("/projects/{project_id}", response_model=s.ProjectOut)
async def update_project(
    project_id: str,
    body: s.ProjectPatch,
    caller: Caller,
    uc: UseCasesDep,
    response: Response,
    version: IfMatch,
) -> Any:
    changes = body.model_dump(exclude_none=True)
    return out(await uc.projects.update(caller, project_id, changes, version), response)


@router.delete("/projects/{project_id}", status_code=204)
async def delete_project(
    project_id: str, caller: Caller, uc: UseCasesDep, version: IfMatch, cascade: bool = False
) -> None:
    """A project with flows is a 409 unless `cascade=true` deletes its flows too."""
    await uc.projects.delete(caller, project_id, cascade, version)
