"""SenML (RFC 8428) records as the platform emits them."""

from typing import Annotated

from pydantic import Field

from senflow.common.contract import Contract


class SenmlRecord(Contract):
    """One SenML record; base fields may appear in any record (RFC 8428 §4.6)."""

    bn: Annotated[str | None, Field(description="Base name")] = None
    bt: Annotated[float | None, Field(description="Base time, epoch seconds")] = None
    bu: Annotated[str | None, Field(description="Base unit")] = None
    bv: Annotated[float | None, Field(description="Base value")] = None
    n: Annotated[str | None, Field(description="Name")] = None
    u: Annotated[str | None, Field(description="Unit")] = None
    v: Annotated[int | float | None, Field(description="Numeric value")] = None
    vs: Annotated[str | None, Field(description="String value")] = None
    vb: Annotated[bool | None, Field(description="Boolean value")] = None
    vd: Annotated[str | None, Field(description="Data value, base64")] = None
    s: Annotated[float | None, Field(description="Sum")] = None
    t: Annotated[float | None, Field(description="Time, relative to bt")] = None
    ut: Annotated[float | None, Field(description="Update time")] = None


SenmlPack = tuple[SenmlRecord, ...]


# The URN scheme of each network type's identifier (RFC 9039 where one exists).
URN_SCHEMES: dict[str, str] = {
    "KPNLORA": "DEVEUI",
    "M2M": "IMEI",
    "INTERNET": "DVNUUID",
    "MQTT": "MQTT",
}


def device_urn(network_scheme: str, identifier: str) -> str:
    """The SenML base name of a device: `urn:dev:<SCHEME>:<ID>:` (trailing colon included)."""
    return f"urn:dev:{network_scheme}:{identifier}:"


def network_urn(network_type: str, identifier: str) -> str:
    """The SenML base name of the device with this identifier on this network type."""
    return device_urn(URN_SCHEMES[network_type], identifier)
