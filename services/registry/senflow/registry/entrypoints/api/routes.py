"""The management API's routes. Thin: parse, call the service, shape the answer."""

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response

from senflow.common.events import EntityType
from senflow.registry.entrypoints.api import schemas as s
from senflow.registry.entrypoints.api.auth import Admin, Caller
from senflow.registry.errors import InvalidField
from senflow.registry.service import RegistryService, Versioned

router = APIRouter()


def _svc(request: Request) -> RegistryService:
    service: RegistryService = request.app.state.service
    return service


def _out(v: Versioned, response: Response) -> dict[str, Any]:
    """The snapshot without sealed secrets, its version, and the ETag header."""
    response.headers["ETag"] = f'"{v.version}"'
    data = v.snapshot.model_dump(exclude={"sealed_secret", "customer_id"})
    for info in data.get("network_info", ()):
        info.pop("sealed_secret", None)
    return {**data, "version": v.version}


def _if_match(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip().removeprefix("W/").strip('"'))
    except ValueError as err:
        raise InvalidField("If-Match", "must be an ETag this API returned") from err


@router.post("/customers", status_code=201, response_model=s.CustomerOut, tags=["admin"])
async def create_customer(
    body: s.CustomerIn, _: Admin, request: Request, response: Response
) -> Any:
    return _out(await _svc(request).create_customer(body.name), response)


@router.get("/customers/{customer_id}", response_model=s.CustomerOut, tags=["admin"])
async def get_customer(customer_id: str, _: Admin, request: Request, response: Response) -> Any:
    return _out(await _svc(request).get_customer(customer_id), response)


@router.post("/api-keys", status_code=201, response_model=s.ApiKeyOut, tags=["api keys"])
async def create_api_key(body: s.ApiKeyIn, caller: Caller, request: Request) -> Any:
    created = await _svc(request).create_api_key(
        caller, body.customer_id, tuple(body.scopes), body.expires_at
    )
    return s.ApiKeyOut(
        id=created.id,
        customer_id=created.customer_id,
        key=created.key,
        scopes=list(created.scopes),
        expires_at=created.expires_at,
    )


@router.post("/projects", status_code=201, response_model=s.ProjectOut, tags=["projects"])
async def create_project(
    body: s.ProjectIn, caller: Caller, request: Request, response: Response
) -> Any:
    return _out(await _svc(request).create_project(caller, body.name, body.description), response)


@router.post(
    "/destinations", status_code=201, response_model=s.DestinationOut, tags=["destinations"]
)
async def create_destination(
    body: s.DestinationIn, caller: Caller, request: Request, response: Response
) -> Any:
    v = await _svc(request).create_destination(caller, body.name, body.config, body.secret)
    return _out(v, response)


@router.post("/devices", status_code=201, response_model=s.DeviceOut, tags=["devices"])
async def register_device(
    body: s.DeviceIn, caller: Caller, request: Request, response: Response
) -> Any:
    v = await _svc(request).register_device(caller, body.name, body.specification_id)
    return _out(v, response)


@router.patch("/devices/{device_id}", response_model=s.DeviceOut, tags=["devices"])
async def update_device(
    device_id: str,
    body: s.DevicePatch,
    caller: Caller,
    request: Request,
    response: Response,
    if_match: Annotated[str | None, Header(description="ETag of the version being changed")] = None,
) -> Any:
    changes = body.model_dump(exclude_none=True)
    v = await _svc(request).update_device(caller, device_id, changes, _if_match(if_match))
    return _out(v, response)


@router.put(
    "/devices/{device_id}/network-info/KPNLORA", response_model=s.DeviceOut, tags=["devices"]
)
async def put_lora_network_info(
    device_id: str, body: s.LoraNetworkInfoIn, caller: Caller, request: Request, response: Response
) -> Any:
    v = await _svc(request).put_lora_network_info(
        caller, device_id, body.dev_eui, body.join_eui, body.app_key
    )
    return _out(v, response)


@router.post("/flows", status_code=201, response_model=s.FlowOut, tags=["flows"])
async def create_flow(body: s.FlowIn, caller: Caller, request: Request, response: Response) -> Any:
    v = await _svc(request).create_flow(
        caller,
        body.project_id,
        body.name,
        tuple(body.device_ids),
        tuple(body.destination_ids),
        tuple(body.decoder_ids),
    )
    return _out(v, response)


_READS: dict[str, tuple[EntityType, type[Any]]] = {
    "projects": ("project", s.ProjectOut),
    "devices": ("device", s.DeviceOut),
    "destinations": ("destination", s.DestinationOut),
    "flows": ("flow", s.FlowOut),
}


def _add_read(collection: str, entity: EntityType, model: type[Any]) -> None:
    async def read(entity_id: str, caller: Caller, request: Request, response: Response) -> Any:
        return _out(await _svc(request).get(caller, entity, entity_id), response)

    router.add_api_route(
        f"/{collection}/{{entity_id}}",
        read,
        methods=["GET"],
        response_model=model,
        tags=[collection],
        name=f"get_{entity}",
    )


for _collection, (_entity, _model) in _READS.items():
    _add_read(_collection, _entity, _model)
