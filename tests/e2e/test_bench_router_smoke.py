"""The router benchmark runs end to end with tiny sizes, so it never rots (not a timing)."""

import pytest

from bench.router import CASES, measure
from tests.support.platform import Platform

pytestmark = pytest.mark.e2e


async def test_router_benchmark_runs_with_tiny_sizes(platform: Platform) -> None:
    results = await measure(
        platform.api_url,
        platform.admin_token,
        platform.kafka_bootstrap,
        platform.database_url,
        uplinks=200,  # enough for the router to spend measurable CPU (10 ms ticks)
        devices=2,
        runs=1,
        router_pid=platform.router.proc.pid if platform.router.proc else None,
    )
    # Two baselines; per case the rate, p50, p99 and uplinks per router CPU-second.
    assert len(results) == 2 + 4 * len(CASES)
    assert all(value[0].isdigit() for value in results.values())
