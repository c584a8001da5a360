"""Registry settings (env prefix `REGISTRY_`, plus the platform's `SENFLOW_*`)."""

from typing import Annotated

from pydantic import AliasChoices, Field, PostgresDsn, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from senflow.common.downlinks import MAX_DOWNLINK_TTL_S
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
    http_max_body_bytes: Annotated[
        int,
        Field(
            ge=64 * 1024,
            description="A larger request body is a 413 (bulk imports take up to 16 MiB)",
        ),
    ] = 1024 * 1024
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
    downlink_default_ttl_s: Annotated[
        int,
        Field(ge=1, le=MAX_DOWNLINK_TTL_S, description="Time to live of a downlink that asks none"),
    ] = 24 * 3600
    downlink_max_ttl_s: Annotated[
        int,
        Field(
            ge=1, le=MAX_DOWNLINK_TTL_S, description="The longest time to live a downlink may ask"
        ),
    ] = MAX_DOWNLINK_TTL_S
    downlink_expiry_interval_s: Annotated[
        float, Field(gt=0, le=300, description="How often downlinks past their expiry are expired")
    ] = 5.0
    downlink_consumer_enabled: Annotated[
        bool,
        Field(description="Apply downlink reports, LoRa results and requests in the API process"),
    ] = True
    downlink_group_id: Annotated[
        str, Field(min_length=1, description="Consumer group of the downlink reports' consumer")
    ] = "senflow-registry-downlinks"

    @field_validator("admin_token")
    @classmethod
    def _admin_token_strong(cls, v: SecretStr) -> SecretStr:
        if len(v.get_secret_value()) < 24:
            raise ValueError("REGISTRY_ADMIN_TOKEN must be at least 24 characters")
        return v

    @model_validator(mode="after")
    def _default_ttl_within_max(self) -> "RegistrySettings":
        if self.downlink_default_ttl_s > self.downlink_max_ttl_s:
            raise ValueError("REGISTRY_DOWNLINK_DEFAULT_TTL_S exceeds REGISTRY_DOWNLINK_MAX_TTL_S")
        return self

    @property
    def dsn(self) -> str:
        return str(self.database_url)
