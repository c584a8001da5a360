"""`senflow-demo` (`make demo`): drives the running platform through its public interfaces,
with the device simulator of `senflow simulate` as a library.

Creates a customer and API key (admin), a project, an HTTPS destination pointing at a
local receiver and a flow (Cayenne LPP decoder); the simulator creates a few LoRa devices
in that flow and publishes a few dozen raw uplinks to Kafka, as a network server would.
Progress shows uplinks acknowledged and delivered; then a table per device of what the
receiver got, each `Things-Message-Token` verified. Exit code 1 unless every uplink
arrived within DELIVERY_WAIT_S, 3 when the platform is unreachable.
"""

import asyncio
import contextlib
import logging
import sys
from collections.abc import Callable, Iterator

from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from senflow.cli.api_client import RegistryClient
from senflow.cli.simulate_devices import DeviceType, SimDevice
from senflow.cli.simulate_display import summary_table
from senflow.cli.simulate_errors import SimulateError
from senflow.cli.simulate_fleet import create_fleet
from senflow.cli.simulate_lora_sender import KafkaLoraSender
from senflow.cli.simulate_pacing import Schedule
from senflow.cli.simulate_registry import REQUEST_TIMEOUT_S, SimulatorRegistry
from senflow.cli.simulate_run import OnProgress, run_simulation
from senflow.cli.simulate_summary import Summary, Tally
from senflow.demo.deliveries import SentLog, deliveries_table, per_device
from senflow.demo.receiver import Received, Receiver
from senflow.demo.settings import DemoSettings
from senflow.demo.tenant import create_tenant, new_destination_secret

DEVICES = 4
UPLINKS = 40
RATE_PER_S = 20.0  # two seconds of traffic
# From the last uplink; the platform delivers within a second when all is well.
DELIVERY_WAIT_S = 20.0


@contextlib.contextmanager
def traffic_progress(
    console: Console, total: int, delivered: Callable[[], int]
) -> Iterator[tuple[OnProgress, Callable[[Received], None]]]:
    """Two bars, acknowledged by Kafka and delivered; yields the callbacks that move them."""
    progress = Progress(
        TextColumn("{task.description:<16}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )
    with progress:
        acked_bar = progress.add_task("acked by Kafka", total=total)
        delivered_bar = progress.add_task("delivered", total=total)

        def on_acked(tally: Tally) -> None:
            progress.update(acked_bar, completed=tally.accepted)

        def on_delivered(_: Received) -> None:
            progress.update(delivered_bar, completed=delivered())

        yield on_acked, on_delivered


async def scenario(settings: DemoSettings, console: Console) -> bool:
    """Run the demo; True when every uplink was delivered with a valid token."""
    receiver = Receiver(new_destination_secret())
    url = await receiver.start()
    sender = KafkaLoraSender(settings.kafka_bootstrap)
    log = SentLog()
    try:
        await sender.probe()
        admin_token = settings.admin_token.get_secret_value()
        async with RegistryClient(settings.api_url, admin_token, REQUEST_TIMEOUT_S) as api:
            tenant = await create_tenant(SimulatorRegistry(api), url, receiver.secret)
            fleet = await create_fleet(
                tenant.api,
                settings.kafka_bootstrap,
                DeviceType.lora,
                DEVICES,
                "demo-sensor",
                tenant.flow_id,
            )
        console.print(
            f"customer    {tenant.customer_id}\nflow        {tenant.flow_id} (cayenne-lpp)\n"
            f"destination {tenant.destination_id} → {url}\n"
            f"devices     {len(fleet.devices)} LoRa devices (own-lora), in the flow\n",
            highlight=False,
        )
        await sender.start(fleet.devices)
        schedule = Schedule.plan(RATE_PER_S, DEVICES, count=UPLINKS)

        def delivered() -> int:
            return log.delivered(receiver.received)

        with traffic_progress(console, schedule.total, delivered) as (on_acked, on_delivered):
            receiver.on_arrival = on_delivered
            summary = await run_simulation(sender, fleet.devices, schedule, on_acked, log.record)
            arrived = await receiver.wait_until(
                lambda: delivered() == len(log.acked), DELIVERY_WAIT_S
            )
    finally:
        await sender.stop()
        await receiver.stop()
    return report(console, summary, sender.target, log, receiver, fleet.devices, arrived)


def report(
    console: Console,
    summary: Summary,
    target: str,
    log: SentLog,
    receiver: Receiver,
    devices: list[SimDevice],
    arrived: bool,
) -> bool:
    console.print(summary_table(summary, "Uplinks published", target))
    rows = per_device(devices, log, receiver.received)
    console.print(deliveries_table(rows, log.sent))
    if receiver.received:
        console.print(f"one delivery: {receiver.received[0].body.decode()}", highlight=False)
    tokens_ok = all(r.token_valid for r in receiver.received)
    ok = summary.ok and arrived and tokens_ok
    if ok:
        console.print(f"[green]demo succeeded[/]: {len(log.acked)} uplinks, all delivered")
    elif not arrived:
        console.print(
            f"[red]demo FAILED[/]: {log.delivered(receiver.received)} of {len(log.acked)}"
            f" uplinks delivered within {DELIVERY_WAIT_S:.0f} s"
        )
    else:
        console.print("[red]demo FAILED[/]: an uplink was refused or a token did not verify")
    return ok


def main() -> None:
    console = Console()
    # The Kafka client logs each failed connection itself; the one-line error says it.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    try:
        settings = DemoSettings()
    except ValidationError:
        console.print('[red]senflow-demo:[/] set REGISTRY_ADMIN_TOKEN (source "$(scripts/env.sh)")')
        sys.exit(2)
    try:
        ok = asyncio.run(scenario(settings, console))
    except SimulateError as err:
        console.print(f"[red]senflow-demo:[/] {err}", highlight=False)
        sys.exit(err.exit_code)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
