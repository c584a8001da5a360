"""Infrastructure and services for a benchmark run: the same as the e2e tests use."""

import contextlib
from collections.abc import Iterator

from tests.support import infra
from tests.support.platform import Platform, running_platform

QUIET = {"SENFLOW_LOG_LEVEL": "WARNING"}  # a log line per delivery would be measured too


@contextlib.contextmanager
def platform_for_bench() -> Iterator[Platform]:
    with (
        infra.kafka() as bootstrap,
        infra.postgres() as database_url,
        running_platform(bootstrap, database_url, QUIET) as platform,
    ):
        yield platform
