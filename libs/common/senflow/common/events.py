"""Registry change events: the envelope and the entity snapshots it carries.

Published by the registry's outbox relay to compacted topics (key = entity id). A delete
is a tombstone (null value) with the envelope fields in headers. Consumers drop
duplicates by `event_id` and stale updates by `entity_version`.
"""

from typing import Annotated, Generic, Literal, TypeVar

from pydantic import AwareDatetime, Field, model_validator

from senflow.common.contract import Contract

SCHEMA_VERSION = 1

EntityType = Literal["customer", "project", "flow", "device", "destination", "codec", "downlink"]
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
    encoder_ids: tuple[str, ...] = ()
    description: str = ""


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
    barcode: str | None = None
    description: str = ""
    tags: dict[str, str] = {}


# Delivery limits every destination type takes (None: the dispatcher's defaults).
MaxRatePerS = Annotated[
    float | None,
    Field(
        ge=0.01,
        le=10_000,
        description="At most this many delivery attempts per second to this destination"
        " (retries included), evenly spaced; null = no limit",
        examples=[5],
    ),
]
MaxRetryAgeS = Annotated[
    float | None,
    Field(
        gt=0,
        le=86_400,
        description="Stop retrying a delivery once it is this many seconds old (from the"
        " uplink's receive time): it goes to the dead letters. Only shortens the"
        " dispatcher's own bound; null = that bound",
        examples=[600],
    ),
]
AuthType = Literal["none", "basic", "bearer", "api_key"]


class HttpsAuth(Contract):
    """How an HTTPS destination authenticates; the credential itself (the Basic password,
    the Bearer token or the API key) is the destination's write-only `credential`."""

    type: Annotated[
        AuthType,
        Field(
            description="none; basic (Authorization: Basic, with username); bearer"
            " (Authorization: Bearer <credential>); api_key (<header>: <credential>)",
            examples=["bearer"],
        ),
    ] = "none"
    username: Annotated[
        str | None,
        Field(
            max_length=256,
            description="Basic only: the user name (no colon); null otherwise",
            examples=["senflow"],
        ),
    ] = None
    header: Annotated[
        str,
        Field(
            max_length=100,
            description="api_key only: the header that carries the key",
            examples=["X-API-Key"],
        ),
    ] = "X-API-Key"


class HttpsConfig(Contract):
    """An HTTPS webhook. The shared secret (sealed) signs every delivery."""

    url: Annotated[
        str,
        Field(
            description="Absolute https:// URL (http:// only to localhost), without credentials",
            examples=["https://example.com/hook"],
        ),
    ]
    method: Annotated[Literal["POST", "PUT"], Field(description="HTTP method")] = "POST"
    headers: Annotated[
        dict[str, str],
        Field(
            description="Additional static headers; Senflow's own headers take precedence",
            examples=[{"X-Source": "senflow"}],
        ),
    ] = {}
    expected_status: Annotated[
        int | None, Field(ge=200, le=299, description="The one accepted status; null = any 2xx")
    ] = None
    timeout_s: Annotated[
        float,
        Field(
            gt=0, le=60, description="Per-attempt timeout, seconds; the dispatcher's limit caps it"
        ),
    ] = 10.0
    auth: Annotated[
        HttpsAuth,
        Field(
            description="Authentication sent on every attempt; the credential is write-only",
            examples=[{"type": "bearer"}],
        ),
    ] = HttpsAuth()
    max_rate_per_s: MaxRatePerS = None
    max_retry_age_s: MaxRetryAgeS = None


class KafkaTopicConfig(Contract):
    """A Kafka topic, on the platform's cluster unless `bootstrap` names another.

    An external cluster is reached with `security_protocol`; SASL authenticates as
    `sasl_username` with the destination's secret (sealed) as the password.
    """

    topic: Annotated[
        str,
        Field(
            pattern=r"^[A-Za-z0-9._-]{1,249}$",
            description="Topic to write to: 1-249 letters, digits, . _ -; it must exist."
            " Never one of the platform's own (senflow.*) or Kafka's internal (__*) topics",
            examples=["acme.meter-readings"],
        ),
    ]
    bootstrap: Annotated[
        str | None,
        Field(
            description="host:port,… of an external cluster; null = the platform's cluster",
            examples=["kafka-1.acme.example:9093,kafka-2.acme.example:9093"],
        ),
    ] = None
    key_template: Annotated[
        str,
        Field(
            description="Record key template: {device_id}, {flow_id}, {customer_id} and"
            " {destination_id}, no format specs; empty = no key",
            examples=["{customer_id}:{device_id}"],
        ),
    ] = "{device_id}"
    security_protocol: Annotated[
        Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"],
        Field(
            description="How to reach an external cluster (only with bootstrap): SSL and"
            " SASL_SSL verify the brokers' certificates against the public CAs; SASL_* log"
            " in with sasl_mechanism, sasl_username and the secret",
            examples=["SASL_SSL"],
        ),
    ] = "PLAINTEXT"
    sasl_mechanism: Annotated[
        Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None,
        Field(
            description="SASL mechanism; required with SASL_PLAINTEXT and SASL_SSL, else null",
            examples=["SCRAM-SHA-512"],
        ),
    ] = None
    sasl_username: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=256,
            description="SASL user name; required with SASL_*, else null. The password is"
            " the destination's secret (write-only)",
            examples=["senflow-writer"],
        ),
    ] = None
    max_rate_per_s: MaxRatePerS = None
    max_retry_age_s: MaxRetryAgeS = None


class MqttConfig(Contract):
    """An MQTT broker; the password (sealed) is the destination's secret."""

    host: Annotated[
        str, Field(min_length=1, description="Broker host name", examples=["mqtt.example.com"])
    ]
    port: Annotated[int, Field(ge=1, le=65535, description="Broker TCP port")] = 8883
    tls: Annotated[bool, Field(description="Connect with TLS (verified)")] = True
    topic: Annotated[
        str,
        Field(
            min_length=1,
            description="Topic to publish to (no wildcards + or #)",
            examples=["acme/meters/readings"],
        ),
    ]
    qos: Annotated[
        Literal[0, 1], Field(description="MQTT QoS: 0 at most once, 1 at least once")
    ] = 1
    username: Annotated[
        str | None,
        Field(description="Broker user name; required with a password (secret); null = none"),
    ] = None
    max_rate_per_s: MaxRatePerS = None
    max_retry_age_s: MaxRetryAgeS = None


class TestEndpointConfig(Contract):
    """The built-in test endpoint: keeps the latest messages, readable through the API."""

    __test__ = False  # not a pytest class, whatever its name says

    max_rate_per_s: MaxRatePerS = None
    max_retry_age_s: MaxRetryAgeS = None


DestinationType = Literal["https", "kafka", "mqtt", "test"]
DestinationConfig = HttpsConfig | KafkaTopicConfig | MqttConfig | TestEndpointConfig
CONFIG_TYPES: dict[str, type[Contract]] = {
    "https": HttpsConfig,
    "kafka": KafkaTopicConfig,
    "mqtt": MqttConfig,
    "test": TestEndpointConfig,
}


class DestinationSnapshot(Contract):
    id: str
    customer_id: str
    name: str
    type: DestinationType
    config: DestinationConfig
    sealed_secret: Annotated[
        str | None, Field(description="Shared secret / password sealed with the platform key")
    ] = None
    sealed_credential: Annotated[
        str | None,
        Field(
            description="HTTPS authentication's password, token or key, sealed with the"
            ' platform key bound to "<id>:credential" (a sealed secret does not open as it)'
        ),
    ] = None
    format_script: Annotated[
        str | None,
        Field(description="JavaScript defining format(pack): the body each delivery sends"),
    ] = None
    enabled: bool = True

    @model_validator(mode="after")
    def _config_matches_type(self) -> "DestinationSnapshot":
        if not isinstance(self.config, CONFIG_TYPES[self.type]):
            raise ValueError(f"config is not a {self.type} configuration")
        return self


class CodecSnapshot(Contract):
    """A customer's DIY decoder or encoder script (built-in codecs are not events)."""

    id: str
    customer_id: str
    kind: Literal["decoder", "encoder"]
    name: str
    contract: Literal["kpn", "ts013"]
    script: str
    version: int


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
