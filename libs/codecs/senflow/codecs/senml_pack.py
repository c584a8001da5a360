"""`› SenML pass-through`: the payload (LoRa, or posted by the device) is a SenML pack,
validated and normalised.

The payload is SenML JSON when it starts with `[` (leading whitespace allowed), otherwise
SenML CBOR with the integer labels of RFC 8428 §6 (string keys pass through as labels).
The pack is then resolved into the canonical form of `senml_normalise`, with the device
URN as the default base name and the receive time as "now".

Stricter than a plain parser on purpose: duplicate keys in a record, NaN/Infinity, trailing
bytes after the CBOR pack and unknown integer CBOR labels (RFC 8428 §6 says the table is
conclusive) are errors. A CBOR `vd` must be a byte string; it becomes base64url text.
"""

import base64
import io
import json
from collections.abc import Mapping
from decimal import Decimal

import cbor2

from senflow.codecs.base import DecodeContext, DecodeInput, Decoder
from senflow.codecs.senml_normalise import normalise
from senflow.common.senml import SenmlRecord

SENML_CBOR_LABELS: Mapping[int, str] = {
    -1: "bver",
    -2: "bn",
    -3: "bt",
    -4: "bu",
    -5: "bv",
    -6: "bs",
    0: "n",
    1: "u",
    2: "v",
    3: "vs",
    4: "vb",
    5: "s",
    6: "t",
    7: "ut",
    8: "vd",
}


def parse_pack(
    payload: bytes, cbor_labels: Mapping[int, str] = SENML_CBOR_LABELS
) -> list[dict[str, object]]:
    """The records of a SenML JSON or CBOR pack, with text labels; structure only."""
    if not payload:
        raise ValueError("empty payload: no SenML pack")
    if payload.lstrip()[:1] == b"[":
        return _json_pack(payload)
    return _cbor_pack(payload, cbor_labels)


def _json_pack(payload: bytes) -> list[dict[str, object]]:
    try:
        pack = json.loads(payload, object_pairs_hook=_unique, parse_constant=_no_constant)
    except ValueError as err:  # also JSONDecodeError and UnicodeDecodeError
        raise ValueError(f"not a SenML JSON pack: {err}") from err
    if not isinstance(pack, list) or not all(isinstance(r, dict) for r in pack):
        raise ValueError("a SenML JSON pack is an array of objects")
    return pack


def _unique(pairs: list[tuple[str, object]]) -> dict[str, object]:
    record = dict(pairs)
    if len(record) != len(pairs):
        raise ValueError(f"duplicate label in {[label for label, _ in pairs]}")
    return record


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a SenML number")


def _cbor_pack(payload: bytes, labels: Mapping[int, str]) -> list[dict[str, object]]:
    stream = io.BytesIO(payload)
    # read_size=1 so that the stream position tells where the pack ended.
    decoder = cbor2.CBORDecoder(stream, read_size=1, allow_duplicate_keys=False)
    try:
        pack = decoder.decode()
    except cbor2.CBORDecodeError as err:
        raise ValueError(f"not a SenML CBOR pack: {err}") from err
    if stream.tell() != len(payload):
        raise ValueError(f"not a SenML CBOR pack: {len(payload) - stream.tell()} trailing bytes")
    if not isinstance(pack, list):
        raise ValueError("a SenML CBOR pack is an array of maps")
    return [_cbor_record(index, record, labels) for index, record in enumerate(pack)]


def _cbor_record(index: int, record: object, labels: Mapping[int, str]) -> dict[str, object]:
    if not isinstance(record, Mapping):
        raise ValueError(f"record {index}: not a map")
    out: dict[str, object] = {}
    for key, value in record.items():
        label = labels.get(key) if type(key) is int else key
        if not isinstance(label, str):
            raise ValueError(f"record {index}, field {key!r}: unknown CBOR label")
        if label in out:
            raise ValueError(f"record {index}, field {label!r}: given twice")
        out[label] = _cbor_value(index, label, value)
    return out


def _cbor_value(index: int, label: str, value: object) -> object:
    if label == "vd":
        if not isinstance(value, bytes):
            raise ValueError(f"record {index}, field 'vd': must be a byte string")
        return base64.urlsafe_b64encode(value).rstrip(b"=").decode("ascii")
    if isinstance(value, Decimal):  # CBOR tag 4, a decimal fraction (RFC 8428 §6)
        return float(value)
    return value


def decode(uplink: DecodeInput, ctx: DecodeContext) -> tuple[SenmlRecord, ...]:
    records = parse_pack(uplink.payload)
    return normalise(records, ctx.device_urn, uplink.received_at.timestamp())


SENML = Decoder(id="senml", version=1, name="› SenML pass-through", decode=decode)
