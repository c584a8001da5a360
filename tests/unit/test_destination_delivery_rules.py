"""The registry's rules for HTTPS authentication, the write-only credential, format
scripts and the delivery limits every destination type takes (422 naming the field)."""

from typing import Any

import pytest
from pydantic import ValidationError

from senflow.common.events import (
    AuthType,
    HttpsAuth,
    HttpsConfig,
    KafkaTopicConfig,
    MqttConfig,
    TestEndpointConfig,
)
from senflow.registry.domain import destination_rules
from senflow.registry.entrypoints.api import schemas
from senflow.registry.errors import InvalidField

URL = "https://example.com/hook"


def _https(headers: dict[str, str] | None = None, **auth: Any) -> HttpsConfig:
    return HttpsConfig(url=URL, headers=headers or {}, auth=HttpsAuth(**auth))


@pytest.mark.parametrize(
    ("config", "credential", "stored_for"),
    [
        (_https(), None, None),
        (_https(type="basic", username="senflow"), "pä ss wörd", None),
        (_https(type="basic", username="senflow"), None, "basic"),
        (_https(type="bearer"), "eyJhbGciOiJIUzI1NiJ9.e30.sig_-+/=", None),
        (_https(type="api_key"), "ApiKey k-123", None),
        (_https(type="api_key", header="Authorization"), "k-123", None),
        (_https({"X-Tenant": "acme"}, type="api_key", header="Api-Token"), "k", None),
        (KafkaTopicConfig(topic="t"), None, None),
    ],
)
def test_authentication_is_accepted_when_valid(
    config: Any, credential: str | None, stored_for: AuthType | None
) -> None:
    destination_rules.authentication(config, credential, stored_for)


@pytest.mark.parametrize(
    ("config", "credential", "stored_for", "field", "reason"),
    [
        (_https(type="basic"), "pw", None, "config.auth.username", "is required"),
        (_https(type="basic", username="a:b"), "pw", None, "config.auth.username", "colon"),
        (_https(type="bearer", username="x"), "t", None, "config.auth.username", "only for basic"),
        (_https(type="basic", username="u"), None, None, "credential", "is required for basic"),
        (_https(type="bearer"), None, None, "credential", "is required for bearer"),
        (_https(type="api_key"), None, None, "credential", "is required for api_key"),
        (_https(type="bearer"), None, "api_key", "credential", "is required for bearer"),
        (_https(), "t", None, "credential", "other than none"),
        (_https(type="basic", username="u"), "p\nw", None, "credential", "control characters"),
        (_https(type="bearer"), "two words", None, "credential", "without spaces"),
        (_https(type="api_key"), " k", None, "credential", "spaces only between"),
        (_https(type="api_key"), "k\r\nX-Evil: 1", None, "credential", "visible ASCII"),
        (_https(type="api_key", header="Things-Message-Token"), "k", None, "config.auth.header",
         "set by the platform"),
        (_https(type="api_key", header="Senflow-Signature"), "k", None, "config.auth.header",
         "set by the platform"),
        (_https(type="api_key", header="X Key"), "k", None, "config.auth.header",
         "not a valid header name"),
        (_https({"authorization": "x"}, type="bearer"), "t", None, "config.headers",
         "set by the authentication"),
        (_https({"x-api-key": "x"}, type="api_key"), "t", None, "config.headers",
         "set by the authentication"),
        (MqttConfig(host="h", topic="t"), "t", None, "credential", "only for https"),
    ],
)  # fmt: skip
def test_authentication_is_refused_with_the_field_at_fault(
    config: Any, credential: str | None, stored_for: AuthType | None, field: str, reason: str
) -> None:
    with pytest.raises(InvalidField) as err:
        destination_rules.authentication(config, credential, stored_for)
    assert err.value.field == field
    assert reason in err.value.reason
    if credential is not None and len(credential) > 3:
        assert credential not in err.value.reason  # never echoed


def test_format_script_is_accepted_when_it_defines_format() -> None:
    script = "function format(pack) { return pack; }"
    assert destination_rules.format_script("format_script", script) == script


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ("function main(input) { return input; }", "defines no format() function"),
        ("function format(pack) { return 1 +; }", "SyntaxError"),
        ("while (true) {}", "exceeded 500 ms CPU"),
        ("// " + "x" * 65_536, "script larger than 65536 bytes"),
    ],
)
def test_format_script_is_refused_with_the_sandbox_s_reason(script: str, reason: str) -> None:
    with pytest.raises(InvalidField) as err:
        destination_rules.format_script("format_script", script)
    assert (err.value.field, reason in err.value.reason) == ("format_script", True)


@pytest.mark.parametrize(
    "config",
    [
        lambda **kw: HttpsConfig(url=URL, **kw),
        lambda **kw: KafkaTopicConfig(topic="t", **kw),
        lambda **kw: MqttConfig(host="h", topic="t", **kw),
        lambda **kw: TestEndpointConfig(**kw),
    ],
)
def test_every_type_takes_a_rate_and_a_retry_age_within_bounds(config: Any) -> None:
    limited = config(max_rate_per_s=2.5, max_retry_age_s=600)
    assert (limited.max_rate_per_s, limited.max_retry_age_s) == (2.5, 600)
    for bad in ({"max_rate_per_s": 0}, {"max_rate_per_s": -1}, {"max_retry_age_s": 0}):
        with pytest.raises(ValidationError):
            config(**bad)


def test_destination_body_takes_a_credential_and_a_format_script() -> None:
    body = schemas.DestinationIn.model_validate(
        {
            "name": "n",
            "config": {"url": URL, "auth": {"type": "bearer"}},
            "secret": "s",
            "credential": "t",
            "format_script": "function format(p) { return p; }",
        }
    )
    assert (body.credential, body.format_script is not None) == ("t", True)
    assert isinstance(body.config, HttpsConfig) and body.config.auth.type == "bearer"
    shown = schemas.DestinationOut.model_fields
    assert "format_script" in shown and not {"credential", "sealed_credential"} & set(shown)
