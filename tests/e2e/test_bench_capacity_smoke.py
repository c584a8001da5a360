"""The capacity benchmark runs end to end with tiny sizes, so it never rots (not a timing)."""

import pytest

from bench.capacity import SCALING, Settings, measure
from tests.support.platform import Platform

pytestmark = pytest.mark.e2e

TINY = Settings(
    devices=20,
    flows=2,
    rates=(20, 50),
    duration_s=0.5,
    burst=40,
    runs=1,
    trials=2,
    memory_devices=(200,),
    drain_timeout_s=60,
    warmup=10,
)


async def test_capacity_benchmark_runs_with_tiny_sizes(platform: Platform) -> None:
    sections = (await measure(platform, TINY)).sections()

    assert set(sections) >= {"baselines", "end to end, 1 router + 1 dispatcher", SCALING}
    assert {"freshness", "registry view memory", "worker shares"} <= set(sections)
    for section in ("end to end, 1 router + 1 dispatcher", SCALING):
        for row, figures in sections[section].items():
            assert figures["complete (1 = all arrived)"] == [1.0], row
            assert any(v[0] > 0 for k, v in figures.items() if "/s" in k), (row, figures)
    assert len(sections[SCALING]) == 5  # router 1/2, dispatcher 1/2, end to end 2+2
    assert all(v[0] > 0 for figures in sections["baselines"].values() for v in figures.values())
    assert sections["registry view memory"]["200 devices"]["bytes/device"][0] > 0
