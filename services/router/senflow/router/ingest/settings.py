"""HTTP ingest settings (env prefix `INGEST_`, plus the platform's `SENFLOW_*`)."""

from typing import Annotated

from pydantic import Field
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
    # How long an answer waits for Kafka to acknowledge a downlink's `sent` report; past it
    # the device gets the downlink anyway and it stays pending (see ingest.downlinks).
    downlink_report_timeout_s: Annotated[float, Field(gt=0)] = 5.0
    # The memory bound of the pending downlinks: beyond either, a downlink is not held here
    # (senflow_ingest_downlinks_dropped_total) and expires in the registry.
    max_pending_downlinks_per_device: Annotated[int, Field(ge=1)] = 32
    max_pending_downlinks: Annotated[int, Field(ge=1)] = 50_000
