"""The registry's rules for Kafka and MQTT destination configs (422 naming the field)."""

from typing import Any

import pytest

from senflow.common.events import KafkaTopicConfig, MqttConfig
from senflow.registry.domain import destination_rules
from senflow.registry.errors import InvalidField

EXTERNAL: dict[str, Any] = {"topic": "acme.readings", "bootstrap": "kafka.acme.example:9093"}
SASL: dict[str, Any] = {
    **EXTERNAL,
    "security_protocol": "SASL_SSL",
    "sasl_mechanism": "SCRAM-SHA-512",
    "sasl_username": "writer",
}


def _kafka(secret_given: bool = False, secret_stored: bool = False, **config: Any) -> None:
    destination_rules.kafka_config(KafkaTopicConfig(**config), secret_given, secret_stored)


@pytest.mark.parametrize(
    "config",
    [
        {"topic": "acme.readings"},
        {"topic": "acme.readings", "key_template": "{customer_id}:{device_id}"},
        {"topic": "acme.readings", "key_template": ""},
        {**EXTERNAL, "security_protocol": "SSL"},
        {**EXTERNAL, "bootstrap": "[2001:db8::1]:9092, 10.0.0.1:9092"},
    ],
)
def test_kafka_config_is_accepted_when_valid(config: dict[str, Any]) -> None:
    _kafka(**config)


def test_sasl_config_is_accepted_with_a_password_given_now_or_before() -> None:
    _kafka(secret_given=True, **SASL)
    _kafka(secret_stored=True, **SASL)


@pytest.mark.parametrize(
    "topic", ["senflow.deliveries.v1", "senflow.registry.destinations.v1", "__consumer_offsets"]
)
@pytest.mark.parametrize("bootstrap", [None, "kafka.acme.example:9093"])
def test_platform_topics_are_refused_on_config_topic(topic: str, bootstrap: str | None) -> None:
    with pytest.raises(InvalidField) as err:
        _kafka(topic=topic, bootstrap=bootstrap)
    assert err.value.field == "config.topic"
    assert err.value.status == 422


@pytest.mark.parametrize(
    ("config", "secret_given", "field", "reason"),
    [
        ({"topic": "t", "key_template": "{device}"}, False, "config.key_template", "{device}"),
        ({"topic": "t", "key_template": "{device_id:>9}"}, False, "config.key_template", "spec"),
        (
            {"topic": "t", "security_protocol": "SSL"},
            False,
            "config.security_protocol",
            "bootstrap",
        ),
        ({"topic": "t", "sasl_username": "u"}, False, "config.sasl_username", "platform"),
        ({"topic": "t"}, True, "secret", "no password"),
        ({**EXTERNAL, "bootstrap": "kafka.acme.example"}, False, "config.bootstrap", "host:port"),
        ({**EXTERNAL, "bootstrap": "http://k:9092"}, False, "config.bootstrap", "host:port"),
        ({**EXTERNAL, "bootstrap": "k:99999"}, False, "config.bootstrap", "host:port"),
        ({**EXTERNAL, "sasl_mechanism": "PLAIN"}, False, "config.sasl_mechanism", "SASL_"),
        ({**EXTERNAL, "security_protocol": "SSL"}, True, "secret", "takes none"),
        ({**SASL, "sasl_mechanism": None}, True, "config.sasl_mechanism", "required"),
        ({**SASL, "sasl_username": None}, True, "config.sasl_username", "required"),
        (SASL, False, "secret", "SASL password"),
    ],
)
def test_kafka_config_is_refused_with_the_field_at_fault(
    config: dict[str, Any], secret_given: bool, field: str, reason: str
) -> None:
    with pytest.raises(InvalidField) as err:
        _kafka(secret_given, **config)
    assert err.value.field == field
    assert reason in err.value.reason


@pytest.mark.parametrize(
    ("config", "secret_given", "field"),
    [
        ({"host": "mqtt://broker.example", "topic": "a/b"}, False, "config.host"),
        ({"host": "broker.example:8883", "topic": "a/b"}, False, "config.host"),
        ({"host": "broker.example", "topic": "a/+/b"}, False, "config.topic"),
        ({"host": "broker.example", "topic": "a/#"}, False, "config.topic"),
        ({"host": "broker.example", "topic": "$SYS/x"}, False, "config.topic"),
        ({"host": "broker.example", "topic": "a/b"}, True, "config.username"),
    ],
)
def test_mqtt_config_is_refused_with_the_field_at_fault(
    config: dict[str, Any], secret_given: bool, field: str
) -> None:
    with pytest.raises(InvalidField) as err:
        destination_rules.mqtt_config(MqttConfig(**config), secret_given)
    assert err.value.field == field


@pytest.mark.parametrize("host", ["broker.example", "10.0.0.7", "2001:db8::7"])
def test_mqtt_config_is_accepted_when_valid(host: str) -> None:
    destination_rules.mqtt_config(MqttConfig(host=host, topic="acme/readings", username="u"), True)
