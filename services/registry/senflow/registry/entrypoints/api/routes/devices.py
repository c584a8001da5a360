"""Devices, their network info, and bulk import (JSON or CSV)."""

from dataclasses import asdict
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from senflow.common.events import NetworkType
from senflow.registry.domain.device_activity import NO_ACTIVITY
from senflow.registry.domain.device_rows import RowError, parse_csv
from senflow.registry.domain.principal import Principal
from senflow.registry.entrypoints.api import schemas as s
from senflow.registry.entrypoints.api.auth import Caller
from senflow.registry.entrypoints.api.routes.common import (
    IfMatch,
    Paging,
    UseCasesDep,
    out,
    page_out,
)
from senflow.registry.errors import InvalidField
from senflow.registry.use_cases.base import Versioned
from senflow.registry.use_cases.devices import NewDevice
from senflow.registry.wiring import UseCaseSet

router = APIRouter(tags=["devices"])
# The import route reads its body itself (JSON or CSV), so FastAPI cannot derive its
# schema: the app adds `ImportIn` to the components (see app.py) and this refers to it.
EXTRA_COMPONENTS = (s.ImportIn,)
MAX_IMPORT_BYTES = 16 * 1024 * 1024


def _new_device(body: s.DeviceIn) -> NewDevice:
    return NewDevice(
        name=body.name,
        specification_id=body.specification_id,
        barcode=body.barcode,
        description=body.description,
        tags=body.tags,
        network_info=_network_info(body.network_info),
    )


async def _with_activity(
    uc: UseCaseSet, caller: Principal, devices: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The devices (as `out` made them) with their `activity`, read in one query."""
    activity = await uc.device_activities.of(caller, [d["id"] for d in devices])
    return [{**d, "activity": asdict(activity[d["id"]])} for d in devices]


async def _device_out(
    v: Versioned, caller: Principal, uc: UseCaseSet, response: Response
) -> dict[str, Any]:
    [device] = await _with_activity(uc, caller, [out(v, response)])
    return device


def _network_info(body: s.NetworkInfoIn) -> dict[NetworkType, dict[str, Any]]:
    return {nt: fields for nt, fields in body.model_dump(exclude_none=True).items()}  # type: ignore[misc]


@router.post("/devices", status_code=201, response_model=s.DeviceOut)
async def register_device(
    body: s.DeviceIn, caller: Caller, uc: UseCasesDep, response: Response
) -> Any:
    """Register a device, optionally with its network info."""
    registered = await uc.devices.register(caller, _new_device(body))
    # No query: nothing was counted for a device that did not exist a moment ago.
    return {**out(registered, response), "activity": asdict(NO_ACTIVITY)}


@router.get("/devices", response_model=s.PageOut[s.DeviceOut])
async def list_devices(
    caller: Caller,
    uc: UseCasesDep,
    page: Paging,
    project_id: str | None = None,
    specification_id: str | None = None,
) -> Any:
    """The customer's devices; `project_id` keeps those in one of the project's flows."""
    listed = page_out(await uc.devices.find(caller, page, project_id, specification_id))
    return {**listed, "items": await _with_activity(uc, caller, listed["items"])}


@router.get("/devices/{device_id}", response_model=s.DeviceOut)
async def get_device(device_id: str, caller: Caller, uc: UseCasesDep, response: Response) -> Any:
    """A device, with its `activity`: last seen and uplinks, counted in batches (about a
    second behind the uplinks)."""
    return await _device_out(await uc.devices.get(caller, device_id), caller, uc, response)


@router.patch("/devices/{device_id}", response_model=s.DeviceOut)
async def update_device(
    device_id: str,
    body: s.DevicePatch,
    caller: Caller,
    uc: UseCasesDep,
    response: Response,
    version: IfMatch,
) -> Any:
    changes = body.model_dump(exclude_none=True)
    updated = await uc.devices.update(caller, device_id, changes, version)
    return await _device_out(updated, caller, uc, response)


@router.delete("/devices/{device_id}", status_code=204)
async def delete_device(
    device_id: str, caller: Caller, uc: UseCasesDep, version: IfMatch, detach: bool = False
) -> None:
    """A device in flows is a 409 unless `detach=true` takes it out of them first."""
    await uc.devices.delete(caller, device_id, detach, version)


def _network_route(network_type: NetworkType, model: type[s.Body]) -> None:
    async def put(
        device_id: str, body: Any, caller: Caller, uc: UseCasesDep, response: Response
    ) -> Any:
        fields = body.model_dump(exclude_none=True)
        updated = await uc.devices.set_network_info(caller, device_id, network_type, fields)
        return await _device_out(updated, caller, uc, response)

    put.__annotations__["body"] = model
    router.add_api_route(
        f"/devices/{{device_id}}/network-info/{network_type}",
        put,
        methods=["PUT"],
        response_model=s.DeviceOut,
        name=f"put_{network_type.lower()}_network_info",
        summary=f"Set the device's {network_type} network info",
    )


for _type, _model in (
    ("KPNLORA", s.LoraNetworkInfoIn),
    ("M2M", s.M2mNetworkInfoIn),
    ("INTERNET", s.InternetNetworkInfoIn),
    ("MQTT", s.MqttNetworkInfoIn),
):
    _network_route(_type, _model)  # type: ignore[arg-type]


@router.get("/devices/{device_id}/network-info/{network_type}", response_model=s.NetworkInfoOut)
async def get_network_info(
    device_id: str, network_type: NetworkType, caller: Caller, uc: UseCasesDep
) -> Any:
    device = out(await uc.devices.get(caller, device_id))
    for info in device["network_info"]:
        if info["network_type"] == network_type:
            return info
    raise InvalidField("network_type", f"the device has no {network_type} network info")


@router.delete("/devices/{device_id}/network-info/{network_type}", response_model=s.DeviceOut)
async def remove_network_info(
    device_id: str, network_type: NetworkType, caller: Caller, uc: UseCasesDep, response: Response
) -> Any:
    updated = await uc.devices.remove_network_info(caller, device_id, network_type)
    return await _device_out(updated, caller, uc, response)


@router.post(
    "/devices/import",
    response_model=s.ImportOut,
    responses={422: {"model": s.ImportOut, "description": "all-or-nothing import refused"}},
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/ImportIn"}},
                "text/csv": {"schema": {"type": "string"}},
            },
            "required": True,
        }
    },
)
async def import_devices(
    request: Request,
    caller: Caller,
    uc: UseCasesDep,
    mode: Annotated[
        Literal["per-row", "all-or-nothing"] | None,
        Query(description="CSV only (JSON carries `mode` in the body); default per-row"),
    ] = None,
) -> Any:
    """Import many devices: JSON (`ImportIn`) or CSV (`text/csv`, columns in the README).
    Every row gets a result; in all-or-nothing mode nothing is committed unless all pass."""
    raw = await request.body()  # at most MAX_IMPORT_BYTES: the body limit answers 413 past it
    rows: list[dict[str, Any] | RowError]
    if request.headers.get("content-type", "").startswith("text/csv"):
        rows, header_error = parse_csv(raw.decode("utf-8-sig", "replace"))
        if header_error:
            raise InvalidField(header_error.field, header_error.reason)
        all_or_nothing = mode == "all-or-nothing"
    else:
        try:
            body = s.ImportIn.model_validate(orjson.loads(raw))
        except (orjson.JSONDecodeError, ValidationError) as err:
            raise InvalidField("body", str(err).splitlines()[0]) from err
        rows = [
            {
                **d.model_dump(exclude={"network_info"}),
                "network_info": d.network_info.model_dump(exclude_none=True),
            }
            for d in body.devices
        ]
        all_or_nothing = body.mode == "all-or-nothing"
    results, committed = await uc.bulk_import.run(caller, rows, all_or_nothing)
    created = sum(1 for r in results if r.status == 201)
    payload = s.ImportOut(
        committed=committed,
        created=created if committed else 0,
        failed=len(results) - created,
        rows=[s.RowResultOut.model_validate(r, from_attributes=True) for r in results],
    )
    return JSONResponse(payload.model_dump(), status_code=200 if committed else 422)
