"""Bodies of the destinations resources."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from senflow.common.events import (
    HttpsConfig,
    KafkaTopicConfig,
    MqttConfig,
    TestEndpointConfig,
)
from senflow.registry.entrypoints.api.schemas.common import (
    EXAMPLE_DESTINATION_ID,
    KEEP,
    Body,
    Name,
    Out,
    Version,
)
from senflow.registry.entrypoints.api.schemas.destination_health import DestinationHealthOut

CREDENTIAL = (
    "The password (auth basic), token (bearer) or API key (api_key) of an https"
    " destination's config.auth; required with those, none otherwise. Sealed apart from the"
    " secret. Write-only: never returned"
)
FORMAT_SCRIPT = (
    "JavaScript defining format(pack), run in the DIY decoders' sandbox (same caps, at most"
    " 64 KiB): it gets the SenML pack (an array of records) and returns the body every"
    " delivery to this destination sends: a string as it is (application/json if it parses"
    " as JSON, else text/plain), an object or array as JSON. A failure dead-letters the"
    " delivery (format-failed)"
)
FORMAT_EXAMPLE = "function format(pack) {\n  return {device: pack[0].bn, readings: pack.length};\n}"


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
                },
                {
                    "name": "Partner API",
                    "type": "https",
                    "config": {
                        "url": "https://api.partner.example/readings",
                        "auth": {"type": "api_key", "header": "X-API-Key"},
                        "max_rate_per_s": 5,
                    },
                    "secret": "Xk9#mP2$vL7qR4@nW8zT1&bY6^cF3!hJ",
                    "credential": "pk_live_4f9a2c7e1b",
                    "format_script": FORMAT_EXAMPLE,
                },
                {
                    "name": "Readings on our cluster",
                    "type": "kafka",
                    "config": {
                        "topic": "acme.meter-readings",
                        "bootstrap": "kafka-1.acme.example:9093,kafka-2.acme.example:9093",
                        "key_template": "{device_id}",
                        "security_protocol": "SASL_SSL",
                        "sasl_mechanism": "SCRAM-SHA-512",
                        "sasl_username": "senflow-writer",
                    },
                    "secret": "the SASL password",
                },
                {
                    "name": "Broker",
                    "type": "mqtt",
                    "config": {
                        "host": "mqtt.example.com",
                        "topic": "acme/meters/readings",
                        "qos": 1,
                        "username": "senflow",
                    },
                    "secret": "the broker password",
                },
                {"name": "Try-out", "type": "test", "config": {}},
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
            " (required); kafka: the SASL password (required with SASL_*, else none); mqtt: the"
            " password (needs config.username); test: optional, signs the kept messages as an"
            " https delivery would be. Write-only.",
            max_length=256,
        ),
    ] = None
    credential: Annotated[str | None, Field(description=CREDENTIAL, max_length=4096)] = None
    format_script: Annotated[
        str | None, Field(description=FORMAT_SCRIPT, max_length=65536, examples=[FORMAT_EXAMPLE])
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
    credential: Annotated[
        str | None,
        Field(
            max_length=4096,
            description="New credential, same rules" + KEEP + "; a new config.auth.type"
            " needs a new one, none forgets it. Write-only.",
        ),
    ] = None
    format_script: Annotated[
        str | None,
        Field(
            max_length=65536,
            description="New format script, same rules; an empty string removes it" + KEEP,
        ),
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
    format_script: Annotated[
        str | None, Field(description="The format script; null = the SenML JSON is sent")
    ] = None
    version: Version
    health: Annotated[
        DestinationHealthOut,
        Field(description="How its deliveries go, as the dispatchers report it; never stored"),
    ]


class TestMessageOut(Out):
    __test__ = False  # not a pytest class, whatever its name says

    message_id: Annotated[
        str,
        Field(description="The uplink's id, the same at every destination (Senflow-Message-Id)"),
    ]
    delivery_id: Annotated[
        str, Field(description="This pack for this destination (Senflow-Delivery-Id)")
    ]
    received_at: Annotated[datetime, Field(description="When the test endpoint took it")]
    headers: Annotated[
        dict[str, str],
        Field(
            description="The headers an https receiver of the same delivery would get",
            examples=[
                {
                    "Content-Type": "application/json",
                    "Things-Plug-UUID": EXAMPLE_DESTINATION_ID,
                    "Senflow-Message-Id": "6a0c9b1e-3f2d-4c5b-8a79-0e1d2c3b4a59",
                    "Senflow-Delivery-Id": "0d4b7c1a-9e8f-5a6b-b2c3-d4e5f6a7b8c9",
                    "Senflow-Attempt": "1",
                }
            ],
        ),
    ]
    body: Annotated[
        str,
        Field(
            description="The body as sent: the SenML pack as compact JSON",
            examples=[
                '[{"bn":"urn:dev:DEVEUI:0123456789ABCDEF:","bt":1795645163.21,'
                '"n":"payload","vs":"01A2"},{"n":"port","v":2}]'
            ],
        ),
    ]


class TestMessagesOut(Out):
    __test__ = False  # not a pytest class, whatever its name says

    items: Annotated[
        list[TestMessageOut],
        Field(description="The latest messages, newest first: at most 100, of the last 5 days"),
    ]
