"""Bodies of the projects resources."""

from typing import Annotated

from pydantic import ConfigDict, Field

from senflow.registry.entrypoints.api.schemas.common import (
    KEEP,
    Body,
    Description,
    Name,
    Out,
    Version,
)


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

    name: Annotated[Name | None, Field(description="New display name" + KEEP)] = None
    description: Annotated[Description | None, Field(description="New description" + KEEP)] = None


class ProjectOut(Out):
    id: Annotated[str, Field(description="Project id (UUID)")]
    name: Annotated[str, Field(description="Display name")]
    description: Annotated[str, Field(description="Free text")]
    version: Version
