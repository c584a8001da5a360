"""What every request and response body shares: base classes, field types, examples."""

from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict, JsonValue

Name = Annotated[str, Field(min_length=1, max_length=200, description="Display name")]
Description = Annotated[str, Field(max_length=2000, description="Free text")]
Version = Annotated[int, Field(description="Increases with every change; the ETag")]
Tags = Annotated[
    dict[str, str],
    Field(max_length=50, description="Free key/value labels", examples=[{"site": "Utrecht"}]),
]
T = TypeVar("T")

KEEP = "; null or absent keeps the current value"
# Realistic example values, shared by the model examples below.
EXAMPLE_CUSTOMER_ID = "3f6c1e2a-8b4d-4c7e-9a15-2d8f0b6e4c31"
EXAMPLE_PROJECT_ID = "9b2e4f70-1c3a-4d5e-8f60-7a1b2c3d4e5f"
EXAMPLE_DEVICE_IDS: list[JsonValue] = [
    "5d0c9a8b-7e6f-4a3b-9c2d-1e0f9a8b7c6d",
    "c4b3a2d1-0e9f-4d8c-a7b6-5f4e3d2c1b0a",
]
EXAMPLE_DESTINATION_ID = "e1d2c3b4-a5f6-4e7d-8c9b-0a1f2e3d4c5b"
EXAMPLE_LORA: JsonDict = {
    "dev_eui": "0123456789ABCDEF",
    "join_eui": "70B3D57ED0000000",
    "app_key": "2B7E151628AED2A6ABF7158809CF4F3C",
}
EXAMPLE_DEVICE: JsonDict = {
    "name": "Meter 42",
    "specification_id": "own-lora",
    "barcode": "WM-2024-000042",
    "description": "Basement, Oudegracht 42",
    "tags": {"site": "Utrecht"},
    "network_info": {"KPNLORA": EXAMPLE_LORA},
}


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(extra="ignore")


class PageOut(Out, Generic[T]):
    items: Annotated[list[T], Field(description="This page's items, in the requested order")]
    next_cursor: Annotated[
        str | None, Field(description="Pass as `cursor` for the next page; null on the last")
    ]
