"""The base every wire contract derives from: frozen, strict about unknown fields."""

from pydantic import BaseModel, ConfigDict


class Contract(BaseModel):
    """A record on the wire. Frozen, and an unknown field is an error, not ignored."""

    model_config = ConfigDict(frozen=True, extra="forbid")
