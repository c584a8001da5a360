"""An HTTPS destination's answer to a delivery, read as a downlink command for the
delivery's device. Pure: the sink reads the answer, this decides what it asks for.

Only an answer with status 200 or 201 and `Content-Type: application/senml+json` offers a
command (any other accepted answer is a plain acknowledgement, whatever its body; so is an
empty body). Its body is the command, a SenML pack of 1 to 100 records, at most
`MAX_ANSWER_BYTES`; `Things-Message-Token` must be the hex sha256(body bytes + the
destination's shared secret): the token Senflow sends, the other way round, so only the
holder of the destination's secret can command its devices. Optional headers:
`Senflow-Downlink-Ttl` (whole seconds, 1 to 7 days) and `Senflow-Downlink-Confirmed`
(`true` or `false`, LoRa only). Anything else is refused with a `Refused` reason, and
nothing is requested.
"""

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

import orjson
from pydantic import ValidationError

from senflow.common.deliveries import Delivery
from senflow.common.downlinks import MAX_DOWNLINK_TTL_S, DownlinkCommand, DownlinkRequest
from senflow.common.message_token import TOKEN_HEADER, token_matches
from senflow.common.senml import SenmlRecord

MEDIA_TYPE = "application/senml+json"
COMMAND_STATUSES = frozenset({200, 201})
MAX_ANSWER_BYTES = 16 * 1024
TTL_HEADER = "Senflow-Downlink-Ttl"
CONFIRMED_HEADER = "Senflow-Downlink-Confirmed"

# The downlink's id (the request's) is UUIDv5(this namespace, delivery id): one per
# delivery, so the answer to a redelivered delivery asks for the same downlink again.
REQUEST_NAMESPACE = uuid.UUID("2413ec79-d31b-4ea6-b9ad-8017431c4ab1")

# Why an answer's command was refused: a bounded set (a metric label).
UNREADABLE = "unreadable"
TOO_LARGE = "too-large"
TOKEN_MISSING = "token-missing"
TOKEN_MISMATCH = "token-mismatch"
INVALID_TTL = "invalid-ttl"
INVALID_CONFIRMED = "invalid-confirmed"
INVALID_SENML = "invalid-senml"

_TTL = re.compile(r"[0-9]{1,7}")


@dataclass(frozen=True)
class Answer:
    """What the sink read of an answer that offers a command."""

    body: bytes  # at most MAX_ANSWER_BYTES + 1: one byte more says it is too large
    token: str | None = None
    ttl: str | None = None
    confirmed: str | None = None
    declared_length: int | None = None  # Content-Length, when the answer gave one
    unreadable: str | None = None  # why the body could not be read in full


@dataclass(frozen=True)
class Command:
    command: DownlinkCommand
    confirmed: bool = False
    ttl_s: int | None = None


@dataclass(frozen=True)
class Refused:
    reason: str
    detail: str  # says what is wrong, never what the body holds


def offers_command(status: int, content_type: str | None) -> bool:
    """Whether an accepted answer is to be read as a command."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return status in COMMAND_STATUSES and media_type == MEDIA_TYPE


def command_of(answer: Answer, secret: str) -> Command | Refused | None:
    """The command the answer asks for; `Refused` with why; None when its body is empty."""
    size = max(len(answer.body), answer.declared_length or 0)
    if size > MAX_ANSWER_BYTES:
        return Refused(TOO_LARGE, f"{size} bytes or more, above {MAX_ANSWER_BYTES}")
    if answer.unreadable is not None:
        return Refused(UNREADABLE, answer.unreadable)
    if not answer.body:
        return None
    if not answer.token:
        return Refused(TOKEN_MISSING, f"no {TOKEN_HEADER}")
    if not token_matches(answer.body, secret, answer.token):
        return Refused(TOKEN_MISMATCH, f"{TOKEN_HEADER} is not sha256(body + secret)")
    ttl_s = _ttl_s(answer.ttl)
    if isinstance(ttl_s, Refused):
        return ttl_s
    confirmed = _confirmed(answer.confirmed)
    if isinstance(confirmed, Refused):
        return confirmed
    command = _senml_command(answer.body)
    if isinstance(command, Refused):
        return command
    return Command(command, confirmed, ttl_s)


def request_id_of(delivery_id: str) -> str:
    return str(uuid.uuid5(REQUEST_NAMESPACE, delivery_id))


def downlink_request(delivery: Delivery, command: Command, now: datetime) -> DownlinkRequest:
    """The request for the registry: for the delivery's device, one per delivery."""
    return DownlinkRequest(
        request_id=request_id_of(delivery.delivery_id),
        customer_id=delivery.customer_id,
        device_id=delivery.device_id,
        destination_id=delivery.destination_id,
        delivery_id=delivery.delivery_id,
        command=command.command,
        confirmed=command.confirmed,
        ttl_s=command.ttl_s,
        requested_at=now,
    )


def _ttl_s(value: str | None) -> int | None | Refused:
    if value is None:
        return None
    text = value.strip()
    if _TTL.fullmatch(text) and 1 <= int(text) <= MAX_DOWNLINK_TTL_S:
        return int(text)
    return Refused(
        INVALID_TTL, f"{TTL_HEADER} must be whole seconds from 1 to {MAX_DOWNLINK_TTL_S}"
    )


def _confirmed(value: str | None) -> bool | Refused:
    if value is None:
        return False
    text = value.strip().lower()
    if text in ("true", "false"):
        return text == "true"
    return Refused(INVALID_CONFIRMED, f"{CONFIRMED_HEADER} must be true or false")


def _senml_command(body: bytes) -> DownlinkCommand | Refused:
    try:
        pack = orjson.loads(body)
    except orjson.JSONDecodeError:
        return Refused(INVALID_SENML, "the body is not JSON (UTF-8)")
    if not isinstance(pack, list):
        return Refused(INVALID_SENML, "the body is not a SenML pack (a JSON array of records)")
    try:
        return DownlinkCommand.model_validate({"senml": pack})
    except ValidationError as err:
        return Refused(INVALID_SENML, _where(err))


def _where(err: ValidationError) -> str:
    """The first error's place and kind: record number and SenML field name, never a value
    or a name the body made up."""
    first = err.errors()[0]
    place = [
        f"record {p}" if isinstance(p, int) else str(p)
        for p in first["loc"][1:]
        if isinstance(p, int) or p in SenmlRecord.model_fields
    ]
    return f"not a SenML command: {', '.join(place) or 'the pack'}: {first['type']}"
