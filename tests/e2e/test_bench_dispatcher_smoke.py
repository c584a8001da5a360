"""The dispatcher benchmark runs end to end with tiny sizes, so it never rots (not a timing)."""

import pytest

from bench.dispatcher import measure
from tests.support.platform import Platform

pytestmark = pytest.mark.e2e


async def test_dispatcher_benchmark_runs_with_tiny_sizes(platform: Platform) -> None:
    results = await measure(
        platform.api_url,
        platform.admin_token,
        platform.kafka_bootstrap,
        platform.database_url,
        count=20,
        runs=1,
    )
    assert len(results) == 2 + 2 * 3  # two baselines, three figures per destination type
    assert all(value[0].isdigit() for value in results.values())
