"""The MQTT bridge's mapping: a device's message becomes a `DeviceUplink` record, anything
else a dead letter with its cause. Table-driven, no broker, no Kafka."""

import base64
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from senflow.common import headers as h
from senflow.common import topics
from senflow.common.serde import loads
from senflow.common.uplinks import MAX_DIRECT_PAYLOAD_BYTES, DeviceUplink
from senflow.router.mqtt_bridge.errors import BridgeBug
from senflow.router.mqtt_bridge.mapping import OutboundRecord, dead_letter, subscription, to_record
from senflow.router.mqtt_bridge.settings import MqttBridgeSettings

PREFIX = "senflow/devices"
AT = datetime(2026, 11, 25, 10, 32, 30, 500000, tzinfo=UTC)
MESSAGE_ID = "5b0c7a52-9f7e-4d0b-8a59-2b1f4f0d6a11"
SENML = b'[{"n":"temperature","u":"Cel","v":21.5}]'


def _map(
    topic: str, payload: bytes = SENML, content_type: str | None = None, prefix: str = PREFIX
) -> OutboundRecord:
    return to_record(
        topic, payload, content_type, topic_prefix=prefix, received_at=AT, message_id=MESSAGE_ID
    )


@pytest.mark.parametrize(
    ("topic", "prefix", "client_id"),
    [
        ("senflow/devices/sensor-1/up", PREFIX, "sensor-1"),
        ("senflow/devices/A.b_c:d-9/up", PREFIX, "A.b_c:d-9"),
        (f"senflow/devices/{'x' * 128}/up", PREFIX, "x" * 128),
        ("acme/things/m1/up", "acme/things", "m1"),
        ("iot/m1/up", "iot", "m1"),
    ],
)
def test_message_becomes_a_device_uplink_when_its_topic_names_a_valid_client_id(
    topic: str, prefix: str, client_id: str
) -> None:
    record = _map(topic, prefix=prefix)

    assert record.topic == topics.UPLINKS_RAW_DEVICE
    assert record.dead_letter_reason is None
    assert record.key == f"MQTT:{client_id}".encode()
    assert h.decode_headers(record.headers) == {h.MESSAGE_ID: MESSAGE_ID}
    uplink = loads(DeviceUplink, record.value)
    assert uplink == DeviceUplink(
        network_type="MQTT",
        identifier=client_id,
        payload_base64=base64.b64encode(SENML).decode(),
        content_type=None,
        received_at=AT,
        source=topic,
    )
    assert uplink.payload == SENML
    assert record.key == uplink.key


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        (None, None),
        ("application/senml+json", "application/senml+json"),
        ("application/senml+cbor", "application/senml+cbor"),
    ],
)
def test_uplink_carries_the_mqtt5_content_type_when_the_device_gave_one(
    content_type: str | None, expected: str | None
) -> None:
    record = _map("senflow/devices/m1/up", content_type=content_type)
    assert loads(DeviceUplink, record.value).content_type == expected


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", None),  # an empty uplink is still an uplink; the decoder judges it
        (b"\x00\xff" * (MAX_DIRECT_PAYLOAD_BYTES // 2), None),  # exactly the limit
        (b"x" * (MAX_DIRECT_PAYLOAD_BYTES + 1), "payload-too-large"),
        (b"x" * (5 * MAX_DIRECT_PAYLOAD_BYTES), "payload-too-large"),
    ],
)
def test_payload_over_the_limit_is_dead_lettered_with_its_first_bytes(
    payload: bytes, reason: str | None
) -> None:
    record = _map("senflow/devices/m1/up", payload=payload)
    assert record.dead_letter_reason == reason
    if reason is None:
        assert loads(DeviceUplink, record.value).payload == payload
    else:
        assert record.topic == topics.UPLINKS_DEADLETTER
        assert record.value == payload[:MAX_DIRECT_PAYLOAD_BYTES]
        assert str(len(payload)) in h.decode_headers(record.headers)[h.DLQ_DETAIL]


@pytest.mark.parametrize(
    ("topic", "detail"),
    [
        ("senflow/devices/bad id!/up", "client id 'bad id!'"),
        ("senflow/devices//up", "client id ''"),
        (f"senflow/devices/{'x' * 129}/up", "client id"),
        ("senflow/devices/caf\u00e9/up", "client id"),
        ("senflow/devices/m1/down", "is not senflow/devices/<client id>/up"),
        ("senflow/devices/m1/up/extra", "is not senflow/devices/<client id>/up"),
        ("senflow/devices/a/b/up", "is not senflow/devices/<client id>/up"),
        ("senflow/devices/m1", "is not senflow/devices/<client id>/up"),
        ("senflow/devices/up", "is not senflow/devices/<client id>/up"),
        ("other/devices/m1/up", "is not senflow/devices/<client id>/up"),
        ("senflow/devicesX/m1/up", "is not senflow/devices/<client id>/up"),
    ],
)
def test_message_is_dead_lettered_when_its_topic_is_invalid(topic: str, detail: str) -> None:
    record = _map(topic)

    assert record.topic == topics.UPLINKS_DEADLETTER
    assert record.dead_letter_reason == "invalid-mqtt-topic"
    assert record.key == topic.encode()
    assert record.value == SENML  # the payload, unchanged
    headers = h.decode_headers(record.headers)
    assert headers[h.DLQ_REASON] == "invalid-mqtt-topic"
    assert detail in headers[h.DLQ_DETAIL]
    assert headers[h.DLQ_SOURCE] == f"mqtt:{topic}"
    assert headers[h.MESSAGE_ID] == MESSAGE_ID


def test_invalid_topic_is_reported_before_the_size_when_both_are_wrong() -> None:
    record = _map("senflow/devices/bad id!/up", payload=b"x" * (MAX_DIRECT_PAYLOAD_BYTES + 1))
    assert record.dead_letter_reason == "invalid-mqtt-topic"


def test_content_type_the_contract_cannot_hold_is_dead_lettered_when_too_long() -> None:
    record = _map("senflow/devices/m1/up", content_type="x" * 201)
    assert record.dead_letter_reason == "invalid-uplink"
    assert "content_type" in h.decode_headers(record.headers)[h.DLQ_DETAIL]


def test_dead_letter_headers_stay_bounded_when_the_topic_is_huge() -> None:
    topic = "senflow/devices/" + "y" * 60_000 + "/up"
    headers = h.decode_headers(_map(topic).headers)
    assert len(headers[h.DLQ_SOURCE]) == 1000
    assert len(headers[h.DLQ_DETAIL]) <= 1000


def test_unexpected_failure_becomes_an_internal_error_dead_letter() -> None:
    record = dead_letter("senflow/devices/m1/up", SENML, MESSAGE_ID, BridgeBug("KeyError('x')"))
    assert record.dead_letter_reason == "internal-error"
    assert h.decode_headers(record.headers)[h.DLQ_DETAIL] == "KeyError('x')"


def test_subscription_takes_one_level_under_the_prefix() -> None:
    assert subscription(PREFIX) == "senflow/devices/+/up"


@pytest.mark.parametrize(
    "prefix", ["", "/senflow", "senflow/", "senflow/+", "senflow/#", "a//b", "$SYS/x", "p" * 161]
)
def test_settings_refuse_a_topic_prefix_when_it_is_no_plain_topic(
    prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SENFLOW_SECRETS_KEY", base64.urlsafe_b64encode(b"k" * 32).decode())
    monkeypatch.setenv("MQTT_BRIDGE_TOPIC_PREFIX", prefix)
    with pytest.raises(ValidationError, match="topic_prefix"):
        MqttBridgeSettings()


def test_settings_defaults_when_only_the_platform_key_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SENFLOW_SECRETS_KEY", base64.urlsafe_b64encode(b"k" * 32).decode())
    settings = MqttBridgeSettings()
    assert (settings.broker_host, settings.broker_port) == ("127.0.0.1", 1883)
    assert (settings.client_id, settings.topic_prefix) == ("senflow-mqtt-bridge", PREFIX)
    assert settings.http_port == 8083
    assert not settings.tls
