"""Registry change events: the envelope and the entity snapshots it carries.

Published by the registry's outbox relay to compacted topics (key = entity id). A delete
is a tombstone (null value) with the envelope fields in headers. Consumers drop
duplicates by `event_id` and stale updates by `entity_version`.
"""

from typing import Annotated, Generic, Literal, TypeVar

from pydantic import AwareDatetime, Field

from senflow.common.contract import Contract

SCHEMA_VERSION = 1

EntityType = Literal["customer", "project", "flow", "device", "destination"]
NetworkType = Literal["KPNLORA", "M2M", "INTERNET", "MQTT"]
DeviceStatus = Literal["active", "deactivated"]


class CustomerSnapshot(Contract):
    id: str
    name: str
    status: Literal["active", "suspended"]


class ProjectSnapshot(Contract):
    id: str
    customer_id: str
    name: str
    description: str = ""


class FlowSnapshot(Contract):
    id: str
    customer_id: str
    project_id: str
    name: str
    enabled: bool
    device_ids: tuple[str, ...]
    destination_ids: tuple[str, ...]
    decoder_ids: tuple[str, ...]


class NetworkInfoSnapshot(Contract):
    network_type: NetworkType
    identifier: Annotated[str, Field(description="DevEUI, IMEI, DvnUUID or MQTT client id")]
    attributes: dict[str, str] = {}
    sealed_secret: Annotated[
        str | None, Field(description="Device secret sealed with the platform key")
    ] = None


class DeviceSnapshot(Contract):
    id: str
    customer_id: str
    name: str
    specification_id: str
    status: DeviceStatus
    network_info: tuple[NetworkInfoSnapshot, ...] = ()


class HttpsConfig(Contract):
    url: str
    method: Literal["POST", "PUT"] = "POST"
    headers: dict[str, str] = {}
    expected_status: int | None = None
    timeout_s: float = 10.0


class DestinationSnapshot(Contract):
    id: str
    customer_id: str
    name: str
    type: Literal["https"]
    config: HttpsConfig
    sealed_secret: Annotated[str, Field(description="Shared secret sealed with the platform key")]
    enabled: bool = True


S = TypeVar("S", bound=Contract)


class ChangeEvent(Contract, Generic[S]):
    """The envelope of every registry change event."""

    schema_version: int = SCHEMA_VERSION
    event_id: str
    event_type: Annotated[str, Field(description="Past tense, e.g. DeviceRegistered")]
    entity_type: EntityType
    entity_id: str
    entity_version: int
    customer_id: str | None
    occurred_at: AwareDatetime
    snapshot: S | None
