"""Bodies of the downlinks resources."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_serializer,
    model_validator,
)
from pydantic.config import JsonDict

from senflow.codecs.lora_downlink import LORA_MAX_PAYLOAD_BYTES
from senflow.common.downlinks import (
    HEX,
    MAX_DATA_DEPTH,
    MAX_DOWNLINK_BYTES,
    MAX_DOWNLINK_TTL_S,
    DownlinkSource,
    DownlinkStatus,
)
from senflow.common.events import NetworkType
from senflow.common.senml import SenmlRecord
from senflow.registry.entrypoints.api.schemas.common import Body, Out, Version

EXAMPLE_RAW: JsonDict = {"payload_hex": "0164", "f_port": 10}
EXAMPLE_SENML: JsonDict = {"senml": [{"n": "setpoint", "u": "Cel", "v": 21.5}]}

FPort = Annotated[
    int | None,
    Field(
        ge=1,
        le=223,
        description="LoRaWAN application port (1-223); required with a raw payload to a LoRa"
        " device, else the encoder's default",
    ),
]


class DownlinkCommandIn(Body):
    """Exactly one of `senml`, `data` or `payload_hex`; at most 16 KiB (16,384 bytes) as
    compact JSON."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_RAW, EXAMPLE_SENML]})

    senml: Annotated[
        list[SenmlRecord] | None,
        Field(
            min_length=1,
            max_length=100,
            description="A SenML command (e.g. a setpoint), for the flow's encoder; sent as is"
            " to an Internet, M2M or MQTT device whose flow has no encoder",
        ),
    ] = None
    data: Annotated[
        dict[str, Any] | None,
        Field(
            min_length=1,
            description="A JSON object for a DIY encoder (TS013 `encodeDownlink`'s `data`),"
            f" nested at most {MAX_DATA_DEPTH} levels deep",
        ),
    ] = None
    payload_hex: Annotated[
        str | None,
        Field(
            pattern=HEX,
            min_length=2,
            max_length=2 * MAX_DOWNLINK_BYTES,
            description="Bytes sent as they are, in hex (a LoRa frame holds at most"
            f" {LORA_MAX_PAYLOAD_BYTES})",
        ),
    ] = None
    f_port: FPort = None

    @model_validator(mode="after")
    def _exactly_one_form(self) -> "DownlinkCommandIn":
        given = [f for f in ("senml", "data", "payload_hex") if getattr(self, f) is not None]
        if len(given) != 1:
            raise ValueError(
                f"give exactly one of senml, data or payload_hex, not {given or 'none'}"
            )
        return self


class DownlinkIn(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"command": EXAMPLE_RAW, "confirmed": True, "ttl_s": 3600},
                {"command": EXAMPLE_SENML},
            ]
        }
    )

    command: Annotated[DownlinkCommandIn, Field(description="What to send")]
    confirmed: Annotated[bool, Field(description="LoRa only: ask the device to acknowledge it")] = (
        False
    )
    ttl_s: Annotated[
        int | None,
        Field(
            ge=1,
            le=MAX_DOWNLINK_TTL_S,
            description="Seconds it may wait to be sent before it expires; default 86400 (24 h),"
            " at most the registry's maximum (7 days unless configured lower)",
        ),
    ] = None
    flow_id: Annotated[
        str | None,
        Field(
            description="The flow whose (first) encoder encodes it; required when the device's"
            " flows have different encoders; default: the device's flows' common encoder"
        ),
    ] = None
    network_type: Annotated[
        NetworkType | None,
        Field(description="Which of the device's network identities; default: its only one"),
    ] = None


class DownlinkCommandOut(Out):
    # Documented as validated: the serializer only leaves out empty record fields.
    model_config = ConfigDict(json_schema_mode_override="validation")

    senml: Annotated[list[SenmlRecord] | None, Field(description="A SenML command; or null")]
    data: Annotated[dict[str, Any] | None, Field(description="A DIY encoder's data; or null")]
    payload_hex: Annotated[str | None, Field(description="Raw bytes, in hex; or null")]
    f_port: Annotated[int | None, Field(description="The LoRaWAN port asked for; or null")]

    @field_serializer("senml", mode="wrap")
    def _records_as_given(
        self, records: list[SenmlRecord] | None, handler: SerializerFunctionWrapHandler
    ) -> Any:
        if records is None:
            return None
        return [{k: v for k, v in r.items() if v is not None} for r in handler(records)]


class DownlinkOut(Out):
    model_config = ConfigDict(json_schema_mode_override="validation")

    id: Annotated[str, Field(description="Downlink id (UUID)")]
    device_id: Annotated[str, Field(description="The device it goes to")]
    network_type: Annotated[NetworkType, Field(description="The network it goes over")]
    identifier: Annotated[str, Field(description="DevEUI, IMEI, DvnUUID or MQTT client id")]
    flow_id: Annotated[str | None, Field(description="The flow whose encoder is used; or null")]
    encoder_id: Annotated[
        str | None, Field(description="The encoder; null: the command is sent as is")
    ]
    command: Annotated[DownlinkCommandOut, Field(description="What was asked to be sent")]
    confirmed: Annotated[bool, Field(description="LoRa: the device is asked to acknowledge")]
    status: Annotated[
        DownlinkStatus,
        Field(
            description="queued → executing → sent → acknowledged (confirmed LoRa); or failed,"
            " expired, cancelled"
        ),
    ]
    reason: Annotated[str | None, Field(description="Why it failed or expired; else null")]
    source: Annotated[
        DownlinkSource, Field(description="api, or destination (a destination's answer)")
    ]
    destination_id: Annotated[
        str | None, Field(description="The destination whose answer made it; or null")
    ]
    payload_hex: Annotated[
        str | None, Field(description="The encoded bytes, in hex, once encoded; else null")
    ]
    f_port: Annotated[int | None, Field(description="The LoRaWAN port it is sent on; or null")]
    created_at: Annotated[datetime, Field(description="When it was queued")]
    expires_at: Annotated[datetime, Field(description="Expires if not sent by then")]
    status_changed_at: Annotated[datetime, Field(description="When it got its current status")]
    executing_at: Annotated[
        datetime | None, Field(description="When it was encoded and handed to the network")
    ]
    sent_at: Annotated[datetime | None, Field(description="When the network sent it")]
    finished_at: Annotated[
        datetime | None,
        Field(description="When it was acknowledged, failed, expired or cancelled"),
    ]
    version: Version
