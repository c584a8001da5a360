"""Rules of Kafka and MQTT destination configs. Pure: a config in, `InvalidField` out.

`secret_given`: this request sets the secret; `secret_stored`: the destination has one.
"""

import re

from senflow.common import topics
from senflow.common.events import KafkaTopicConfig, MqttConfig
from senflow.common.key_templates import key_template_error
from senflow.registry.errors import InvalidField

_BOOTSTRAP_SERVER = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]{1,253}):(\d{1,5})$")
_HOST = re.compile(r"^([A-Za-z0-9.-]{1,253}|[0-9A-Fa-f:.]{2,45})$")


def kafka_config(config: KafkaTopicConfig, secret_given: bool, secret_stored: bool) -> None:
    if topics.is_reserved(config.topic):
        raise InvalidField(
            "config.topic", "senflow.* topics are the platform's own and __* Kafka's"
        )
    if (problem := key_template_error(config.key_template)) is not None:
        raise InvalidField("config.key_template", problem)
    if config.bootstrap is None:
        _no_login(config, "the platform's cluster takes no login; set config.bootstrap")
        if secret_given:
            raise InvalidField("secret", "the platform's cluster takes no password")
        return
    bootstrap_servers("config.bootstrap", config.bootstrap)
    protocol = config.security_protocol
    if not protocol.startswith("SASL_"):
        _no_login(config, f"is only for SASL_PLAINTEXT and SASL_SSL, not {protocol}")
        if secret_given:
            raise InvalidField("secret", f"is the SASL password: {protocol} takes none")
        return
    if config.sasl_mechanism is None:
        raise InvalidField("config.sasl_mechanism", f"is required with {protocol}")
    if config.sasl_username is None:
        raise InvalidField("config.sasl_username", f"is required with {protocol}")
    if not (secret_given or secret_stored):
        raise InvalidField("secret", f"is required with {protocol}: it is the SASL password")


def _no_login(config: KafkaTopicConfig, reason: str) -> None:
    if config.bootstrap is None and config.security_protocol != "PLAINTEXT":
        raise InvalidField("config.security_protocol", reason)
    if config.sasl_mechanism is not None:
        raise InvalidField("config.sasl_mechanism", reason)
    if config.sasl_username is not None:
        raise InvalidField("config.sasl_username", reason)


def bootstrap_servers(field: str, value: str) -> str:
    """`host:port,host:port,…` (an IPv6 address in brackets), 1 to 10 servers."""
    servers = [s.strip() for s in value.split(",")]
    if not 1 <= len(servers) <= 10:
        raise InvalidField(field, "must list 1 to 10 servers")
    for server in servers:
        match = _BOOTSTRAP_SERVER.match(server)
        if match is None or not 1 <= int(match.group(2)) <= 65535:
            raise InvalidField(field, f"{server!r} is not host:port")
    return value


def mqtt_config(config: MqttConfig, secret_given: bool) -> None:
    if not _HOST.match(config.host):
        raise InvalidField(
            "config.host", "must be a host name or IP address, without scheme or port"
        )
    topic = config.topic
    if "+" in topic or "#" in topic or "\0" in topic:
        raise InvalidField("config.topic", "must not contain the wildcards + and # (or NUL)")
    if topic.startswith("$"):
        raise InvalidField("config.topic", "topics starting with $ are the broker's own")
    if len(topic.encode(errors="replace")) > 65535:
        raise InvalidField("config.topic", "must be at most 65535 bytes")
    if secret_given and config.username is None:
        raise InvalidField("config.username", "is required when a password (secret) is set")
