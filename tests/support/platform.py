"""The services (registry, router, dispatcher, HTTP ingest) as processes, sharing one run
id so their consumer groups never mix with a platform that `make up` left running."""

import asyncio
import contextlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

from senflow.common.secrets import generate_key
from tests.support import infra
from tests.support.processes import ServiceProcess, free_port


@dataclass
class Platform:
    registry: ServiceProcess
    router: ServiceProcess
    dispatcher: ServiceProcess
    ingest: ServiceProcess
    api_url: str
    ingest_url: str
    admin_token: str
    kafka_bootstrap: str
    database_url: str
    env: dict[str, str]


def platform_env(kafka_bootstrap: str, database_url: str, run_id: str) -> dict[str, str]:
    return {
        "SENFLOW_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "SENFLOW_DATABASE_URL": database_url,
        "SENFLOW_SECRETS_KEY": generate_key(),
        "SENFLOW_LOG_LEVEL": "INFO",
        "REGISTRY_ADMIN_TOKEN": secrets.token_urlsafe(32),
        "REGISTRY_DOWNLINK_GROUP_ID": f"senflow-registry-downlinks-{run_id}",
        "REGISTRY_HTTP_PORT": str(free_port()),
        "ROUTER_HTTP_PORT": str(free_port()),
        "ROUTER_APP_ID": f"senflow-router-{run_id}",
        "ROUTER_DATA_DIR": str(infra.TEST_STATE / f"router-{run_id}"),
        "DISPATCHER_HTTP_PORT": str(free_port()),
        "DISPATCHER_GROUP_ID": f"senflow-dispatcher-{run_id}",
        "DISPATCHER_EGRESS_ALLOW_CIDRS": "127.0.0.1/32",
        "DISPATCHER_BACKOFF_INITIAL_S": "0.2",
        "DISPATCHER_BACKOFF_MAX_S": "1.0",
        "DISPATCHER_MAX_ATTEMPTS": "4",
        "DISPATCHER_HTTP_TIMEOUT_S": "15",  # above the 10 s slow receiver of the isolation test
        "INGEST_HTTP_PORT": str(free_port()),
        "INGEST_OPS_PORT": str(free_port()),
    }


def _service(name: str, argv: list[str], port_var: str, env: dict[str, str]) -> ServiceProcess:
    logs = infra.TEST_STATE / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    ready_url = f"http://127.0.0.1:{env[port_var]}/readyz"
    return ServiceProcess(name, argv, env, ready_url, logs / f"{name}.log")


async def ensure_running(*services: ServiceProcess) -> None:
    """Start again those of `services` that exited (e.g. after the broker was stopped)."""
    for service in services:
        if service.proc is None or service.proc.poll() is not None:
            await asyncio.to_thread(service.start)


@contextlib.contextmanager
def running_platform(
    kafka_bootstrap: str, database_url: str, overrides: dict[str, str] | None = None
) -> Iterator[Platform]:
    env = {**platform_env(kafka_bootstrap, database_url, secrets.token_hex(4)), **(overrides or {})}
    services = [
        _service("registry", ["senflow-registry", "serve"], "REGISTRY_HTTP_PORT", env),
        _service("router", ["senflow-router"], "ROUTER_HTTP_PORT", env),
        _service("dispatcher", ["senflow-dispatcher"], "DISPATCHER_HTTP_PORT", env),
        _service("ingest", ["senflow-ingest"], "INGEST_OPS_PORT", env),
    ]
    started: list[ServiceProcess] = []
    try:
        for service in services:  # in order: the registry declares the topics
            service.start()
            started.append(service)
        yield Platform(
            *services,
            api_url=f"http://127.0.0.1:{env['REGISTRY_HTTP_PORT']}",
            ingest_url=f"http://127.0.0.1:{env['INGEST_HTTP_PORT']}",
            admin_token=env["REGISTRY_ADMIN_TOKEN"],
            kafka_bootstrap=kafka_bootstrap,
            database_url=database_url,
            env=env,
        )
    finally:
        for service in reversed(started):
            service.stop()
