"""Bodies of the catalogue resources."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_serializer,
)

from senflow.common.events import (
    NetworkType,
)
from senflow.common.senml import SenmlRecord
from senflow.common.uplinks import MAX_DIRECT_PAYLOAD_BYTES
from senflow.registry.entrypoints.api.schemas.common import (
    KEEP,
    Body,
    Description,
    Name,
    Out,
)


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

    name: Annotated[Name | None, Field(description="New display name" + KEEP)] = None
    description: Annotated[Description | None, Field(description="New description" + KEEP)] = None
    contract: Annotated[ScriptContract | None, Field(description=_CONTRACT + KEEP)] = None
    script: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=256 * 1024,
            description="New JavaScript source: the codec's next version" + KEEP,
        ),
    ] = None


class CodecHealthOut(Out):
    status: Annotated[
        Literal["ok", "failing", "unknown"],
        Field(
            description="failing: at least 20 of its last 50 decodes on a router, and at least"
            " half of them, failed (those uplinks were dead-lettered, never retried); ok again"
            " after 20 successes in a row; unknown: no router reported on it yet"
        ),
    ]
    version: Annotated[
        int | None, Field(description="The codec version the report concerns; null when unknown")
    ]
    failures: Annotated[
        int | None, Field(description="Failed decodes among `decodes`; null when unknown")
    ]
    decodes: Annotated[
        int | None, Field(description="Decodes in the window, at most 50; null when unknown")
    ]
    last_error: Annotated[
        str | None,
        Field(
            description="Why its latest failure failed; null when none, or (a built-in decoder"
            " seen by a customer) when another customer's uplink may have caused it"
        ),
    ]
    changed_at: Annotated[
        datetime | None, Field(description="When the status last changed; null when unknown")
    ]


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
    health: Annotated[
        CodecHealthOut,
        Field(description="Whether the routers find it failing (decoders); never stored"),
    ]


_HEX_SAMPLE = "03670110056700FF"
_MAX_BASE64 = (MAX_DIRECT_PAYLOAD_BYTES + 2) // 3 * 4


class DecoderTrialIn(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"decoder_id": "cayenne-lpp", "payload_hex": _HEX_SAMPLE, "f_port": 1},
                {"script": _SCRIPT, "contract": "ts013", "payload_base64": "Kg==", "f_port": 2},
            ]
        }
    )

    decoder_id: Annotated[
        str | None,
        Field(
            pattern=r"^[A-Za-z0-9._-]+$",
            max_length=200,
            description="A built-in decoder or one of your DIY decoders; or send `script`",
            examples=["cayenne-lpp"],
        ),
    ] = None
    script: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=256 * 1024,
            description="JavaScript to try instead of a stored decoder (with `contract`)",
        ),
    ] = None
    contract: Annotated[
        ScriptContract | None, Field(description=_CONTRACT + "; with `script` only")
    ] = None
    payload_hex: Annotated[
        str | None,
        Field(
            pattern=r"^([0-9A-Fa-f]{2})*$",
            max_length=2 * MAX_DIRECT_PAYLOAD_BYTES,
            description="The sample payload in hex; or send `payload_base64`",
            examples=[_HEX_SAMPLE],
        ),
    ] = None
    payload_base64: Annotated[
        str | None,
        Field(
            max_length=_MAX_BASE64,
            description="The sample payload in base64 (padded); or send `payload_hex`",
        ),
    ] = None
    f_port: Annotated[
        int | None, Field(ge=0, le=255, description="LoRaWAN FPort; null for other networks")
    ] = None
    f_cnt: Annotated[
        int | None, Field(ge=0, le=2**32 - 1, description="LoRaWAN uplink frame counter")
    ] = None
    received_at: Annotated[
        AwareDatetime | None, Field(description="When the uplink arrived; default now (`bt`)")
    ] = None
    device_urn: Annotated[
        str,
        Field(
            pattern=r"^urn:dev:[A-Za-z0-9][A-Za-z0-9:./_-]*:$",
            max_length=200,
            description="The device's SenML base name (`bn`)",
        ),
    ] = "urn:dev:DEVEUI:0000000000000000:"


class TriedDecoderOut(Out):
    id: Annotated[str, Field(description="Decoder id")]
    version: Annotated[int, Field(description="The version that decoded the sample")]


class DecoderTrialOut(Out):
    # Documented as validated: the serializer below only leaves out empty record fields,
    # and its schema (any) would hide the SenML fields.
    model_config = ConfigDict(json_schema_mode_override="validation")

    decoder: Annotated[
        TriedDecoderOut | None, Field(description="The decoder tried; null for an inline script")
    ]
    senml: Annotated[
        list[SenmlRecord],
        Field(description="The SenML pack the router would deliver; empty when `error` is set"),
    ]
    warnings: Annotated[
        list[str], Field(description="What the script warned about, and each value left out")
    ]
    error: Annotated[
        str | None,
        Field(
            description="Why the decoder failed on the sample (the router would dead-letter"
            " the uplink: decode-failed), e.g. `exceeded 50 ms CPU`; null when it decoded"
        ),
    ]
    took_ms: Annotated[
        float, Field(description="How long the decode took (compiling a script excluded)")
    ]

    @field_serializer("senml", mode="wrap")
    def _records_as_delivered(
        self, records: list[SenmlRecord], handler: SerializerFunctionWrapHandler
    ) -> Any:
        # As the router writes them: fields without a value are left out, not null.
        return [{k: v for k, v in r.items() if v is not None} for r in handler(records)]
