"""Bodies of the customers, keys, subscriptions resources."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, ConfigDict, Field

from senflow.common.events import (
    NetworkType,
)
from senflow.registry.entrypoints.api.schemas.common import (
    EXAMPLE_CUSTOMER_ID,
    KEEP,
    Body,
    Name,
    Out,
    Version,
)


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

    name: Annotated[Name | None, Field(description="New display name" + KEEP)] = None
    status: Annotated[
        Literal["active", "suspended"] | None,
        Field(description="A suspended customer's API keys stop working" + KEEP),
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
                    "customer_id": EXAMPLE_CUSTOMER_ID,
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
                    "customer_id": EXAMPLE_CUSTOMER_ID,
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
