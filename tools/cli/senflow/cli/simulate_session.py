"""One `senflow simulate` run, from checked options to its summary: probe the target, get
the devices (create or find them), send them through the sender, stop it. The progress
bar shows on the console; the first Ctrl-C ends the sending early, with a summary."""

import asyncio
import contextlib
import signal
from collections.abc import Iterator
from dataclasses import dataclass

from rich.console import Console

from senflow.cli.api_client import RegistryClient
from senflow.cli.settings import CliSettings
from senflow.cli.simulate_devices import DeviceType
from senflow.cli.simulate_display import uplink_progress
from senflow.cli.simulate_fleet import Fleet, create_fleet, find_fleet
from senflow.cli.simulate_pacing import Schedule
from senflow.cli.simulate_registry import REQUEST_TIMEOUT_S, SimulatorRegistry
from senflow.cli.simulate_run import run_simulation
from senflow.cli.simulate_senders import sender_for
from senflow.cli.simulate_summary import Summary


@dataclass(frozen=True)
class Options:
    """What the command line asked for, checked against the bounds."""

    device_type: DeviceType
    devices: int
    schedule: Schedule
    create: bool
    name_prefix: str
    flow_id: str | None
    project_id: str | None
    json_output: bool


@dataclass(frozen=True)
class Ran:
    summary: Summary
    fleet: Fleet
    target: str  # where the uplinks went
    interrupted: bool  # by Ctrl-C: the summary is of what was sent until then


async def simulate(settings: CliSettings, token: str, options: Options, console: Console) -> Ran:
    """Probe the target, get the devices, send."""
    sender = sender_for(options.device_type, settings)
    try:
        await sender.probe()  # before creating anything: an unreachable target costs nothing
        async with RegistryClient(settings.api_url, token, REQUEST_TIMEOUT_S) as api:
            registry = SimulatorRegistry(api)
            if options.create:
                fleet = await create_fleet(
                    registry,
                    settings.kafka_bootstrap,
                    options.device_type,
                    options.devices,
                    options.name_prefix,
                    options.flow_id,
                )
            else:
                fleet = await find_fleet(
                    registry,
                    options.device_type,
                    options.devices,
                    options.name_prefix,
                    options.project_id,
                )
        _tell_about(fleet, options, console)
        schedule = options.schedule
        if len(fleet.devices) < schedule.devices:
            schedule = Schedule(schedule.rate_per_s, schedule.total, len(fleet.devices))
        await sender.start(fleet.devices)
        description = f"{options.device_type.value} × {len(fleet.devices)}"
        shown = not options.json_output
        with (
            uplink_progress(console, description, schedule.total, shown) as on_progress,
            _stopped_by_ctrl_c(console) as stop,
        ):
            summary = await run_simulation(sender, fleet.devices, schedule, on_progress, stop=stop)
        return Ran(summary, fleet, sender.target, stop.is_set())
    finally:
        await sender.stop()


@contextlib.contextmanager
def _stopped_by_ctrl_c(console: Console) -> Iterator[asyncio.Event]:
    """An event set by the first Ctrl-C, so the run ends with its summary; a second one
    interrupts at once (the handler is the default again)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def first_ctrl_c() -> None:
        console.print("stopping: waiting for the answers in flight (Ctrl-C again to quit)")
        stop.set()
        loop.remove_signal_handler(signal.SIGINT)

    loop.add_signal_handler(signal.SIGINT, first_ctrl_c)
    try:
        yield stop
    finally:
        loop.remove_signal_handler(signal.SIGINT)


def _tell_about(fleet: Fleet, options: Options, console: Console) -> None:
    n = len(fleet.devices)
    if options.create:
        console.print(f"created {n} {options.device_type.value} devices ({options.name_prefix}-…)")
    elif n < options.devices:
        console.print(f"found {n} of {options.devices} devices named {options.name_prefix}-…")
    if fleet.new_customer_key:
        console.print(
            f"the admin token owns no devices: created customer {fleet.new_customer_id}"
            f" with API key {fleet.new_customer_key}\n(SENFLOW_API_TOKEN=<that key> with"
            " --reuse sends as these devices again)",
            highlight=False,
        )
    if options.create and not options.flow_id:
        console.print(
            "[yellow]no --flow: the platform accepts the uplinks, and the router"
            " dead-letters them as no-flow[/]"
        )
