"""Runs a simulation: the scheduled uplinks through a sender, paced, bounded and tallied."""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from senflow.cli.simulate_devices import SimDevice
from senflow.cli.simulate_pacing import Schedule
from senflow.cli.simulate_senders import Sender
from senflow.cli.simulate_summary import Outcome, Summary, Tally

log = logging.getLogger(__name__)

# After the last send, how long answers still count; the senders time out sooner (15 s).
DRAIN_TIMEOUT_S = 30.0

OnProgress = Callable[[Tally], None]
# A device's uplink was answered: the device, its sequence number, when it was sent
# (epoch seconds) and how the target answered.
OnAnswer = Callable[[SimDevice, int, float, Outcome], None]


async def run_simulation(
    sender: Sender,
    devices: list[SimDevice],
    schedule: Schedule,
    on_progress: OnProgress | None = None,
    on_answer: OnAnswer | None = None,
    drain_timeout_s: float = DRAIN_TIMEOUT_S,
    stop: asyncio.Event | None = None,
) -> Summary:
    """Send `schedule.total` uplinks and wait for their answers; the summary of the run.

    Uplinks go out when due, as long as fewer than `sender.max_in_flight` are unanswered
    (a slow target slows the run down instead of piling up requests); a sender that
    wants it gets one uplink at a time per device. Bounded: the schedule is, and answers
    are awaited at most `drain_timeout_s` after the last send. `stop` (e.g. set on Ctrl-C)
    ends the sending early, the uplinks in flight still answered, the rest `not-sent`.
    Cancelling it cancels the uplinks in flight.
    """
    assert len(devices) == schedule.devices, "the schedule is made for these devices"
    tally = Tally(schedule.total, schedule.rate_per_s)
    in_flight = asyncio.Semaphore(sender.max_in_flight)
    locks = {d.identifier: asyncio.Lock() for d in devices}
    serial = sender.one_at_a_time_per_device
    tasks: set[asyncio.Task[None]] = set()
    started = time.monotonic()

    async def send_one(device: SimDevice, seq: int) -> None:
        try:
            async with locks[device.identifier] if serial else contextlib.nullcontext():
                if stop is not None and stop.is_set():
                    # Queued behind the device's previous uplink when Ctrl-C came: it
                    # stays unsent (counted `not-sent`), like those never scheduled.
                    return
                tally.sent_one(time.monotonic())
                sent_at = time.time()
                outcome = await _send(sender, device, seq)
            tally.answered_one(outcome)
            if on_answer is not None:
                on_answer(device, seq, sent_at, outcome)
            if on_progress is not None:
                on_progress(tally)
        finally:
            in_flight.release()

    try:
        for i in range(schedule.total):
            delay = schedule.due_s(i) - (time.monotonic() - started)
            if delay > 0:
                await _sleep(delay, stop)
            if stop is not None and stop.is_set():
                break
            await in_flight.acquire()
            slot = schedule.slot(i)
            task = asyncio.create_task(send_one(devices[slot.device_index], slot.seq))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.wait(set(tasks), timeout=drain_timeout_s)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return tally.summary(time.monotonic() - started)


async def _sleep(seconds: float, stop: asyncio.Event | None) -> None:
    """Sleep, or less when `stop` is set meanwhile."""
    if stop is None:
        await asyncio.sleep(seconds)
        return
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await stop.wait()


async def _send(sender: Sender, device: SimDevice, seq: int) -> Outcome:
    try:
        return await sender.send(device, seq)
    except Exception as err:
        # A sender reports the target's failures itself; anything else is a bug in it,
        # counted here so the run still ends with its summary.
        log.debug("sender failed for device %s", device.device_id, exc_info=True)
        return Outcome(False, f"error-{type(err).__name__}")
