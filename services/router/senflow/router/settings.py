"""Router settings (env prefix `ROUTER_`, plus the platform's `SENFLOW_*`)."""

from typing import Literal

from pydantic_settings import SettingsConfigDict

from senflow.common.settings import PlatformSettings


class RouterSettings(PlatformSettings):
    model_config = SettingsConfigDict(env_prefix="ROUTER_", extra="ignore", frozen=True)

    app_id: str = "senflow-router"
    http_host: str = "127.0.0.1"
    http_port: int = 8081
    view_load_timeout_s: float = 120.0
    # How long a crashed worker keeps its partitions before the group moves them on.
    session_timeout_s: float = 10.0
    heartbeat_interval_s: float = 3.0
    data_dir: str = ".senflow/router"
    # Records sent within this window share one produce request (faust's default, 0, makes
    # a request, and a socket write, per record).
    producer_linger_s: float = 0.005
    # Where a new consumer group starts: "earliest" routes everything the topics hold;
    # "latest" only what arrives from now (a second group beside a running one).
    auto_offset_reset: Literal["earliest", "latest"] = "earliest"
