"""Rules of destination configs: Kafka, MQTT, HTTPS authentication and format scripts.
Pure: values in, `InvalidField` out.

`secret_given`: this request sets the secret; `secret_stored`: the destination has one.
Reasons never quote a credential.
"""

import re

from senflow.codecs.format_script import FORMAT_LIMITS, FormatScript
from senflow.codecs.script_engine import ScriptFailed
from senflow.common import topics
from senflow.common.events import (
    AuthType,
    DestinationConfig,
    HttpsAuth,
    HttpsConfig,
    KafkaTopicConfig,
    MqttConfig,
)
from senflow.common.key_templates import key_template_error
from senflow.registry.domain.rules import header_name
from senflow.registry.errors import InvalidField

_BOOTSTRAP_SERVER = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]{1,253}):(\d{1,5})$")
_HOST = re.compile(r"^([A-Za-z0-9.-]{1,253}|[0-9A-Fa-f:.]{2,45})$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TOKEN = re.compile(r"^[\x21-\x7e]+$")  # visible ASCII, no spaces
_HEADER_TEXT = re.compile(r"^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$")  # inner spaces too


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


def authentication(
    config: DestinationConfig, credential: str | None, stored_for: AuthType | None = None
) -> None:
    """`credential`: given with this request; `stored_for`: the kind of authentication
    the destination's stored credential is for (None: it has none). A stored credential
    counts for that same kind only: a new kind needs a new credential."""
    if not isinstance(config, HttpsConfig):
        if credential is not None:
            raise InvalidField("credential", "is only for https destinations")
        return
    kept = stored_for is not None and stored_for == config.auth.type
    https_auth(config.auth, config.headers, credential, kept)


def https_auth(
    auth: HttpsAuth, headers: dict[str, str], credential: str | None, credential_kept: bool
) -> None:
    if auth.type != "basic" and auth.username is not None:
        raise InvalidField("config.auth.username", "is only for basic authentication")
    if auth.type == "none":
        if credential is not None:
            raise InvalidField("credential", "is only for authentication other than none")
        return
    if auth.type == "basic":
        if auth.username is None:
            raise InvalidField("config.auth.username", "is required for basic authentication")
        if ":" in auth.username or _CONTROL.search(auth.username):
            raise InvalidField(
                "config.auth.username", "must not contain a colon or control characters"
            )
    sent = "Authorization"
    if auth.type == "api_key":
        sent = header_name("config.auth.header", auth.header)
    for name in headers:
        if name.lower() == sent.lower():
            raise InvalidField("config.headers", f"{name} is set by the authentication")
    if credential is None:
        if not credential_kept:
            raise InvalidField("credential", f"is required for {auth.type} authentication")
        return
    _credential(auth, credential)


def _credential(auth: HttpsAuth, credential: str) -> None:
    if auth.type == "basic":
        if not credential or _CONTROL.search(credential):
            raise InvalidField("credential", "must be a password without control characters")
    elif auth.type == "bearer":
        if not _TOKEN.match(credential):
            raise InvalidField("credential", "must be a token of visible ASCII, without spaces")
    elif not _HEADER_TEXT.match(credential):
        raise InvalidField(
            "credential", "must be visible ASCII, spaces only between other characters"
        )


def format_script(field: str, script: str) -> str:
    """A format script that compiles and defines `format(pack)`, within the size cap.
    Compiling may take up to the sandbox's build CPU cap: call it off the event loop."""
    try:
        FormatScript(script, FORMAT_LIMITS)
    except ScriptFailed as err:
        raise InvalidField(field, err.reason) from None
    return script
