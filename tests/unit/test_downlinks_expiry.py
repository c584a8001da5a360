"""The expiry sweep: every downlink due is expired, a batch per transaction, until a
batch comes back short; a round that fails is skipped, not fatal. Fake use case."""

import asyncio

from senflow.registry.adapters.downlink_expiry import DownlinkExpiry


class FakeExpirer:
    def __init__(self, due: int, fail_first: bool = False) -> None:
        self.due = due
        self.fail_first = fail_first
        self.limits: list[int] = []

    async def expire_due(self, limit: int = 500) -> int:
        if self.fail_first:
            self.fail_first = False
            raise ConnectionRefusedError("postgres away")
        self.limits.append(limit)
        expired = min(limit, self.due)
        self.due -= expired
        return expired


async def test_a_sweep_expires_batches_until_one_comes_back_short() -> None:
    expirer = FakeExpirer(due=25)
    assert await DownlinkExpiry(expirer, batch_size=10).sweep() == 25
    assert expirer.limits == [10, 10, 10]


async def test_a_sweep_makes_one_call_when_nothing_is_due() -> None:
    expirer = FakeExpirer(due=0)
    assert await DownlinkExpiry(expirer, batch_size=10).sweep() == 0
    assert expirer.limits == [10]


async def test_the_sweeps_go_on_when_a_round_fails() -> None:
    expirer = FakeExpirer(due=3, fail_first=True)
    expiry = DownlinkExpiry(expirer, interval_s=0.01, batch_size=10)
    await expiry.start()
    try:
        async with asyncio.timeout(5):
            while expirer.due:  # noqa: ASYNC110 - the fake has no event to wait on
                await asyncio.sleep(0.01)
    finally:
        await expiry.stop()
        await expiry.stop()  # idempotent
    assert expirer.due == 0
