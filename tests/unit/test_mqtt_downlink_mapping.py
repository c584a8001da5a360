"""The MQTT bridge's downlink side, pure: the device's down topic, and what a record of
`senflow.downlinks.v1` asks of the bridge."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from senflow.common.downlinks import DownlinkSnapshot
from senflow.common.errors import ContractError
from senflow.common.events import ChangeEvent
from senflow.common.serde import dumps
from senflow.router.downlink_payload import DevicePayload
from senflow.router.mqtt_bridge.downlink_mapping import (
    ExpiredDownlink,
    FailDownlink,
    PublishDownlink,
    downlink_action,
    latest_per_key,
)
from senflow.router.mqtt_bridge.errors import InvalidMqttTopic
from senflow.router.mqtt_bridge.mapping import client_id_of, downlink_topic

PREFIX = "senflow/devices"
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("prefix", "client_id", "topic"),
    [
        (PREFIX, "meter-1", "senflow/devices/meter-1/down"),
        (PREFIX, "A.b_c:d-9", "senflow/devices/A.b_c:d-9/down"),
        ("acme/things", "m1", "acme/things/m1/down"),
        ("iot", "x" * 128, f"iot/{'x' * 128}/down"),
    ],
)
def test_down_topic_is_the_prefix_the_client_id_and_down(
    prefix: str, client_id: str, topic: str
) -> None:
    assert downlink_topic(prefix, client_id) == topic


def test_down_topic_sits_beside_the_uplink_topic_of_the_same_device() -> None:
    up = "senflow/devices/meter-1/up"
    assert downlink_topic(PREFIX, client_id_of(up, PREFIX)) == "senflow/devices/meter-1/down"


@pytest.mark.parametrize("client_id", ["", "a/b", "+", "#", "bad id", "x" * 129, "caf\u00e9"])
def test_down_topic_is_refused_when_the_client_id_would_make_another_topic(
    client_id: str,
) -> None:
    with pytest.raises(InvalidMqttTopic):
        downlink_topic(PREFIX, client_id)


def record(
    status: str = "executing",
    network_type: str = "MQTT",
    identifier: str = "meter-1",
    ttl_s: float = 600,
    **fields: Any,
) -> bytes:
    snapshot = DownlinkSnapshot.model_validate(
        {
            "id": "dl-1",
            "customer_id": "cust-1",
            "device_id": "dev-1",
            "network_type": network_type,
            "identifier": identifier,
            "command": {"senml": [{"n": "interval", "v": 60}]},
            "status": status,
            "created_at": NOW,
            "expires_at": NOW + timedelta(seconds=ttl_s),
            "status_changed_at": NOW,
            **fields,
        }
    )
    return dumps(
        ChangeEvent[DownlinkSnapshot](
            event_id="e",
            event_type="DownlinkExecuting",
            entity_type="downlink",
            entity_id="dl-1",
            entity_version=2,
            customer_id="cust-1",
            occurred_at=NOW,
            snapshot=snapshot,
        )
    )


def test_executing_mqtt_downlink_is_published_to_the_devices_down_topic() -> None:
    action = downlink_action(record(), PREFIX, NOW)
    assert action == PublishDownlink(
        "dl-1",
        "dev-1",
        "senflow/devices/meter-1/down",
        DevicePayload(b'[{"n":"interval","v":60}]', "application/senml+json"),
        NOW + timedelta(seconds=600),
    )
    assert action.expiry_s(NOW + timedelta(seconds=0.5)) == 600


def test_encoded_mqtt_downlink_is_published_as_its_bytes() -> None:
    action = downlink_action(record(encoder_id="enc", payload_hex="0A0B"), PREFIX, NOW)
    assert isinstance(action, PublishDownlink)
    assert action.payload == DevicePayload(b"\x0a\x0b", "application/octet-stream")


@pytest.mark.parametrize(
    "value",
    [
        record(status="queued"),
        record(status="sent"),
        record(status="expired"),
        record(network_type="INTERNET", identifier="3f2504e0-4f89-41d3-9a0c-0305e82c3301"),
        record(network_type="KPNLORA", identifier="0123456789ABCDEF", payload_hex="01"),
        None,  # a tombstone
    ],
)
def test_record_is_nothing_for_the_bridge_when_not_an_executing_mqtt_downlink(
    value: bytes | None,
) -> None:
    assert downlink_action(value, PREFIX, NOW) is None


def test_expired_downlink_is_not_published() -> None:
    action = downlink_action(record(ttl_s=60), PREFIX, NOW + timedelta(seconds=60))
    assert action == ExpiredDownlink("dl-1", "dev-1")


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"identifier": "a/b"}, "client id 'a/b'"),
        ({"encoder_id": "enc"}, "without an encoded payload"),
    ],
)
def test_downlink_fails_when_it_cannot_be_published(fields: dict[str, Any], reason: str) -> None:
    action = downlink_action(record(**fields), PREFIX, NOW)
    assert isinstance(action, FailDownlink)
    assert reason in action.reason


@pytest.mark.parametrize("value", [b"{", orjson.dumps({"entity_type": "downlink"})])
def test_record_that_is_no_change_event_raises_a_contract_error(value: bytes) -> None:
    with pytest.raises(ContractError):
        downlink_action(value, PREFIX, NOW)


@dataclass
class Rec:
    key: bytes | None
    offset: int


def test_only_the_last_record_of_each_downlink_counts_within_a_fetch() -> None:
    records = [Rec(b"a", 0), Rec(b"b", 1), Rec(b"a", 2), Rec(None, 3), Rec(b"c", 4), Rec(b"b", 5)]
    assert [r.offset for r in latest_per_key(records)] == [2, 3, 4, 5]
