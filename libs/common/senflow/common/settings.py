"""Settings every service shares (where Kafka is, the platform's secrets key).

Each service has its own settings class deriving from `PlatformSettings`, built once in
its `main` and passed down.
"""

from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from senflow.common.secrets import parse_key


class PlatformSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    kafka_bootstrap: Annotated[
        str,
        Field(validation_alias=AliasChoices("SENFLOW_KAFKA_BOOTSTRAP"), description="host:port,…"),
    ] = "127.0.0.1:9092"
    secrets_key: Annotated[
        SecretStr,
        Field(
            validation_alias=AliasChoices("SENFLOW_SECRETS_KEY"),
            description="urlsafe base64 of 32 bytes; seals secrets inside change events",
        ),
    ]
    log_level: Annotated[str, Field(validation_alias=AliasChoices("SENFLOW_LOG_LEVEL"))] = "INFO"

    @field_validator("secrets_key")
    @classmethod
    def _key_is_valid(cls, v: SecretStr) -> SecretStr:
        parse_key(v.get_secret_value())
        return v

    @property
    def secrets_key_bytes(self) -> bytes:
        return parse_key(self.secrets_key.get_secret_value())
