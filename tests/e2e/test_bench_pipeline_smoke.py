"""The benchmark code runs end to end with tiny sizes, so it never rots (not a timing)."""

import pytest

from bench.pipeline import measure
from tests.support.api import Api
from tests.support.platform import Platform

pytestmark = pytest.mark.e2e


async def test_pipeline_benchmark_runs_with_tiny_sizes(platform: Platform, admin: Api) -> None:
    results = await measure(
        platform.kafka_bootstrap, admin, platform.database_url, uplinks=20, devices=2, runs=1
    )
    assert set(results) == {
        "baseline: aiokafka consume→produce pipe (records/s)",
        "baseline: aiohttp POST loop, 8 in flight (POST/s)",
        "senflow: uplink → delivered (deliveries/s)",
        "senflow: latency p50 (ms)",
        "senflow: latency p99 (ms)",
    }
