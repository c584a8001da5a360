"""Downlinks: commands to a device, queued, listed, read and cancelled."""

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import ValidationError

from senflow.common.downlinks import DownlinkCommand, DownlinkStatus
from senflow.registry.adapters.downlink_rows import DownlinkRecord
from senflow.registry.adapters.listing import PageRequest
from senflow.registry.entrypoints.api import schemas as s
from senflow.registry.entrypoints.api.auth import Caller
from senflow.registry.entrypoints.api.routes.common import UseCasesDep
from senflow.registry.errors import InvalidField
from senflow.registry.use_cases.downlinks import NewDownlink

router = APIRouter(tags=["downlinks"])


def paging(
    limit: Annotated[int, Query(ge=1, le=500, description="Items per page")] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    sort: Annotated[
        Literal["-created_at", "created_at"], Query(description="Newest first by default")
    ] = "-created_at",
    created_since: Annotated[datetime | None, Query(description="Created at or after")] = None,
    created_before: Annotated[datetime | None, Query(description="Created before")] = None,
) -> PageRequest:
    return PageRequest(limit, cursor, sort, None, created_since, created_before)


Paging = Annotated[PageRequest, Depends(paging)]


def _out(record: DownlinkRecord, response: Response | None = None) -> dict[str, Any]:
    if response is not None:
        response.headers["ETag"] = f'"{record.version}"'
    return {
        **record.snapshot.model_dump(exclude={"customer_id"}),
        "executing_at": record.executing_at,
        "sent_at": record.sent_at,
        "finished_at": record.finished_at,
        "version": record.version,
    }


def _command(body: s.DownlinkCommandIn) -> DownlinkCommand:
    """The body's command as the contract has it; the contract's own bounds (its size as
    JSON, a data object's depth) are a 422 on `command` or the field at fault."""
    try:
        return DownlinkCommand.model_validate(body.model_dump(exclude_none=True))
    except ValidationError as err:
        first = err.errors()[0]
        field = ".".join(["command", *(str(p) for p in first["loc"][:1])])
        raise InvalidField(field, str(first["msg"]).removeprefix("Value error, ")) from err


@router.post("/devices/{device_id}/downlinks", status_code=201, response_model=s.DownlinkOut)
async def create_downlink(
    device_id: str, body: s.DownlinkIn, caller: Caller, uc: UseCasesDep, response: Response
) -> Any:
    """Queue a command for the device; the flow's encoder encodes it (see `flow_id`). What
    can be checked now is (422 naming the field); a deactivated device is a 409. The
    downlink then moves on by itself: watch its `status`."""
    new = NewDownlink(
        _command(body.command), body.confirmed, body.ttl_s, body.flow_id, body.network_type
    )
    created = await uc.downlinks.create(caller, device_id, new)
    response.headers["Location"] = f"/downlinks/{created.snapshot.id}"
    return _out(created, response)


@router.get("/devices/{device_id}/downlinks", response_model=s.PageOut[s.DownlinkOut])
async def list_downlinks(
    device_id: str,
    caller: Caller,
    uc: UseCasesDep,
    page: Paging,
    status: Annotated[DownlinkStatus | None, Query(description="Only those in it")] = None,
) -> Any:
    """The device's downlinks, newest first."""
    found = await uc.downlinks.find(caller, device_id, page, status)
    return {"items": [_out(r) for r in found.items], "next_cursor": found.next_cursor}


@router.get("/downlinks/{downlink_id}", response_model=s.DownlinkOut)
async def get_downlink(
    downlink_id: str, caller: Caller, uc: UseCasesDep, response: Response
) -> Any:
    return _out(await uc.downlinks.get(caller, downlink_id), response)


@router.post("/downlinks/{downlink_id}/cancel", response_model=s.DownlinkOut)
async def cancel_downlink(
    downlink_id: str, caller: Caller, uc: UseCasesDep, response: Response
) -> Any:
    """Withdraw a downlink while it is queued; once it is executing (or later) a 409 says
    its status."""
    return _out(await uc.downlinks.cancel(caller, downlink_id), response)
