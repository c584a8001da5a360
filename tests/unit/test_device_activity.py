"""Adding up a batch of raw uplink records into device activity: per sender, then per
device; the next offset of every partition read; malformed records and unknown senders
skipped with their reason. Pure: no Kafka, no database."""

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from senflow.common import topics
from senflow.common.errors import ContractError
from senflow.registry.adapters.activity_recorder import _add
from senflow.registry.domain.device_activity import (
    INTERNAL_ERROR,
    INVALID_UPLINK,
    MAX_CLOCK_AHEAD,
    ActivityBatch,
    Tally,
    sender_of,
)

LORA = topics.UPLINKS_RAW_LORA
DEVICE = topics.UPLINKS_RAW_DEVICE
T0 = datetime(2026, 11, 25, 10, 32, 30, 500000, tzinfo=UTC)
DVN_UUID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"


def ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def lora(dev_eui: str, received_at: datetime, **extra: Any) -> bytes:
    body = {"dev_eui": dev_eui, "f_port": 2, "f_cnt_up": 1, "payload_hex": "01A2"}
    return json.dumps({**body, "received_at": received_at.isoformat(), **extra}).encode()


def direct(network_type: str, identifier: str, received_at: datetime) -> bytes:
    body = {
        "network_type": network_type,
        "identifier": identifier,
        "payload_base64": base64.b64encode(b"[]").decode(),
        "received_at": received_at.isoformat(),
    }
    return json.dumps(body).encode()


def test_a_lora_uplink_names_its_device_by_the_upper_case_dev_eui() -> None:
    sender, received_at = sender_of(LORA, lora("0123456789abcdef", T0))
    assert sender == ("KPNLORA", "0123456789ABCDEF")
    assert received_at == T0


def test_a_device_uplink_names_its_device_by_network_type_and_identifier() -> None:
    assert sender_of(DEVICE, direct("INTERNET", DVN_UUID, T0)) == (("INTERNET", DVN_UUID), T0)
    assert sender_of(DEVICE, direct("MQTT", "meter-42", T0))[0] == ("MQTT", "meter-42")


@pytest.mark.parametrize(
    ("topic", "value"),
    [
        (LORA, b"not json"),
        (LORA, None),
        (LORA, lora("0123", T0)),
        (LORA, lora("0123456789ABCDEF", T0, unknown_field=1)),
        (DEVICE, direct("KPNLORA", "x", T0)),
        (DEVICE, lora("0123456789ABCDEF", T0)),
        ("senflow.deliveries.v1", lora("0123456789ABCDEF", T0)),
    ],
)
def test_sender_of_refuses_what_is_not_an_uplink_of_its_topic(
    topic: str, value: bytes | None
) -> None:
    with pytest.raises(ContractError):
        sender_of(topic, value)


def test_a_batch_adds_up_uplinks_per_sender_with_the_latest_receive_time() -> None:
    batch = ActivityBatch()
    for offset, at in enumerate((T0, T0 + timedelta(seconds=5), T0 + timedelta(seconds=2))):
        batch.add(LORA, 3, 100 + offset, ms(at), lora("0123456789ABCDEF", at))
    batch.add(LORA, 3, 103, ms(T0), lora("FEDCBA9876543210", T0))
    batch.add(DEVICE, 0, 7, ms(T0), direct("INTERNET", DVN_UUID, T0))

    assert batch.senders == {
        ("KPNLORA", "0123456789ABCDEF"): Tally(3, T0 + timedelta(seconds=5)),
        ("KPNLORA", "FEDCBA9876543210"): Tally(1, T0),
        ("INTERNET", DVN_UUID): Tally(1, T0),
    }
    assert batch.records == 5
    assert not batch.skipped


def test_a_batch_moves_past_every_record_it_read_skipped_ones_included() -> None:
    batch = ActivityBatch()
    batch.add(LORA, 0, 10, ms(T0), lora("0123456789ABCDEF", T0))
    batch.add(LORA, 0, 11, ms(T0), b"{broken")
    batch.add(LORA, 5, 0, ms(T0), lora("0123456789ABCDEF", T0))
    batch.add(DEVICE, 5, 41, ms(T0), None)

    assert batch.next_offsets == {(LORA, 0): 12, (LORA, 5): 1, (DEVICE, 5): 42}
    assert batch.skipped == {INVALID_UPLINK: 2}
    assert batch.records == 4


def test_a_batch_knows_the_kafka_time_of_its_newest_record() -> None:
    batch = ActivityBatch()
    assert batch.newest_timestamp_ms is None
    batch.add(LORA, 0, 1, 2_000, lora("0123456789ABCDEF", T0))
    batch.add(LORA, 1, 1, 1_000, b"junk")
    assert batch.newest_timestamp_ms == 2_000


def test_per_device_folds_senders_into_devices_and_counts_the_unknown_ones() -> None:
    batch = ActivityBatch()
    later = T0 + timedelta(minutes=1)
    batch.add(LORA, 0, 0, ms(T0), lora("0123456789ABCDEF", T0))
    batch.add(LORA, 0, 1, ms(T0), lora("0123456789ABCDEF", T0))
    batch.add(DEVICE, 1, 0, ms(later), direct("INTERNET", DVN_UUID, later))
    batch.add(LORA, 2, 0, ms(T0), lora("AAAAAAAAAAAAAAAA", T0))
    batch.add(LORA, 2, 1, ms(T0), lora("AAAAAAAAAAAAAAAA", T0))
    batch.add(LORA, 2, 2, ms(T0), lora("AAAAAAAAAAAAAAAA", T0))
    # One device with two identities (LoRa and Internet): both count for it.
    devices = {("KPNLORA", "0123456789ABCDEF"): "dev-1", ("INTERNET", DVN_UUID): "dev-1"}

    tallies, unknown = batch.per_device(devices)

    assert tallies == {"dev-1": Tally(3, later)}
    assert unknown == 3
    assert batch.per_device(devices) == (tallies, unknown), "resolving again changes nothing"


def test_a_receive_time_far_ahead_of_kafka_counts_as_the_record_time() -> None:
    stored_at = T0
    batch = ActivityBatch()
    ahead = stored_at + MAX_CLOCK_AHEAD + timedelta(seconds=1)
    batch.add(LORA, 0, 0, ms(stored_at), lora("0123456789ABCDEF", ahead))
    slightly_ahead = stored_at + timedelta(seconds=3)
    batch.add(LORA, 0, 1, ms(stored_at), lora("FEDCBA9876543210", slightly_ahead))

    assert batch.senders[("KPNLORA", "0123456789ABCDEF")] == Tally(1, stored_at)
    assert batch.senders[("KPNLORA", "FEDCBA9876543210")] == Tally(1, slightly_ahead)


class _Record:
    def __init__(self, topic: str, partition: int, offset: int, value: bytes) -> None:
        self.topic, self.partition, self.offset, self.value = topic, partition, offset, value
        self.timestamp = ms(T0)


class _FailingBatch(ActivityBatch):
    def add(self, *args: Any) -> None:
        raise RuntimeError("a bug")


def test_the_recorder_skips_a_record_the_batch_fails_on_and_goes_on() -> None:
    failing = _FailingBatch()
    _add(failing, _Record(LORA, 0, 0, lora("0123456789ABCDEF", T0)))
    assert failing.skipped == {INTERNAL_ERROR: 1}

    batch = ActivityBatch()
    _add(batch, _Record(LORA, 0, 0, lora("0123456789ABCDEF", T0)))
    assert batch.senders == {("KPNLORA", "0123456789ABCDEF"): Tally(1, T0)}
