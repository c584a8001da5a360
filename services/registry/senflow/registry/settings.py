"""Registry settings (env prefix `REGISTRY_`, plus the platform's `SENFLOW_*`)."""

from typing import Annotated

from pydantic import AliasChoices, Field, PostgresDsn, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from senflow.common.settings import PlatformSettings


class RegistrySettings(PlatformSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore", frozen=True)

    database_url: Annotated[
        PostgresDsn,
        Field(
            validation_alias=AliasChoices("SENFLOW_DATABASE_URL"),
            description="Required: postgresql://user:password@host:port/db",
        ),
    ]
    admin_token: Annotated[
        SecretStr, Field(description="Bearer token of the platform admin; required, ≥ 24 chars")
    ]
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    db_pool_max: int = 10
    relay_enabled: Annotated[bool, Field(description="Run the outbox relay in the API process")] = (
        True
    )
    relay_batch_size: int = 500
    relay_poll_interval_s: float = 1.0
    activity_enabled: Annotated[
        bool, Field(description="Count devices' uplinks and last seen in the API process")
    ] = True
    activity_batch_size: Annotated[
        int, Field(ge=1, le=100_000, description="Uplink records applied per transaction, at most")
    ] = 5000
    activity_flush_interval_s: Annotated[
        float, Field(gt=0, le=60, description="A batch is applied at least this often")
    ] = 1.0

    @field_validator("admin_token")
    @classmethod
    def _admin_token_strong(cls, v: SecretStr) -> SecretStr:
        if len(v.get_secret_value()) < 24:
            raise ValueError("REGISTRY_ADMIN_TOKEN must be at least 24 characters")
        return v

    @property
    def dsn(self) -> str:
        return str(self.database_url)
