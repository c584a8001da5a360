"""Request and response bodies of the management API. Secrets are write-only: they appear
in request bodies and never in a response."""

from datetime import datetime
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from senflow.common.events import (
    HttpsConfig,
    KafkaTopicConfig,
    MqttConfig,
    NetworkType,
    TestEndpointConfig,
)

Name = Annotated[str, Field(min_length=1, max_length=200, description="Display name")]
Description = Annotated[str, Field(max_length=2000, description="Free text")]
Version = Annotated[int, Field(description="Increases with every change; the ETag")]
Tags = Annotated[
    dict[str, str],
    Field(max_length=50, description="Free key/value labels", examples=[{"site": "Utrecht"}]),
]
T = TypeVar("T")


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(extra="ignore")


class PageOut(Out, Generic[T]):
    items: list[T]
    next_cursor: Annotated[
        str | None, Field(description="Pass as `cursor` for the next page; null on the last")
    ]


# --- customers, keys, subscriptions -------------------------------------------------------
class CustomerIn(Body):
    name: Annotated[Name, Field(examples=["Acme Water"])]
    network_types: Annotated[
        list[NetworkType],
        Field(description="Network subscriptions to open (default: all four)"),
    ] = ["KPNLORA", "M2M", "INTERNET", "MQTT"]


class CustomerPatch(Body):
    name: Name | None = None
    status: Annotated[
        Literal["active", "suspended"] | None,
        Field(description="A suspended customer's API keys stop working"),
    ] = None


class CustomerOut(Out):
    id: Annotated[str, Field(description="Customer id (UUID)")]
    name: str
    status: Literal["active", "suspended"]
    version: Version


class ApiKeyIn(Body):
    customer_id: Annotated[
        str | None,
        Field(description="Required for the admin; a customer key creates keys for itself"),
    ] = None
    scopes: Annotated[
        list[Literal["read", "write"]],
        Field(min_length=1, description="What the key may do", examples=[["read", "write"]]),
    ]
    expires_at: Annotated[
        datetime | None, Field(description="After this instant the key is refused")
    ] = None


class ApiKeyOut(Out):
    id: str
    customer_id: str
    prefix: Annotated[str, Field(description="Public part of the key, to recognise it")]
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class NewApiKeyOut(ApiKeyOut):
    key: Annotated[str, Field(description="The key itself. Shown once, never again.")]


class SubscriptionIn(Body):
    customer_id: str
    network_type: NetworkType
    status: Literal["active", "suspended"] = "active"
    max_devices: Annotated[
        int | None, Field(ge=0, description="Most devices with this network type; none = no limit")
    ] = None


class SubscriptionOut(Out):
    id: str
    customer_id: str
    network_type: NetworkType
    status: Literal["active", "suspended"]
    max_devices: int | None
    version: Version


# --- projects ---------------------------------------------------------------------------
class ProjectIn(Body):
    name: Annotated[Name, Field(examples=["Smart water meters"])]
    description: Description = ""


class ProjectPatch(Body):
    name: Name | None = None
    description: Description | None = None


class ProjectOut(Out):
    id: str
    name: str
    description: str
    version: Version


# --- devices ----------------------------------------------------------------------------
class LoraNetworkInfoIn(Body):
    dev_eui: Annotated[str, Field(description="DevEUI, 16 hex", examples=["0123456789ABCDEF"])]
    join_eui: Annotated[
        str, Field(description="JoinEUI/AppEUI, 16 hex", examples=["70B3D57ED0000000"])
    ]
    app_key: Annotated[str, Field(description="OTAA AppKey, 32 hex. Write-only.")]


class M2mNetworkInfoIn(Body):
    imei: Annotated[
        str, Field(description="15 digits, valid check digit", examples=["490154203237518"])
    ]
    iccid: Annotated[str | None, Field(description="SIM ICCID, 19-20 digits")] = None
    shared_secret: Annotated[
        str | None, Field(description="30-100 letters and digits. Write-only.")
    ] = None


class InternetNetworkInfoIn(Body):
    dvn_uuid: Annotated[str, Field(description="Device UUID (v4 advised)")]
    shared_secret: Annotated[
        str, Field(description="30-100 letters and digits; signs uplinks. Write-only.")
    ]


class MqttNetworkInfoIn(Body):
    client_id: Annotated[str, Field(description="MQTT client id", examples=["meter-0042"])]
    username: str | None = None
    password: Annotated[str | None, Field(description="Write-only.")] = None


class NetworkInfoIn(Body):
    """Network info at registration, per network type."""

    KPNLORA: LoraNetworkInfoIn | None = None
    M2M: M2mNetworkInfoIn | None = None
    INTERNET: InternetNetworkInfoIn | None = None
    MQTT: MqttNetworkInfoIn | None = None


class DeviceIn(Body):
    name: Annotated[Name, Field(examples=["Meter 42"])]
    specification_id: Annotated[
        str, Field(description="A device specification id", examples=["own-lora"])
    ]
    barcode: Annotated[str | None, Field(max_length=200)] = None
    description: Description = ""
    tags: Tags = {}
    network_info: NetworkInfoIn = NetworkInfoIn()


class DevicePatch(Body):
    name: Name | None = None
    status: Annotated[
        Literal["active", "deactivated"] | None,
        Field(description="A deactivated device stays registered; its uplinks are dead-lettered"),
    ] = None
    barcode: Annotated[str | None, Field(max_length=200)] = None
    description: Description | None = None
    tags: Annotated[Tags | None, Field(description="Replaces all tags")] = None


class NetworkInfoOut(Out):
    network_type: NetworkType
    identifier: Annotated[str, Field(description="DevEUI, IMEI, DvnUUID or MQTT client id")]
    attributes: dict[str, str]


class DeviceOut(Out):
    id: str
    name: str
    specification_id: str
    status: Literal["active", "deactivated"]
    barcode: str | None
    description: str
    tags: dict[str, str]
    network_info: list[NetworkInfoOut]
    version: Version


class ImportIn(Body):
    mode: Annotated[
        Literal["per-row", "all-or-nothing"],
        Field(description="per-row commits the valid rows; all-or-nothing commits all or none"),
    ] = "per-row"
    devices: Annotated[list[DeviceIn], Field(min_length=1, max_length=10_000)]


class RowResultOut(Out):
    row: Annotated[int, Field(description="1-based row number")]
    status: Annotated[
        int, Field(description="201 created, 4xx refused, 424 valid but not imported")
    ]
    device_id: str | None = None
    errors: list[dict[str, str]] = []


class ImportOut(Out):
    committed: bool
    created: int
    failed: int
    rows: list[RowResultOut]


# --- destinations -----------------------------------------------------------------------
class DestinationIn(Body):
    name: Annotated[Name, Field(examples=["Production webhook"])]
    type: Literal["https", "kafka", "mqtt", "test"] = "https"
    config: HttpsConfig | KafkaTopicConfig | MqttConfig | TestEndpointConfig
    secret: Annotated[
        str | None,
        Field(
            description="https: shared secret, ≥ 32 chars with upper, lower, digit and special"
            " (required); mqtt: the password. Write-only.",
            max_length=256,
        ),
    ] = None


class DestinationPatch(Body):
    name: Name | None = None
    enabled: bool | None = None
    config: HttpsConfig | KafkaTopicConfig | MqttConfig | TestEndpointConfig | None = None
    secret: Annotated[str | None, Field(max_length=256, description="Write-only.")] = None


class DestinationOut(Out):
    id: Annotated[str, Field(description="Sent as Things-Plug-UUID")]
    name: str
    type: Literal["https", "kafka", "mqtt", "test"]
    config: HttpsConfig | KafkaTopicConfig | MqttConfig | TestEndpointConfig
    enabled: bool
    version: Version


# --- flows ------------------------------------------------------------------------------
class FlowIn(Body):
    project_id: str
    name: Annotated[Name, Field(examples=["Meters to billing"])]
    description: Description = ""
    enabled: bool = True
    device_ids: list[str] = []
    destination_ids: list[str] = []
    decoder_ids: Annotated[
        list[str], Field(description="Decoders applied to every uplink", examples=[["lora-raw"]])
    ] = ["lora-raw"]
    encoder_ids: Annotated[list[str], Field(description="Encoders for downlinks")] = []


class FlowPatch(Body):
    name: Name | None = None
    description: Description | None = None
    enabled: bool | None = None
    decoder_ids: list[str] | None = None
    encoder_ids: list[str] | None = None


class MembersIn(Body):
    add: Annotated[list[str], Field(description="Ids to add")] = []
    remove: Annotated[list[str], Field(description="Ids to remove")] = []


class FlowOut(Out):
    id: str
    project_id: str
    name: str
    description: str
    enabled: bool
    device_ids: list[str]
    destination_ids: list[str]
    decoder_ids: list[str]
    encoder_ids: list[str]
    version: Version


# --- catalogue --------------------------------------------------------------------------
class SpecificationOut(Out):
    id: Annotated[str, Field(examples=["own-lora"])]
    uuid: str
    name: str
    description: str
    network_types: list[NetworkType]
    decoder_ids: list[str]
    encoder_ids: list[str]


class CodecIn(Body):
    name: Name
    kind: Literal["decoder", "encoder"] = "decoder"
    contract: Annotated[
        Literal["kpn", "ts013"],
        Field(description="kpn: main(string) → string|null; ts013: decodeUplink/encodeDownlink"),
    ]
    description: Description = ""
    script: Annotated[str, Field(min_length=1, max_length=256 * 1024, description="JavaScript")]


class CodecPatch(Body):
    name: Name | None = None
    description: Description | None = None
    contract: Literal["kpn", "ts013"] | None = None
    script: Annotated[str | None, Field(min_length=1, max_length=256 * 1024)] = None


class CodecOut(Out):
    id: str
    uuid: str
    kind: Literal["decoder", "encoder"]
    name: str
    symbol: Annotated[str, Field(description="= raw, + extra metadata, › decoded")]
    description: str
    version: int
    built_in: bool
    contract: str | None
    superseded_by: str | None
    script: str | None
