"""What the ingest checks in a device's request, before anything reaches Kafka. Pure.

A device identifies itself by the base name of its pack's first record, as in KPN Things:
`urn:dev:DVNUUID:<uuid>:` (Internet) or `urn:dev:IMEI:<imei>:` (M2M), and proves it with
`Things-Message-Token = hex(sha256(body bytes + shared secret))`. Every `bn` in the pack
must lie under that device's URN, so an authenticated device cannot speak for another.
"""

import uuid
from datetime import datetime

from senflow.codecs.senml_normalise import normalise
from senflow.codecs.senml_pack import parse_pack
from senflow.common.senml import URN_SCHEMES, network_urn
from senflow.common.uplinks import DirectNetworkType

# Media types the SenML ingest accepts (RFC 8428 §12); none given means JSON.
JSON_TYPES = frozenset({"application/senml+json", "application/json"})
CBOR_TYPES = frozenset({"application/senml+cbor", "application/cbor"})


class BadPack(ValueError):
    """The request is malformed; the message says what to fix (400)."""


def identify(network_type: DirectNetworkType, body: bytes) -> str:
    """The device identifier in the pack's first `bn`, in the registry's canonical form."""
    try:
        records = parse_pack(body)
    except (ValueError, RecursionError) as err:
        raise BadPack(f"not a SenML pack: {err}") from err
    if not records:
        raise BadPack("empty SenML pack")
    base_name = records[0].get("bn")
    scheme = URN_SCHEMES[network_type]
    prefix = f"urn:dev:{scheme}:"
    wanted = f"the first record's bn must be {prefix}<id>:"
    if not isinstance(base_name, str) or not base_name.startswith(prefix):
        raise BadPack(wanted)
    identifier, colon, _ = base_name[len(prefix) :].partition(":")
    if not colon or not identifier:
        raise BadPack(wanted)
    if network_type == "INTERNET":
        try:
            return str(uuid.UUID(identifier))
        except ValueError as err:
            raise BadPack("the DvnUUID in bn is not a UUID") from err
    if not (len(identifier) == 15 and identifier.isdigit()):
        raise BadPack("the IMEI in bn must be 15 digits")
    return identifier


def check_pack(
    network_type: DirectNetworkType, identifier: str, body: bytes, received_at: datetime
) -> None:
    """A `BadPack` unless the pack is valid SenML (RFC 8428) entirely under the device's URN."""
    urn = network_urn(network_type, identifier)
    try:
        records = parse_pack(body)
        resolved = normalise(records, urn, received_at.timestamp())
    except (ValueError, RecursionError) as err:
        raise BadPack(f"invalid SenML: {err}") from err
    for index, record in enumerate(resolved):
        # Case-insensitive: the URN's identifier may be written in either case.
        if record.bn is not None and not record.bn.lower().startswith(urn.lower()):
            raise BadPack(f"record {index}: bn must start with {urn}")
