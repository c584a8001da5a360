"""Uplink message ids: kept when given, derived stably from the record otherwise."""

from types import SimpleNamespace

from senflow.router.app import message_id_of


def _event(offset: int, timestamp: float, headers: dict[str, bytes] | None = None) -> object:
    message = SimpleNamespace(topic="t", partition=3, offset=offset, timestamp=timestamp)
    return SimpleNamespace(headers=headers or {}, message=message)


def test_given_message_id_is_kept() -> None:
    event = _event(1, 1.0, {"senflow-message-id": b"from-upstream"})
    assert message_id_of(event) == "from-upstream"


def test_derived_id_is_the_same_when_the_record_is_reprocessed() -> None:
    assert message_id_of(_event(7, 1700000000.5)) == message_id_of(_event(7, 1700000000.5))


def test_derived_id_differs_when_a_recreated_topic_reuses_the_offset() -> None:
    assert message_id_of(_event(7, 1700000000.5)) != message_id_of(_event(7, 1700000100.0))
    assert message_id_of(_event(7, 1700000000.5)) != message_id_of(_event(8, 1700000000.5))
