"""Bodies of the catalogue resources."""

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from senflow.common.events import (
    NetworkType,
)
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
