"""Where the CLI finds the platform: one settings object, read from the environment once."""

from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    mqtt_port: Annotated[int, Field(validation_alias=AliasChoices("SENFLOW_MQTT_PORT"))] = 1883
