"""Infrastructure and services for a benchmark run: the same as the e2e tests use, but
with a broker and database of its own (folder `.senflow/bench`, ports 29092/29093 and
55434), so `make bench` never wipes or stops the broker of a test run going on beside it."""

import contextlib
from collections.abc import Iterator

from tests.support import infra
from tests.support.platform import Platform, running_platform

QUIET = {"SENFLOW_LOG_LEVEL": "WARNING"}  # a log line per delivery would be measured too
BENCH_STATE = infra.ROOT / ".senflow" / "bench"
BENCH_PORTS = {
    "SENFLOW_KAFKA_PORT": "29092",
    "SENFLOW_KAFKA_CONTROLLER_PORT": "29093",
    "SENFLOW_PG_PORT": "55434",
}


def _own_infrastructure() -> None:
    # The test support's scripts read their folder and ports from these two globals.
    infra.TEST_STATE = BENCH_STATE
    infra.LOCAL_ENV.update({"SENFLOW_STATE_DIR": str(BENCH_STATE), **BENCH_PORTS})


@contextlib.contextmanager
def platform_for_bench() -> Iterator[Platform]:
    _own_infrastructure()
    with (
        infra.kafka() as bootstrap,
        infra.postgres() as database_url,
        running_platform(bootstrap, database_url, QUIET) as platform,
    ):
        yield platform
