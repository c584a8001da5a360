"""Where the CLI finds the platform: one settings object, read from the environment once.

A value the CLI cannot use is refused when the settings are read (`load_settings`), naming
the variable, rather than as a traceback from deep inside a client library later.
"""

import ipaddress
import re
from typing import Annotated, TypeVar

import typer
from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, SettingsConfigDict
from rich.console import Console
from rich.markup import escape

from senflow.common.errors import SenflowError

EXIT_INVALID_SETTINGS = 2  # as an unreachable platform: the command could not start

_BRACKETED = re.compile(r"\[(?P<host>[^\]]+)\](?::(?P<port>[^:]*))?")


class CliSettings(BaseSettings):
    """Defaults are the local platform of `make up`; `scripts/env.sh` holds its tokens."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    kafka_bootstrap: Annotated[
        str, Field(validation_alias=AliasChoices("SENFLOW_KAFKA_BOOTSTRAP"))
    ] = "127.0.0.1:9092"
    api_url: Annotated[str, Field(validation_alias=AliasChoices("SENFLOW_API_URL"))] = (
        "http://127.0.0.1:8080"
    )
    # A customer's API key, or the admin token (the admin sees every customer).
    api_token: Annotated[
        SecretStr | None,
        Field(validation_alias=AliasChoices("SENFLOW_API_TOKEN", "REGISTRY_ADMIN_TOKEN")),
    ] = None
    ingest_url: Annotated[str, Field(validation_alias=AliasChoices("SENFLOW_INGEST_URL"))] = (
        "http://127.0.0.1:8090"
    )
    mqtt_host: Annotated[str, Field(validation_alias=AliasChoices("SENFLOW_MQTT_HOST"))] = (
        "127.0.0.1"
    )
    mqtt_port: Annotated[
        int, Field(ge=1, le=65535, validation_alias=AliasChoices("SENFLOW_MQTT_PORT"))
    ] = 1883

    @field_validator("kafka_bootstrap")
    @classmethod
    def _bootstrap_servers(cls, value: str) -> str:
        servers = value.split(",")
        for server in servers:
            try:
                _check_server(server.strip())
            except ValueError as bad:
                raise ValueError(
                    f"{server.strip()!r}: {bad}" if len(servers) > 1 else bad
                ) from None
        return value


def _check_server(server: str) -> None:
    """`host`, `host:port`, `[ipv6]`, `[ipv6]:port` or a bare IPv6 address, as Kafka's
    clients take them."""
    if not server:
        raise ValueError("give host:port, several separated by commas")
    port: str | None
    if bracketed := _BRACKETED.fullmatch(server):
        host, port = bracketed["host"], bracketed["port"]
    elif server.count(":") > 1:
        try:
            ipaddress.IPv6Address(server)
        except ValueError:
            raise ValueError("write an IPv6 address and port as [addr]:port") from None
        return
    else:
        host, colon, rest = server.partition(":")
        port = rest if colon else None
    if not host:
        raise ValueError("no host before the port")
    if port is not None and not (port.isdigit() and 1 <= int(port) <= 65535):
        raise ValueError("the port must be a number from 1 to 65535")


class InvalidSettings(SenflowError, ValueError):
    """An environment variable the CLI reads holds a value it cannot use; the message names
    the variable."""


Settings = TypeVar("Settings", bound=BaseSettings)

# Values of these are never echoed back.
_SECRET = re.compile(r"TOKEN|PASSWORD|SECRET|KEY", re.IGNORECASE)


def read_settings(settings_type: type[Settings]) -> Settings:
    """The settings from the environment; `InvalidSettings` naming each bad variable."""
    try:
        return settings_type()
    except ValidationError as err:
        raise InvalidSettings("; ".join(_describe(e) for e in err.errors())) from None


def load_settings(settings_type: type[Settings]) -> Settings:
    """For a command: the settings, or a one-line error on stderr and exit 2."""
    try:
        return read_settings(settings_type)
    except InvalidSettings as bad:
        Console(stderr=True, highlight=False, soft_wrap=True).print(
            f"[red]Invalid setting:[/red] {escape(str(bad))}"
        )
        raise typer.Exit(EXIT_INVALID_SETTINGS) from None


def _describe(error: ErrorDetails) -> str:
    variable = ".".join(str(part) for part in error["loc"]) or "settings"
    message = error["msg"].removeprefix("Value error, ")
    if _SECRET.search(variable):
        return f"{variable}: {message}"
    return f"{variable}={error['input']!r}: {message}"
