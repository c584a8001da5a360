"""Request and response bodies of the management API. Secrets are write-only."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from senflow.common.events import HttpsConfig


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CustomerIn(Body):
    name: Annotated[str, Field(min_length=1, max_length=200, examples=["Acme Water"])]


class CustomerOut(BaseModel):
    id: str
    name: str
    status: str
    version: int


class ApiKeyIn(Body):
    customer_id: Annotated[
        str | None, Field(description="Required for the admin; a customer key creates for itself")
    ] = None
    scopes: Annotated[
        list[Literal["read", "write"]], Field(min_length=1, examples=[["read", "write"]])
    ]
    expires_at: datetime | None = None


class ApiKeyOut(BaseModel):
    id: str
    customer_id: str
    key: Annotated[str, Field(description="Shown once, never again")]
    scopes: list[str]
    expires_at: datetime | None


class ProjectIn(Body):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    description: Annotated[str, Field(max_length=2000)] = ""


class ProjectOut(BaseModel):
    id: str
    name: str
    description: str
    version: int


class DestinationIn(Body):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    type: Literal["https"] = "https"
    config: HttpsConfig
    secret: Annotated[
        str,
        Field(
            description="Shared secret: ≥ 32 chars with upper, lower, digit and special."
            " Write-only.",
            max_length=256,
        ),
    ]


class DestinationOut(BaseModel):
    id: str
    name: str
    type: str
    config: HttpsConfig
    enabled: bool
    version: int


class DeviceIn(Body):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    specification_id: Annotated[str, Field(examples=["own-lora"])]


class DevicePatch(Body):
    name: Annotated[str | None, Field(min_length=1, max_length=200)] = None
    status: Literal["active", "deactivated"] | None = None


class NetworkInfoOut(BaseModel):
    network_type: str
    identifier: str
    attributes: dict[str, str]


class DeviceOut(BaseModel):
    id: str
    name: str
    specification_id: str
    status: str
    network_info: list[NetworkInfoOut]
    version: int


class LoraNetworkInfoIn(Body):
    dev_eui: Annotated[str, Field(examples=["0123456789ABCDEF"])]
    join_eui: Annotated[str, Field(examples=["70B3D57ED0000000"])]
    app_key: Annotated[str, Field(description="32 hex digits. Write-only.")]


class FlowIn(Body):
    project_id: str
    name: Annotated[str, Field(min_length=1, max_length=200)]
    device_ids: list[str] = []
    destination_ids: list[str] = []
    decoder_ids: Annotated[list[str], Field(examples=[["lora-raw"]])] = ["lora-raw"]


class FlowOut(BaseModel):
    id: str
    project_id: str
    name: str
    enabled: bool
    device_ids: list[str]
    destination_ids: list[str]
    decoder_ids: list[str]
    version: int
