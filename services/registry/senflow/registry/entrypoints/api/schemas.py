"""Request and response bodies of the management API. Secrets are write-only: they appear
in request bodies and never in a response."""

from datetime import datetime
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.config import JsonDict, JsonValue

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

_KEEP = "; null or absent keeps the current value"
# Realistic example values, shared by the model examples below.
_CUSTOMER_ID = "3f6c1e2a-8b4d-4c7e-9a15-2d8f0b6e4c31"
_PROJECT_ID = "9b2e4f70-1c3a-4d5e-8f60-7a1b2c3d4e5f"
_DEVICE_IDS: list[JsonValue] = [
    "5d0c9a8b-7e6f-4a3b-9c2d-1e0f9a8b7c6d",
    "c4b3a2d1-0e9f-4d8c-a7b6-5f4e3d2c1b0a",
]
_DESTINATION_ID = "e1d2c3b4-a5f6-4e7d-8c9b-0a1f2e3d4c5b"
_LORA: JsonDict = {
    "dev_eui": "0123456789ABCDEF",
    "join_eui": "70B3D57ED0000000",
    "app_key": "2B7E151628AED2A6ABF7158809CF4F3C",
}
_DEVICE: JsonDict = {
    "name": "Meter 42",
    "specification_id": "own-lora",
    "barcode": "WM-2024-000042",
    "description": "Basement, Oudegracht 42",
    "tags": {"site": "Utrecht"},
    "network_info": {"KPNLORA": _LORA},
}


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(extra="ignore")


class PageOut(Out, Generic[T]):
    items: Annotated[list[T], Field(description="This page's items, in the requested order")]
    next_cursor: Annotated[
        str | None, Field(description="Pass as `cursor` for the next page; null on the last")
    ]


# --- customers, keys, subscriptions -------------------------------------------------------
class CustomerIn(Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "Acme Water", "network_types": ["KPNLORA"]}]}
    )

    name: Annotated[Name, Field(examples=["Acme Water"])]
    network_types: Annotated[
        list[NetworkType],
        Field(description="Network subscriptions to open (default: all four)"),
    ] = ["KPNLORA", "M2M", "INTERNET", "MQTT"]


class CustomerPatch(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "suspended"}]})

    name: Annotated[Name | None, Field(description="New display name" + _KEEP)] = None
    status: Annotated[
        Literal["active", "suspended"] | None,
        Field(description="A suspended customer's API keys stop working" + _KEEP),
    ] = None


class CustomerOut(Out):
    id: Annotated[str, Field(description="Customer id (UUID)")]
    name: Annotated[str, Field(description="Display name")]
    status: Annotated[
        Literal["active", "suspended"],
        Field(description="suspended: the customer's API keys are refused"),
    ]
    version: Version


class ApiKeyIn(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customer_id": _CUSTOMER_ID,
                    "scopes": ["read"],
                    "expires_at": "2027-01-01T00:00:00Z",
                }
            ]
        }
    )

    customer_id: Annotated[
        str | None,
        Field(description="Required for the admin; a customer key creates keys for itself"),
    ] = None
    scopes: Annotated[
        list[Literal["read", "write"]],
        Field(min_length=1, description="What the key may do", examples=[["read", "write"]]),
    ]
    expires_at: Annotated[
        AwareDatetime | None,
        Field(
            description="After this instant the key is refused; ISO 8601 with a UTC offset,"
            " in the future. null = never expires"
        ),
    ] = None


class ApiKeyOut(Out):
    id: Annotated[str, Field(description="API key id (UUID); revoke with DELETE /api-keys/{id}")]
    customer_id: Annotated[str, Field(description="Customer the key acts for (UUID)")]
    prefix: Annotated[str, Field(description="Public part of the key, to recognise it")]
    scopes: Annotated[list[str], Field(description="What the key may do: read and/or write")]
    created_at: Annotated[datetime, Field(description="When the key was created (ISO 8601)")]
    expires_at: Annotated[
        datetime | None, Field(description="After this instant the key is refused; null = never")
    ]
    revoked_at: Annotated[
        datetime | None, Field(description="When the key was revoked; null = not revoked")
    ]


class NewApiKeyOut(ApiKeyOut):
    key: Annotated[
        str,
        Field(
            description="The key itself, `sfk_<prefix>_<secret>`, to send as a Bearer token."
            " Shown once, never again."
        ),
    ]


class SubscriptionIn(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customer_id": _CUSTOMER_ID,
                    "network_type": "KPNLORA",
                    "status": "active",
                    "max_devices": 1000,
                }
            ]
        }
    )

    customer_id: Annotated[str, Field(description="Customer id (UUID)")]
    network_type: Annotated[NetworkType, Field(description="The network type subscribed to")]
    status: Annotated[
        Literal["active", "suspended"],
        Field(description="Network info of this type can only be set while active"),
    ] = "active"
    max_devices: Annotated[
        int | None, Field(ge=0, description="Most devices with this network type; null = no limit")
    ] = None


class SubscriptionOut(Out):
    id: Annotated[str, Field(description="Subscription id (UUID)")]
    customer_id: Annotated[str, Field(description="Customer id (UUID)")]
    network_type: Annotated[NetworkType, Field(description="The network type subscribed to")]
    status: Annotated[
        Literal["active", "suspended"],
        Field(description="Network info of this type can only be set while active"),
    ]
    max_devices: Annotated[
        int | None, Field(description="Most devices with this network type; null = no limit")
    ]
    version: Annotated[Version, Field(description="Increases with every change")]


# --- projects ---------------------------------------------------------------------------
class ProjectIn(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "Smart water meters", "description": "Water meters of the Utrecht region"}
            ]
        }
    )

    name: Annotated[Name, Field(examples=["Smart water meters"])]
    description: Description = ""


class ProjectPatch(Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"description": "Water meters of Utrecht and Zeist"}]}
    )

    name: Annotated[Name | None, Field(description="New display name" + _KEEP)] = None
    description: Annotated[Description | None, Field(description="New description" + _KEEP)] = None


class ProjectOut(Out):
    id: Annotated[str, Field(description="Project id (UUID)")]
    name: Annotated[str, Field(description="Display name")]
    description: Annotated[str, Field(description="Free text")]
    version: Version


# --- devices ----------------------------------------------------------------------------
class LoraNetworkInfoIn(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [_LORA]})

    dev_eui: Annotated[
        str,
        Field(
            description="DevEUI: 16 hex digits, stored upper-case; unique platform-wide",
            examples=["0123456789ABCDEF"],
        ),
    ]
    join_eui: Annotated[
        str,
        Field(description="JoinEUI/AppEUI: 16 hex digits", examples=["70B3D57ED0000000"]),
    ]
    app_key: Annotated[str, Field(description="OTAA AppKey, 32 hex. Write-only.")]


class M2mNetworkInfoIn(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "imei": "490154203237518",
                    "iccid": "8931081234567890123",
                    "shared_secret": "q8Zr3LkW9xTn2VbM7cYp4HsJ6dFg1RtA",
                }
            ]
        }
    )

    imei: Annotated[
        str,
        Field(
            description="IMEI: 15 digits, the last a Luhn check digit; unique platform-wide",
            examples=["490154203237518"],
        ),
    ]
    iccid: Annotated[
        str | None, Field(description="SIM ICCID, 19-20 digits; null = not recorded")
    ] = None
    shared_secret: Annotated[
        str | None, Field(description="30-100 letters and digits; null = none. Write-only.")
    ] = None


class InternetNetworkInfoIn(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "dvn_uuid": "6f1f7d0c-2b3a-4c5d-9e8f-0a1b2c3d4e5f",
                    "shared_secret": "q8Zr3LkW9xTn2VbM7cYp4HsJ6dFg1RtA",
                }
            ]
        }
    )

    dvn_uuid: Annotated[
        str,
        Field(
            description="DvnUUID: any UUID (v4 advised), stored lower-case; unique platform-wide"
        ),
    ]
    shared_secret: Annotated[
        str, Field(description="30-100 letters and digits; signs uplinks. Write-only.")
    ]


class MqttNetworkInfoIn(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "client_id": "meter-0042",
                    "username": "meter-0042",
                    "password": "q8Zr3LkW9xTn2VbM7cYp4HsJ",
                }
            ]
        }
    )

    client_id: Annotated[
        str,
        Field(
            description="MQTT client id: 1-128 letters, digits and . _ : -; unique platform-wide",
            examples=["meter-0042"],
        ),
    ]
    username: Annotated[str | None, Field(description="MQTT user name; null = none")] = None
    password: Annotated[str | None, Field(description="MQTT password. Write-only.")] = None


class NetworkInfoIn(Body):
    """Network info at registration, per network type."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"KPNLORA": _LORA}]})

    KPNLORA: Annotated[
        LoraNetworkInfoIn | None, Field(description="LoRaWAN identity (KPN); null = none")
    ] = None
    M2M: Annotated[
        M2mNetworkInfoIn | None, Field(description="Cellular (M2M) identity; null = none")
    ] = None
    INTERNET: Annotated[
        InternetNetworkInfoIn | None,
        Field(description="Identity of a device posting over the internet; null = none"),
    ] = None
    MQTT: Annotated[
        MqttNetworkInfoIn | None, Field(description="MQTT client identity; null = none")
    ] = None


class DeviceIn(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [_DEVICE]})

    name: Annotated[Name, Field(examples=["Meter 42"])]
    specification_id: Annotated[
        str,
        Field(
            description="A device specification id; it fixes the allowed network types",
            examples=["own-lora"],
        ),
    ]
    barcode: Annotated[
        str | None, Field(max_length=200, description="Barcode, as free text; null = none")
    ] = None
    description: Description = ""
    tags: Tags = {}
    network_info: Annotated[
        NetworkInfoIn,
        Field(
            description="Identity per network type (each must be in the specification and"
            " subscribed to); more can be set later"
        ),
    ] = NetworkInfoIn()


class DevicePatch(Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"status": "deactivated", "tags": {"site": "Zeist"}}]}
    )

    name: Annotated[Name | None, Field(description="New display name" + _KEEP)] = None
    status: Annotated[
        Literal["active", "deactivated"] | None,
        Field(description="A deactivated device stays registered; its uplinks are dead-lettered"),
    ] = None
    barcode: Annotated[
        str | None,
        Field(max_length=200, description="New barcode" + _KEEP + " (it cannot be cleared)"),
    ] = None
    description: Annotated[Description | None, Field(description="New description" + _KEEP)] = None
    tags: Annotated[Tags | None, Field(description="Replaces all tags")] = None


class NetworkInfoOut(Out):
    network_type: Annotated[NetworkType, Field(description="The network of this identity")]
    identifier: Annotated[str, Field(description="DevEUI, IMEI, DvnUUID or MQTT client id")]
    attributes: Annotated[
        dict[str, str],
        Field(description="Non-secret extras: join_eui (KPNLORA), iccid (M2M), username (MQTT)"),
    ]


class DeviceOut(Out):
    id: Annotated[str, Field(description="Device id (UUID)")]
    name: Annotated[str, Field(description="Display name")]
    specification_id: Annotated[str, Field(description="The device specification id")]
    status: Annotated[
        Literal["active", "deactivated"],
        Field(description="deactivated: still registered, but its uplinks are dead-lettered"),
    ]
    barcode: Annotated[str | None, Field(description="Barcode, as free text; null = none")]
    description: Annotated[str, Field(description="Free text")]
    tags: Annotated[dict[str, str], Field(description="Free key/value labels")]
    network_info: Annotated[
        list[NetworkInfoOut],
        Field(description="One identity per network type, without secrets"),
    ]
    version: Version


class ImportIn(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "mode": "all-or-nothing",
                    "devices": [
                        _DEVICE,
                        {"name": "Meter 43", "specification_id": "own-lora"},
                    ],
                }
            ]
        }
    )

    mode: Annotated[
        Literal["per-row", "all-or-nothing"],
        Field(description="per-row commits the valid rows; all-or-nothing commits all or none"),
    ] = "per-row"
    devices: Annotated[
        list[DeviceIn],
        Field(
            min_length=1,
            max_length=10_000,
            description="1 to 10 000 devices; devices[0] is row 1 of the result",
        ),
    ]


class RowResultOut(Out):
    row: Annotated[int, Field(description="1-based row number")]
    status: Annotated[
        int, Field(description="201 created, 4xx refused, 424 valid but not imported")
    ]
    device_id: Annotated[
        str | None, Field(description="Id of the created device (UUID); null unless 201")
    ] = None
    errors: Annotated[
        list[dict[str, str]],
        Field(description="Why the row was not imported, as {field, reason}; empty on 201"),
    ] = []


class ImportOut(Out):
    committed: Annotated[
        bool, Field(description="false: an all-or-nothing import was refused; nothing stored")
    ]
    created: Annotated[int, Field(description="Devices created (0 when not committed)")]
    failed: Annotated[int, Field(description="Rows not imported")]
    rows: Annotated[list[RowResultOut], Field(description="One result per row, in input order")]


# --- destinations -----------------------------------------------------------------------


class DestinationIn(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Production webhook",
                    "type": "https",
                    "config": {
                        "url": "https://example.com/hook",
                        "method": "POST",
                        "headers": {"X-Source": "senflow"},
                    },
                    "secret": "Xk9#mP2$vL7qR4@nW8zT1&bY6^cF3!hJ",
                }
            ]
        }
    )

    name: Annotated[Name, Field(examples=["Production webhook"])]
    type: Annotated[
        Literal["https", "kafka", "mqtt", "test"],
        Field(description="Destination type; `config` must be of this type"),
    ] = "https"
    config: Annotated[
        HttpsConfig | KafkaTopicConfig | MqttConfig | TestEndpointConfig,
        Field(description="Settings of the destination's type; test takes none ({})"),
    ]
    secret: Annotated[
        str | None,
        Field(
            description="https: shared secret, ≥ 32 chars with upper, lower, digit and special"
            " (required); mqtt: the password (needs config.username). Write-only.",
            max_length=256,
        ),
    ] = None


class DestinationPatch(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"enabled": False}]})

    name: Annotated[Name | None, Field(description="New display name" + _KEEP)] = None
    enabled: Annotated[
        bool | None,
        Field(description="false: deliveries to it are dead-lettered" + _KEEP),
    ] = None
    config: Annotated[
        HttpsConfig | KafkaTopicConfig | MqttConfig | TestEndpointConfig | None,
        Field(description="Replaces the whole config; same type as before" + _KEEP),
    ] = None
    secret: Annotated[
        str | None,
        Field(max_length=256, description="New secret, same rules" + _KEEP + ". Write-only."),
    ] = None


class DestinationOut(Out):
    id: Annotated[str, Field(description="Destination id (UUID); sent as Things-Plug-UUID")]
    name: Annotated[str, Field(description="Display name")]
    type: Annotated[
        Literal["https", "kafka", "mqtt", "test"], Field(description="Destination type")
    ]
    config: Annotated[
        HttpsConfig | KafkaTopicConfig | MqttConfig | TestEndpointConfig,
        Field(description="Settings of the destination's type (never the secret)"),
    ]
    enabled: Annotated[bool, Field(description="false: deliveries to it are dead-lettered")]
    version: Version


# --- flows ------------------------------------------------------------------------------
class FlowIn(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "project_id": _PROJECT_ID,
                    "name": "Meters to billing",
                    "description": "Every meter reading to the billing webhook",
                    "device_ids": _DEVICE_IDS,
                    "destination_ids": [_DESTINATION_ID],
                    "decoder_ids": ["lora-raw"],
                }
            ]
        }
    )

    project_id: Annotated[str, Field(description="The customer's project it belongs to (UUID)")]
    name: Annotated[Name, Field(examples=["Meters to billing"])]
    description: Description = ""
    enabled: Annotated[bool, Field(description="false: the flow routes nothing")] = True
    device_ids: Annotated[
        list[str], Field(description="The customer's devices whose uplinks it routes (UUIDs)")
    ] = []
    destination_ids: Annotated[
        list[str], Field(description="The customer's destinations it delivers to (UUIDs)")
    ] = []
    decoder_ids: Annotated[
        list[str],
        Field(
            description="Decoders applied to every uplink; built-in ones must suit every"
            " device's specification",
            examples=[["lora-raw"]],
        ),
    ] = ["lora-raw"]
    encoder_ids: Annotated[list[str], Field(description="Encoders for downlinks")] = []


class FlowPatch(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"enabled": True, "decoder_ids": ["lora-raw", "lora-geolocation"]}]
        }
    )

    name: Annotated[Name | None, Field(description="New display name" + _KEEP)] = None
    description: Annotated[Description | None, Field(description="New description" + _KEEP)] = None
    enabled: Annotated[bool | None, Field(description="false: the flow routes nothing" + _KEEP)] = (
        None
    )
    decoder_ids: Annotated[list[str] | None, Field(description="Replaces the decoders" + _KEEP)] = (
        None
    )
    encoder_ids: Annotated[list[str] | None, Field(description="Replaces the encoders" + _KEEP)] = (
        None
    )


class MembersIn(Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"add": [_DEVICE_IDS[1]], "remove": [_DEVICE_IDS[0]]}]}
    )

    add: Annotated[
        list[str], Field(description="Device or destination ids (UUIDs) to add; the customer's own")
    ] = []
    remove: Annotated[
        list[str], Field(description="Ids to remove; ids not in the flow are ignored")
    ] = []


class FlowOut(Out):
    id: Annotated[str, Field(description="Flow id (UUID)")]
    project_id: Annotated[str, Field(description="The project it belongs to (UUID)")]
    name: Annotated[str, Field(description="Display name")]
    description: Annotated[str, Field(description="Free text")]
    enabled: Annotated[bool, Field(description="false: the flow routes nothing")]
    device_ids: Annotated[list[str], Field(description="Devices whose uplinks it routes")]
    destination_ids: Annotated[list[str], Field(description="Destinations it delivers to")]
    decoder_ids: Annotated[list[str], Field(description="Decoders applied to every uplink")]
    encoder_ids: Annotated[list[str], Field(description="Encoders for downlinks")]
    version: Version


# --- catalogue --------------------------------------------------------------------------
class SpecificationOut(Out):
    id: Annotated[str, Field(description="Specification id", examples=["own-lora"])]
    uuid: Annotated[str, Field(description="The same specification as a UUID")]
    name: Annotated[str, Field(description="Display name")]
    description: Annotated[str, Field(description="Free text")]
    network_types: Annotated[
        list[NetworkType], Field(description="Network types such a device can be registered on")
    ]
    decoder_ids: Annotated[list[str], Field(description="Built-in decoders that suit it")]
    encoder_ids: Annotated[list[str], Field(description="Built-in encoders that suit it")]


ScriptContract = Literal["kpn", "ts013"]
_CONTRACT = "kpn: main(string) → string|null; ts013: decodeUplink/encodeDownlink"
_SCRIPT = "function decodeUplink(input) { return { data: { level: input.bytes[0] } }; }"


class CodecIn(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Tank level",
                    "kind": "decoder",
                    "contract": "ts013",
                    "description": "Fill level in % from byte 0",
                    "script": _SCRIPT,
                }
            ]
        }
    )

    name: Name
    kind: Annotated[
        Literal["decoder", "encoder"],
        Field(description="decoder: turns uplinks into SenML; encoder: builds downlinks"),
    ] = "decoder"
    contract: Annotated[ScriptContract, Field(description=_CONTRACT)]
    description: Description = ""
    script: Annotated[
        str,
        Field(
            min_length=1,
            max_length=256 * 1024,
            description="JavaScript source, at most 262 144 characters",
        ),
    ]


class CodecPatch(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"script": _SCRIPT}]})

    name: Annotated[Name | None, Field(description="New display name" + _KEEP)] = None
    description: Annotated[Description | None, Field(description="New description" + _KEEP)] = None
    contract: Annotated[ScriptContract | None, Field(description=_CONTRACT + _KEEP)] = None
    script: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=256 * 1024,
            description="New JavaScript source: the codec's next version" + _KEEP,
        ),
    ] = None


class CodecOut(Out):
    id: Annotated[
        str, Field(description="Codec id: e.g. lora-raw when built in, diy-<12 hex> for DIY")
    ]
    uuid: Annotated[str, Field(description="The same codec as a UUID")]
    kind: Annotated[
        Literal["decoder", "encoder"],
        Field(description="decoder: turns uplinks into SenML; encoder: builds downlinks"),
    ]
    name: Annotated[str, Field(description="Display name")]
    symbol: Annotated[str, Field(description="= raw, + extra metadata, › decoded")]
    description: Annotated[str, Field(description="Free text")]
    version: Annotated[
        int, Field(description="Increases with every change; send as If-Match to PATCH")
    ]
    built_in: Annotated[
        bool, Field(description="true: global and read-only; false: the caller's DIY codec")
    ]
    contract: Annotated[
        str | None, Field(description="kpn or ts013 for a DIY codec; null when built in")
    ]
    superseded_by: Annotated[
        str | None, Field(description="Id of the codec that replaces it; null = current")
    ]
    script: Annotated[
        str | None, Field(description="JavaScript source of a DIY codec; null when built in")
    ]
