"""Bodies of the flows resources."""

from typing import Annotated

from pydantic import ConfigDict, Field

from senflow.registry.entrypoints.api.schemas.common import (
    EXAMPLE_DESTINATION_ID,
    EXAMPLE_DEVICE_IDS,
    EXAMPLE_PROJECT_ID,
    KEEP,
    Body,
    Description,
    Name,
    Out,
    Version,
)


class FlowIn(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "project_id": EXAMPLE_PROJECT_ID,
                    "name": "Meters to billing",
                    "description": "Every meter reading to the billing webhook",
                    "device_ids": EXAMPLE_DEVICE_IDS,
                    "destination_ids": [EXAMPLE_DESTINATION_ID],
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

    name: Annotated[Name | None, Field(description="New display name" + KEEP)] = None
    description: Annotated[Description | None, Field(description="New description" + KEEP)] = None
    enabled: Annotated[bool | None, Field(description="false: the flow routes nothing" + KEEP)] = (
        None
    )
    decoder_ids: Annotated[list[str] | None, Field(description="Replaces the decoders" + KEEP)] = (
        None
    )
    encoder_ids: Annotated[list[str] | None, Field(description="Replaces the encoders" + KEEP)] = (
        None
    )


class MembersIn(Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"add": [EXAMPLE_DEVICE_IDS[1]], "remove": [EXAMPLE_DEVICE_IDS[0]]}]
        }
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
