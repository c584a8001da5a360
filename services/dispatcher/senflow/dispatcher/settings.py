"""Dispatcher settings (env prefix `DISPATCHER_`, plus the platform's `SENFLOW_*`)."""

from ipaddress import IPv4Network, IPv6Network
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from senflow.common.settings import PlatformSettings


class DispatcherSettings(PlatformSettings):
    model_config = SettingsConfigDict(env_prefix="DISPATCHER_", extra="ignore", frozen=True)

    group_id: str = "senflow-dispatcher"
    # Where a new consumer group starts: "earliest" delivers everything the topic holds;
    # "latest" only what arrives from now (a second group beside a running one).
    auto_offset_reset: Literal["earliest", "latest"] = "earliest"
    http_host: str = "127.0.0.1"
    http_port: int = 8082
    # With full jitter these ride out a receiver outage of about 7 minutes (expected sum of
    # the waits) before the delivery is dead-lettered; the age bound caps them anyway.
    max_attempts: Annotated[int, Field(ge=1, le=100)] = 20
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 60.0
    # Retries stop once a delivery is this old (from the uplink's receive time; a
    # destination may shorten it), and a Retry-After is honoured up to this long.
    max_retry_age_s: Annotated[float, Field(gt=0)] = 3600.0
    max_retry_after_s: Annotated[float, Field(ge=0)] = 300.0
    http_timeout_s: float = 10.0
    # Per attempt: a Kafka destination's (or the test endpoint's) acknowledgement, an MQTT
    # broker's connection or PUBACK.
    kafka_timeout_s: Annotated[float, Field(gt=0)] = 10.0
    mqtt_timeout_s: Annotated[float, Field(gt=0)] = 10.0
    response_excerpt_bytes: int = 1024
    # Per destination: how many devices are delivered at once (each device in order), and
    # how many deliveries its lane holds before the consumer waits (see lanes.py).
    lane_slots: Annotated[int, Field(ge=1, le=256)] = 8
    lane_capacity: Annotated[int, Field(ge=1)] = 10_000
    commit_interval_s: Annotated[float, Field(gt=0)] = 1.0
    # A destination failing (most of its latest attempts failed) for this long is disabled
    # by the platform: its deliveries are dead-lettered but for one probe per interval.
    # Above the retry horizon of the defaults (~7 minutes), so an outage is ridden out by
    # retries before the destination is disabled.
    auto_disable_after_s: Annotated[float, Field(gt=0)] = 900.0
    probe_interval_s: Annotated[float, Field(gt=0)] = 30.0
    # The consumer must poll again within this (it waits only when a lane is full), or the
    # group hands its partitions to another worker (which redelivers from the commit).
    max_poll_interval_s: Annotated[float, Field(gt=0)] = 900.0
    egress_allow_cidrs: Annotated[
        tuple[IPv4Network | IPv6Network, ...],
        NoDecode,
        Field(
            description="Comma-separated networks that may be called although they are"
            " loopback, private or link-local (e.g. 127.0.0.1/32 for local receivers)"
        ),
    ] = ()

    @field_validator("egress_allow_cidrs", mode="before")
    @classmethod
    def _split(cls, v: object) -> object:
        if isinstance(v, str):
            return tuple(p.strip() for p in v.split(",") if p.strip())
        return v
