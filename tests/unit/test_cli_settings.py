"""The CLI's settings: a value it cannot use is refused when read, naming the variable
(never a traceback from a client library later), and every command exits 2 on it."""

from typing import Annotated

import pytest
from pydantic import Field
from typer.testing import CliRunner

from senflow.cli.app import app
from senflow.cli.settings import CliSettings, InvalidSettings, read_settings


@pytest.mark.parametrize(
    "bootstrap",
    ["kafka:9092", "127.0.0.1:9094", "a:1,b:2", "kafka", "[::1]:9092", "[::1]", "::1"],
)
def test_bootstrap_servers_are_taken_in_every_form_kafka_clients_take(
    bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SENFLOW_KAFKA_BOOTSTRAP", bootstrap)
    assert read_settings(CliSettings).kafka_bootstrap == bootstrap


@pytest.mark.parametrize(
    ("bootstrap", "reason"),
    [
        ("localhost:abc", "the port must be a number from 1 to 65535"),
        ("localhost:0", "the port must be a number from 1 to 65535"),
        ("localhost:70000", "the port must be a number from 1 to 65535"),
        ("localhost:", "the port must be a number from 1 to 65535"),
        (":9092", "no host before the port"),
        ("", "give host:port"),
        ("a:1,,b:2", "give host:port"),
        ("a:1,b:x", "'b:x': the port must be"),
        ("fe80::1:x", "[addr]:port"),
    ],
)
def test_a_malformed_bootstrap_is_refused_naming_the_variable_when_read(
    bootstrap: str, reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SENFLOW_KAFKA_BOOTSTRAP", bootstrap)
    with pytest.raises(InvalidSettings) as refused:
        read_settings(CliSettings)
    assert str(refused.value).startswith(f"SENFLOW_KAFKA_BOOTSTRAP={bootstrap!r}: ")
    assert reason in str(refused.value)


def test_every_bad_variable_is_named_when_several_are_wrong(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SENFLOW_MQTT_PORT", "99999")
    monkeypatch.setenv("SENFLOW_KAFKA_BOOTSTRAP", "x:y")
    with pytest.raises(InvalidSettings, match="SENFLOW_KAFKA_BOOTSTRAP=.*; SENFLOW_MQTT_PORT="):
        read_settings(CliSettings)


def test_a_secret_is_never_echoed_when_its_value_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class WithSecret(CliSettings):
        secret_key: Annotated[int, Field(validation_alias="SENFLOW_SECRET_KEY")] = 0

    monkeypatch.setenv("SENFLOW_SECRET_KEY", "hunter2")
    with pytest.raises(InvalidSettings) as refused:
        read_settings(WithSecret)
    assert str(refused.value).startswith("SENFLOW_SECRET_KEY: ")
    assert "hunter2" not in str(refused.value)


@pytest.mark.parametrize(
    "command",
    [
        ["lag"],
        ["tail", "--device", "d"],
        ["dlq", "list", "--destination", "d"],
        ["simulate", "--type", "lora", "--count", "1"],
    ],
)
def test_every_command_exits_2_with_one_line_when_a_setting_is_malformed(
    command: list[str],
) -> None:
    env = {"SENFLOW_KAFKA_BOOTSTRAP": "localhost:abc", "SENFLOW_API_TOKEN": "k" * 24}
    result = CliRunner().invoke(app, command, env=env)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("Invalid setting: SENFLOW_KAFKA_BOOTSTRAP='localhost:abc'")
    assert isinstance(result.exception, SystemExit)
