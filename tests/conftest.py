"""Session fixtures: real Kafka and PostgreSQL, and the three services as processes."""

import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from senflow.common.secrets import generate_key
from tests.support import infra
from tests.support.api import Api
from tests.support.processes import ServiceProcess, free_port


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    with infra.kafka() as bootstrap:
        yield bootstrap


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    with infra.postgres() as url:
        yield url


@dataclass
class Platform:
    registry: ServiceProcess
    router: ServiceProcess
    dispatcher: ServiceProcess
    api_url: str
    admin_token: str
    kafka_bootstrap: str
    database_url: str
    env: dict[str, str]


def _platform_env(kafka_bootstrap: str, database_url: str, run_id: str) -> dict[str, str]:
    return {
        "SENFLOW_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "SENFLOW_DATABASE_URL": database_url,
        "SENFLOW_SECRETS_KEY": generate_key(),
        "SENFLOW_LOG_LEVEL": "INFO",
        "REGISTRY_ADMIN_TOKEN": secrets.token_urlsafe(32),
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
    }


def _service(name: str, argv: list[str], port_var: str, env: dict[str, str]) -> ServiceProcess:
    logs = infra.TEST_STATE / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    return ServiceProcess(
        name, argv, env, f"http://127.0.0.1:{env[port_var]}/readyz", Path(logs / f"{name}.log")
    )


@pytest.fixture(scope="session")
def platform(kafka_bootstrap: str, database_url: str) -> Iterator[Platform]:
    """Registry, router and dispatcher, each its own process, sharing one test-run id so
    their consumer groups never mix with a platform `make up` left running."""
    env = _platform_env(kafka_bootstrap, database_url, secrets.token_hex(4))
    services = [
        _service("registry", ["senflow-registry", "serve"], "REGISTRY_HTTP_PORT", env),
        _service("router", ["senflow-router"], "ROUTER_HTTP_PORT", env),
        _service("dispatcher", ["senflow-dispatcher"], "DISPATCHER_HTTP_PORT", env),
    ]
    started: list[ServiceProcess] = []
    try:
        for service in services:  # in order: the registry declares the topics
            service.start()
            started.append(service)
        yield Platform(
            *services,
            api_url=f"http://127.0.0.1:{env['REGISTRY_HTTP_PORT']}",
            admin_token=env["REGISTRY_ADMIN_TOKEN"],
            kafka_bootstrap=kafka_bootstrap,
            database_url=database_url,
            env=env,
        )
    finally:
        for service in reversed(started):
            service.stop()


@pytest.fixture
async def http(platform: Platform) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=platform.api_url, timeout=10) as client:
        yield client


@pytest.fixture
def admin(http: httpx.AsyncClient, platform: Platform) -> Api:
    return Api(http, platform.admin_token)


@pytest.fixture
async def producer(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    p = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await p.start()
    yield p
    await p.stop()
