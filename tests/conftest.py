"""Session fixtures: real Kafka and PostgreSQL, and the three services as processes."""

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from tests.support import infra
from tests.support.api import Api
from tests.support.mosquitto import MqttBroker, mosquitto
from tests.support.platform import Platform, running_platform


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    with infra.kafka() as bootstrap:
        yield bootstrap


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    with infra.postgres() as url:
        yield url


@pytest.fixture(scope="session")
def platform(kafka_bootstrap: str, database_url: str) -> Iterator[Platform]:
    with running_platform(kafka_bootstrap, database_url) as running:
        yield running


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


@pytest.fixture(scope="module")
def mqtt_broker() -> Iterator[MqttBroker]:
    """A Mosquitto of the module's own (from Debian's package), for MQTT tests."""
    with mosquitto() as broker:
        yield broker
