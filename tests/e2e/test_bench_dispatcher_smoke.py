"""The dispatcher benchmark runs end to end with tiny sizes, so it never rots (not a timing)."""

import asyncio
from pathlib import Path

import pytest

from bench.dispatcher import measure, trusting
from bench.tls import local_tls
from tests.support.platform import Platform

pytestmark = pytest.mark.e2e


async def test_dispatcher_benchmark_runs_with_tiny_sizes(
    platform: Platform, tmp_path: Path
) -> None:
    tls = local_tls(tmp_path)
    with trusting(platform.dispatcher, tls):
        results = await asyncio.wait_for(
            measure(
                platform.api_url,
                platform.admin_token,
                platform.kafka_bootstrap,
                platform.database_url,
                count=20,
                runs=1,
                tls=tls,
            ),
            timeout=120,
        )
    # Per HTTP and HTTPS a POST-loop baseline and three figures, the Kafka pipe baseline and
    # three figures for the Kafka topic: every one a number.
    assert len(results) == 2 * (1 + 3) + (1 + 3)
    assert all(value[0].isdigit() for value in results.values())
