"""A destination's answer read as a downlink command: which answers offer one, the token
that proves the destination's owner wrote it, its optional headers, the SenML it must be,
and the request it makes (one per delivery)."""

import uuid
from datetime import UTC, datetime

import orjson
import pytest

from senflow.common.message_token import message_token
from senflow.dispatcher.answer_downlinks import (
    MAX_ANSWER_BYTES,
    REQUEST_NAMESPACE,
    Answer,
    Command,
    Refused,
    command_of,
    downlink_request,
    offers_command,
    request_id_of,
)
from tests.support.deliveries import a_delivery

SECRET = "Sf-4f9a2c7e1b8d3e6f0a1b2c3d4e5f6a7bAa1!"
PACK = [
    {"bn": "urn:dev:DEVEUI:0123456789ABCDEF:", "n": "payload", "vs": "0164"},
    {"n": "port", "v": 10},
]
BODY = orjson.dumps(PACK)
NOW = datetime(2026, 11, 25, 10, 33, tzinfo=UTC)


def signed(body: bytes = BODY, ttl: str | None = None, confirmed: str | None = None) -> Answer:
    return Answer(body, token=message_token(body, SECRET), ttl=ttl, confirmed=confirmed)


@pytest.mark.parametrize(
    ("status", "content_type", "offered"),
    [
        (200, "application/senml+json", True),
        (201, "application/senml+json; charset=utf-8", True),
        (200, "Application/SenML+JSON", True),
        (202, "application/senml+json", False),
        (204, "application/senml+json", False),
        (200, "application/json", False),
        (200, "text/plain", False),
        (200, None, False),
    ],
)
def test_an_answer_offers_a_command_only_when_200_or_201_and_senml_json(
    status: int, content_type: str | None, offered: bool
) -> None:
    assert offers_command(status, content_type) is offered


def test_a_signed_senml_pack_is_a_command_when_the_token_matches() -> None:
    found = command_of(signed(), SECRET)
    assert isinstance(found, Command)
    assert [r.model_dump(exclude_none=True) for r in found.command.senml or ()] == PACK
    assert (found.confirmed, found.ttl_s) == (False, None)


def test_the_token_is_accepted_in_upper_case_and_with_surrounding_spaces() -> None:
    answer = Answer(BODY, token=f"  {message_token(BODY, SECRET).upper()} ")
    assert isinstance(command_of(answer, SECRET), Command)


@pytest.mark.parametrize(
    ("ttl", "confirmed", "expected"),
    [
        ("600", "true", (True, 600)),
        (" 1 ", "FALSE", (False, 1)),
        ("604800", "True", (True, 604800)),
        (None, None, (False, None)),
    ],
)
def test_time_to_live_and_confirmation_come_from_the_answer_headers(
    ttl: str | None, confirmed: str | None, expected: tuple[bool, int | None]
) -> None:
    found = command_of(signed(ttl=ttl, confirmed=confirmed), SECRET)
    assert isinstance(found, Command)
    assert (found.confirmed, found.ttl_s) == expected


def test_an_empty_body_asks_for_nothing() -> None:
    assert command_of(Answer(b""), SECRET) is None


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (Answer(BODY), "token-missing"),
        (Answer(BODY, token=""), "token-missing"),
        (Answer(BODY, token=message_token(BODY, "another secret")), "token-mismatch"),
        (Answer(BODY, token=message_token(BODY + b" ", SECRET)), "token-mismatch"),
        (Answer(BODY, token=message_token(BODY, SECRET)[:-1]), "token-mismatch"),
        (Answer(BODY, token="zz" * 32), "token-mismatch"),
        (Answer(BODY, token="é" * 64), "token-mismatch"),
        (signed(ttl="0"), "invalid-ttl"),
        (signed(ttl="604801"), "invalid-ttl"),
        (signed(ttl="1.5"), "invalid-ttl"),
        (signed(ttl="-5"), "invalid-ttl"),
        (signed(ttl="soon"), "invalid-ttl"),
        (signed(confirmed="yes"), "invalid-confirmed"),
        (signed(confirmed="1"), "invalid-confirmed"),
        (signed(b"not json"), "invalid-senml"),
        (signed(b'{"n": "setpoint", "v": 21.5}'), "invalid-senml"),
        (signed(b"[]"), "invalid-senml"),
        (signed(orjson.dumps([{"n": "x", "v": 1}] * 101)), "invalid-senml"),
        (signed(b'[{"n": "setpoint", "v": "warm"}]'), "invalid-senml"),
        (signed(b'[{"n": "setpoint", "colour": "red"}]'), "invalid-senml"),
        (signed(b"[1, 2]"), "invalid-senml"),
        (signed(b"\xff\xfe"), "invalid-senml"),
        (signed(b"[" + b" " * MAX_ANSWER_BYTES + b"]"), "too-large"),
        (
            Answer(BODY, token=message_token(BODY, SECRET), declared_length=MAX_ANSWER_BYTES + 1),
            "too-large",
        ),
        (
            Answer(BODY[:5], unreadable="the body could not be read: TimeoutError"),
            "unreadable",
        ),
    ],
)
def test_a_command_is_refused_with_its_reason_when_the_answer_is_wrong(
    answer: Answer, reason: str
) -> None:
    found = command_of(answer, SECRET)
    assert isinstance(found, Refused)
    assert found.reason == reason


def test_a_body_at_the_limit_is_read_and_one_byte_more_is_too_large() -> None:
    record = b'{"n":"payload","vs":"01"}'
    at_limit = b"[" + b" " * (MAX_ANSWER_BYTES - len(record) - 2) + record + b"]"
    assert len(at_limit) == MAX_ANSWER_BYTES
    assert isinstance(command_of(signed(at_limit), SECRET), Command)
    found = command_of(signed(at_limit + b" "), SECRET)
    assert isinstance(found, Refused) and found.reason == "too-large"


def test_a_refusal_never_repeats_what_the_body_holds() -> None:
    body = b'[{"n": "valve", "vs": "open-sesame", "password-hunter2": 1}]'
    found = command_of(signed(body), SECRET)
    assert isinstance(found, Refused) and found.reason == "invalid-senml"
    assert "hunter2" not in found.detail and "sesame" not in found.detail
    assert found.detail == "not a SenML command: record 0: extra_forbidden"


def test_a_request_names_the_delivery_and_its_id_is_uuid5_of_the_delivery_id() -> None:
    delivery = a_delivery()
    found = command_of(signed(ttl="600", confirmed="true"), SECRET)
    assert isinstance(found, Command)
    request = downlink_request(delivery, found, NOW)
    assert request.request_id == str(uuid.uuid5(REQUEST_NAMESPACE, delivery.delivery_id))
    assert request.request_id == request_id_of(delivery.delivery_id)
    assert (request.customer_id, request.device_id) == (delivery.customer_id, delivery.device_id)
    assert (request.destination_id, request.delivery_id) == (
        delivery.destination_id,
        delivery.delivery_id,
    )
    assert (request.confirmed, request.ttl_s, request.requested_at) == (True, 600, NOW)
    assert request.command == found.command


def test_the_same_delivery_always_asks_for_the_same_downlink_and_another_for_another() -> None:
    assert request_id_of("d-1") == request_id_of("d-1")
    assert request_id_of("d-1") != request_id_of("d-2")
    assert uuid.UUID(request_id_of("d-1")).version == 5
