"""Per-destination lanes and out-of-order commit positions, without Kafka."""

import asyncio

import pytest

from senflow.dispatcher.lanes import Lanes
from senflow.dispatcher.offsets import PartitionProgress


@pytest.mark.parametrize(
    ("taken", "finished", "committable"),
    [
        ([], [], None),
        ([5, 6, 7], [], 5),
        ([5, 6, 7], [6, 7], 5),  # 5 is still on its way: a restart must redo it
        ([5, 6, 7], [5], 6),
        ([5, 6, 7], [5, 6, 7], 8),  # all done: the next one to read
        ([5, 6, 7], [7, 5], 6),
        ([10, 11, 12, 13], [10, 12, 11], 13),
    ],
)
def test_the_commit_position_is_the_first_unfinished_offset(
    taken: list[int], finished: list[int], committable: int | None
) -> None:
    progress = PartitionProgress()
    for offset in taken:
        progress.taken(offset)
    for offset in finished:
        progress.finished(offset)
    assert progress.committable() == committable
    assert progress.in_flight == len(set(taken) - set(finished))


async def test_a_stuck_destination_does_not_hold_up_another() -> None:
    done: list[str] = []
    stuck = asyncio.Event()
    fast_done = asyncio.Event()

    async def handle(item: tuple[str, int]) -> None:
        destination, n = item
        if destination == "slow":
            await stuck.wait()
        done.append(f"{destination}{n}")
        if done.count("fast4"):
            fast_done.set()

    lanes: Lanes[tuple[str, int]] = Lanes(handle, slots=2, capacity=100)
    for n in range(5):
        await lanes.put("slow", "device-1", ("slow", n))
        await lanes.put("fast", "device-1", ("fast", n))
    async with asyncio.timeout(2):
        await fast_done.wait()
    assert done == [f"fast{n}" for n in range(5)]
    assert lanes.depth("slow") == 5
    stuck.set()
    async with asyncio.timeout(2):
        await lanes.drained()
    assert done[5:] == [f"slow{n}" for n in range(5)]  # in order, per device
    await lanes.close()


async def test_one_device_stays_in_order_while_other_devices_pass_it() -> None:
    done: list[tuple[str, int]] = []

    async def handle(item: tuple[str, int]) -> None:
        device, n = item
        await asyncio.sleep(0.05 if device == "slow-device" else 0)
        done.append(item)

    lanes: Lanes[tuple[str, int]] = Lanes(handle, slots=8, capacity=100)
    devices = ["slow-device", "a", "b", "c"]
    for n in range(5):
        for device in devices:
            await lanes.put("destination", device, (device, n))
    async with asyncio.timeout(5):
        await lanes.drained()
    for device in devices:
        assert [n for d, n in done if d == device] == list(range(5))
    # Other devices did not wait for the slow one (they share the destination, not a slot).
    assert done.index(("a", 4)) < done.index(("slow-device", 4))
    await lanes.close()


async def test_a_full_lane_makes_put_wait_until_there_is_room() -> None:
    release = asyncio.Event()

    async def handle(_: int) -> None:
        await release.wait()

    lanes: Lanes[int] = Lanes(handle, slots=1, capacity=3)
    for n in range(3):
        await lanes.put("d", "k", n)
    blocked = asyncio.create_task(lanes.put("d", "k", 3))
    await asyncio.sleep(0.05)
    assert not blocked.done()
    release.set()
    async with asyncio.timeout(2):
        await blocked
        await lanes.drained()
    await lanes.close()
