"""Bodies of the destinations resources."""

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from senflow.common.events import (
    HttpsConfig,
    KafkaTopicConfig,
    MqttConfig,
    TestEndpointConfig,
)
from senflow.registry.entrypoints.api.schemas.common import (
    KEEP,
    Body,
    Name,
    Out,
    Version,
)


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

    name: Annotated[Name | None, Field(description="New display name" + KEEP)] = None
    enabled: Annotated[
        bool | None,
        Field(description="false: deliveries to it are dead-lettered" + KEEP),
    ] = None
    config: Annotated[
        HttpsConfig | KafkaTopicConfig | MqttConfig | TestEndpointConfig | None,
        Field(description="Replaces the whole config; same type as before" + KEEP),
    ] = None
    secret: Annotated[
        str | None,
        Field(max_length=256, description="New secret, same rules" + KEEP + ". Write-only."),
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
