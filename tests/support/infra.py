"""Finds Kafka and PostgreSQL for the tests, in this order:

1. environment variables pointing at running services (`SENFLOW_KAFKA_BOOTSTRAP`,
   `SENFLOW_DATABASE_URL`);
2. testcontainers, where a Docker engine answers;
3. the project's own scripts, which start a private broker and cluster for the test run
   (state under `.senflow/test`, ports 19092 and 55433, wiped first, stopped after).
"""

import contextlib
import os
import shutil
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEST_STATE = ROOT / ".senflow" / "test"
LOCAL_ENV = {
    "SENFLOW_STATE_DIR": str(TEST_STATE),
    "SENFLOW_KAFKA_PORT": "19092",
    "SENFLOW_KAFKA_CONTROLLER_PORT": "19093",
    "SENFLOW_PG_PORT": "55433",
}


# Which services this test run started itself (and so may stop and start again).
STARTED_LOCALLY: set[str] = set()


def stop_local_kafka() -> None:
    assert "kafka" in STARTED_LOCALLY, "only a broker this run started may be stopped"
    _script("kafka.sh", "stop")


def start_local_kafka() -> None:
    _script("kafka.sh", "start")


def docker_available() -> bool:
    if not os.environ.get("DOCKER_HOST") and not Path("/var/run/docker.sock").exists():
        return False
    import docker

    # docker-py leaks its socket when the engine does not answer; that is not ours to fail on.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            client = docker.from_env(timeout=3)
            try:
                return bool(client.ping())
            finally:
                client.close()
        except Exception:  # noqa: BLE001 - any failure means: no engine to use
            return False


def _script(name: str, action: str) -> str:
    result = subprocess.run(
        [str(ROOT / "scripts" / name), action],
        env={**os.environ, **LOCAL_ENV},
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return result.stdout.strip()


@contextlib.contextmanager
def kafka() -> Iterator[str]:
    if given := os.environ.get("SENFLOW_KAFKA_BOOTSTRAP"):
        yield given
    elif docker_available():
        from testcontainers.community.kafka import KafkaContainer

        with KafkaContainer("confluentinc/cp-kafka:7.9.0").with_kraft() as container:
            yield container.get_bootstrap_server()
    else:
        shutil.rmtree(TEST_STATE / "kafka", ignore_errors=True)
        _script("kafka.sh", "start")
        STARTED_LOCALLY.add("kafka")
        try:
            yield f"127.0.0.1:{LOCAL_ENV['SENFLOW_KAFKA_PORT']}"
        finally:
            _script("kafka.sh", "stop")


@contextlib.contextmanager
def postgres() -> Iterator[str]:
    if given := os.environ.get("SENFLOW_DATABASE_URL"):
        yield given
    elif docker_available():
        from testcontainers.community.postgres import PostgresContainer

        with PostgresContainer("postgres:15", driver=None) as container:
            yield container.get_connection_url()
    else:
        _script("postgres.sh", "stop")
        shutil.rmtree(TEST_STATE / "postgres", ignore_errors=True)
        _script("postgres.sh", "start")
        try:
            yield _script("postgres.sh", "url")
        finally:
            _script("postgres.sh", "stop")
