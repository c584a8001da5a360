"""Bodies of the devices resources."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from senflow.common.events import (
    NetworkType,
)
from senflow.registry.entrypoints.api.schemas.common import (
    EXAMPLE_DEVICE,
    EXAMPLE_LORA,
    KEEP,
    Body,
    Description,
    Name,
    Out,
    Tags,
    Version,
)


class LoraNetworkInfoIn(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_LORA]})

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

    model_config = ConfigDict(json_schema_extra={"examples": [{"KPNLORA": EXAMPLE_LORA}]})

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
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_DEVICE]})

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

    name: Annotated[Name | None, Field(description="New display name" + KEEP)] = None
    status: Annotated[
        Literal["active", "deactivated"] | None,
        Field(description="A deactivated device stays registered; its uplinks are dead-lettered"),
    ] = None
    barcode: Annotated[
        str | None,
        Field(max_length=200, description="New barcode" + KEEP + " (it cannot be cleared)"),
    ] = None
    description: Annotated[Description | None, Field(description="New description" + KEEP)] = None
    tags: Annotated[Tags | None, Field(description="Replaces all tags")] = None


class NetworkInfoOut(Out):
    network_type: Annotated[NetworkType, Field(description="The network of this identity")]
    identifier: Annotated[str, Field(description="DevEUI, IMEI, DvnUUID or MQTT client id")]
    attributes: Annotated[
        dict[str, str],
        Field(description="Non-secret extras: join_eui (KPNLORA), iccid (M2M), username (MQTT)"),
    ]


class DeviceActivityOut(Out):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"last_seen_at": "2026-11-25T10:32:30.5Z", "uplinks": 1342},
                {"last_seen_at": None, "uplinks": 0},
            ]
        }
    )

    last_seen_at: Annotated[
        datetime | None,
        Field(description="Receive time of the latest uplink counted; null: none yet"),
    ]
    uplinks: Annotated[
        int,
        Field(
            ge=0,
            description="Uplinks counted for the device: each valid uplink sent with one of"
            " its network identifiers, routed or not, once",
        ),
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
    activity: Annotated[
        DeviceActivityOut,
        Field(
            description="Read-only, counted by the platform in batches (about a second"
            " behind); not part of the device's version or change events"
        ),
    ]
    version: Version


class ImportIn(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "mode": "all-or-nothing",
                    "devices": [
                        EXAMPLE_DEVICE,
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
