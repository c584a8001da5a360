"""`senflow simulate`'s run loop with a fake sender: pacing, turns, bounds, failures."""

import asyncio
import time
from dataclasses import dataclass, field

import pytest

from senflow.cli.simulate_devices import SimDevice
from senflow.cli.simulate_pacing import Schedule
from senflow.cli.simulate_run import run_simulation
from senflow.cli.simulate_summary import Outcome, Tally

DEVICES = [SimDevice(f"id-{n}", "MQTT", f"client-{n}") for n in range(3)]


@dataclass
class FakeSender:
    answer_after_s: float = 0.0
    max_in_flight: int = 100
    one_at_a_time_per_device: bool = False
    fail_with: Exception | None = None
    sent: list[tuple[float, str, int]] = field(default_factory=list)
    busy: dict[str, int] = field(default_factory=dict)
    most_at_once: int = 0
    most_at_once_per_device: int = 0

    target = "fake"

    async def probe(self) -> None:
        pass

    async def start(self, devices: list[SimDevice]) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def send(self, device: SimDevice, seq: int) -> Outcome:
        self.sent.append((time.monotonic(), device.identifier, seq))
        self.busy[device.identifier] = self.busy.get(device.identifier, 0) + 1
        self.most_at_once = max(self.most_at_once, sum(self.busy.values()))
        self.most_at_once_per_device = max(self.most_at_once_per_device, *self.busy.values())
        try:
            if self.fail_with is not None:
                raise self.fail_with
            await asyncio.sleep(self.answer_after_s)
            return Outcome(True, latency_s=self.answer_after_s)
        finally:
            self.busy[device.identifier] -= 1


async def test_uplinks_go_out_when_due_with_devices_taking_turns() -> None:
    sender = FakeSender()
    summary = await run_simulation(sender, DEVICES, Schedule(rate_per_s=50, total=10, devices=3))
    assert summary.ok and summary.accepted == 10
    assert [(ident, seq) for _, ident, seq in sender.sent][:4] == [
        ("client-0", 0),
        ("client-1", 0),
        ("client-2", 0),
        ("client-0", 1),
    ]
    started = sender.sent[0][0]
    offsets = [at - started for at, _, _ in sender.sent]
    # Never early; late only by what a busy machine's event loop adds.
    assert all(offset >= i * 0.02 - 0.002 for i, offset in enumerate(offsets))
    assert offsets[-1] < 9 * 0.02 + 0.1


async def test_a_device_waits_for_its_answer_when_the_sender_wants_it() -> None:
    sender = FakeSender(answer_after_s=0.05, one_at_a_time_per_device=True)
    summary = await run_simulation(
        sender, DEVICES[:1], Schedule(rate_per_s=200, total=5, devices=1)
    )
    assert summary.ok
    assert sender.most_at_once_per_device == 1
    assert [seq for _, _, seq in sender.sent] == [0, 1, 2, 3, 4]  # in order


async def test_no_more_than_max_in_flight_are_unanswered_at_once() -> None:
    sender = FakeSender(answer_after_s=0.05, max_in_flight=2)
    summary = await run_simulation(sender, DEVICES, Schedule(rate_per_s=1000, total=9, devices=3))
    assert summary.ok
    assert sender.most_at_once == 2


async def test_uplinks_unanswered_when_the_drain_ends_count_as_no_answer() -> None:
    sender = FakeSender(answer_after_s=60)
    summary = await run_simulation(
        sender, DEVICES, Schedule(rate_per_s=100, total=3, devices=3), drain_timeout_s=0.1
    )
    assert summary.rejected == {"no-answer": 3}
    assert not summary.ok


async def test_a_failing_sender_is_counted_not_fatal() -> None:
    sender = FakeSender(fail_with=RuntimeError("bug"))
    summary = await run_simulation(sender, DEVICES, Schedule(rate_per_s=100, total=3, devices=3))
    assert summary.rejected == {"error-RuntimeError": 3}


async def test_progress_and_answers_are_reported_as_they_come() -> None:
    progress: list[int] = []
    answers: list[tuple[str, int, bool]] = []

    def on_progress(tally: Tally) -> None:
        progress.append(tally.answered)

    def on_answer(device: SimDevice, seq: int, sent_at: float, outcome: Outcome) -> None:
        assert sent_at == pytest.approx(time.time(), abs=5)
        answers.append((device.identifier, seq, outcome.accepted))

    await run_simulation(
        FakeSender(),
        DEVICES[:2],
        Schedule(rate_per_s=100, total=4, devices=2),
        on_progress,
        on_answer,
    )
    assert progress == [1, 2, 3, 4]
    assert sorted(answers) == [
        ("client-0", 0, True),
        ("client-0", 1, True),
        ("client-1", 0, True),
        ("client-1", 1, True),
    ]


async def test_uplinks_queued_behind_a_device_stay_unsent_when_stopped_meanwhile() -> None:
    """A one-at-a-time device's uplinks queue behind its lock while the first is answered;
    Ctrl-C then stops them too: they count as not-sent, the one in flight is answered."""
    sender = FakeSender(answer_after_s=0.3, one_at_a_time_per_device=True)
    stop = asyncio.Event()
    # 5 uplinks of one device due within 40 ms: 4 queue behind the first one's answer.
    run = asyncio.create_task(
        run_simulation(sender, DEVICES[:1], Schedule(rate_per_s=100, total=5, devices=1), stop=stop)
    )
    await asyncio.sleep(0.1)
    stop.set()
    summary = await run

    assert [seq for _, _, seq in sender.sent] == [0]
    assert summary.sent == 1 and summary.accepted == 1
    assert summary.rejected == {"not-sent": 4}
