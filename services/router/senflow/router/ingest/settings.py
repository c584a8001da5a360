"""HTTP ingest settings (env prefix `INGEST_`, plus the platform's `SENFLOW_*`)."""

from pydantic_settings import SettingsConfigDict

from senflow.common.settings import PlatformSettings


class IngestSettings(PlatformSettings):
    model_config = SettingsConfigDict(env_prefix="INGEST_", extra="ignore", frozen=True)

    http_host: str = "127.0.0.1"
    http_port: int = 8090  # devices post here
    ops_port: int = 8091  # /healthz, /readyz, /metrics (kept off the public port)
    # How long a request waits for Kafka's acknowledgement before answering 503.
    send_timeout_s: float = 10.0
    view_load_timeout_s: float = 120.0
