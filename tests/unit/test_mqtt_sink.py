"""The MQTT sink's failure classes, publish properties, TLS and egress check; the
publishing itself is covered against Mosquitto in tests/e2e/dispatcher/test_mqtt_sink.py."""

import ssl
from ipaddress import ip_network

import aiomqtt
import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode

from senflow.common.events import MqttConfig
from senflow.dispatcher.egress import EgressPolicy
from senflow.dispatcher.errors import EgressRefused
from senflow.dispatcher.sinks.mqtt import (
    MqttSink,
    connect_refused,
    connection_failure,
    publish_properties,
    verified_tls,
)
from tests.support.deliveries import SECRETS_KEY, a_delivery, a_destination


def _connack(name: str) -> aiomqtt.MqttCodeError:
    return aiomqtt.MqttCodeError(ReasonCode(PacketTypes.CONNACK, aName=name))


@pytest.mark.parametrize(
    "name",
    [
        "Bad user name or password",
        "Not authorized",
        "Banned",
        "Client identifier not valid",
        "Unsupported protocol version",
    ],
)
def test_connack_refusal_is_dead_lettered_when_the_broker_will_not_change_its_mind(
    name: str,
) -> None:
    failed = connect_refused(_connack(name))
    assert (failed.reason, failed.retriable) == ("mqtt-refused", False)
    assert name in failed.detail


@pytest.mark.parametrize(
    "name", ["Server unavailable", "Server busy", "Quota exceeded", "Connection rate exceeded"]
)
def test_connack_refusal_is_retried_when_the_broker_says_later(name: str) -> None:
    failed = connect_refused(_connack(name))
    assert (failed.reason, failed.retriable) == ("connection-failed", True)


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("Operation timed out", "timeout"),
        ("timed out", "timeout"),
        ("[Errno 111] Connection refused", "connection-failed"),
        ("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed", "connection-failed"),
    ],
)
def test_connection_failure_is_retried_with_its_reason(message: str, reason: str) -> None:
    failed = connection_failure(aiomqtt.MqttError(message))
    assert (failed.reason, failed.retriable, failed.detail) == (reason, True, message)


def test_publish_carries_message_and_delivery_ids_as_user_properties() -> None:
    props = publish_properties(a_delivery())
    # paho's Properties set their attributes dynamically
    assert props.ContentType == "application/json"  # type: ignore[attr-defined]
    assert props.UserProperty == [  # type: ignore[attr-defined]
        ("senflow-message-id", "m-1"),
        ("senflow-delivery-id", "m-1-to-e1d2c3b4-a5f6-4e7d-8c9b-0a1f2e3d4c5b"),
    ]


def test_tls_verifies_the_broker_name_and_chain() -> None:
    context = verified_tls("mqtt.example.com")
    assert context.check_hostname
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.hostname == "mqtt.example.com"  # type: ignore[attr-defined]


async def test_broker_is_refused_before_connecting_when_it_resolves_internal() -> None:
    sink = MqttSink(SECRETS_KEY, EgressPolicy((ip_network("127.0.0.1/32"),)), timeout_s=1.0)
    cfg = MqttConfig(host="127.0.0.2", port=1883, tls=False, topic="acme/readings")
    with pytest.raises(EgressRefused, match="127.0.0.2"):
        await sink.deliver(a_delivery(), a_destination("mqtt", cfg), 1)
    await sink.stop()
    await sink.stop()  # idempotent
