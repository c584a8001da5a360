"""`senflow simulate`: N devices of one type sending uplinks through the platform's own
device interfaces, at a total rate, for a duration or a count; a progress bar while it
runs, then a summary (or `--json`). Exit code 0 when every uplink was accepted, 1 when
any was not, 2 for options out of bounds, 3 when a target is unreachable or the registry
refuses the devices."""

import asyncio
import json
import logging
from typing import Annotated

import typer
from rich.console import Console

from senflow.cli.settings import CliSettings, load_settings
from senflow.cli.simulate_devices import DeviceType
from senflow.cli.simulate_display import summary_table
from senflow.cli.simulate_errors import InvalidPlan, SimulateError
from senflow.cli.simulate_fleet import default_name_prefix
from senflow.cli.simulate_pacing import (
    MAX_COUNT,
    MAX_DEVICES,
    MAX_DURATION_S,
    MAX_RATE_PER_S,
    MIN_RATE_PER_S,
    Schedule,
)
from senflow.cli.simulate_senders import max_devices
from senflow.cli.simulate_session import Options, Ran, simulate

INTERRUPTED = 130  # as a shell reports a command ended by Ctrl-C
NO_TOKEN = (
    "no API token: set SENFLOW_API_TOKEN to a customer API key, or REGISTRY_ADMIN_TOKEN"
    ' (locally: set -a; source "$(scripts/env.sh)"; set +a)'
)


def command(
    device_type: Annotated[
        DeviceType,
        typer.Option(
            "--type",
            "-t",
            help="lora: raw uplinks on Kafka, as a network server publishes them;"
            " internet, m2m: SenML posted to the ingest with valid tokens;"
            " mqtt: SenML published to the broker as each device.",
            case_sensitive=False,
        ),
    ],
    devices: Annotated[
        int, typer.Option("--devices", "-n", min=1, max=MAX_DEVICES, help="How many devices.")
    ] = 10,
    rate: Annotated[
        float,
        typer.Option(
            min=MIN_RATE_PER_S, max=MAX_RATE_PER_S, help="Uplinks per second, all devices together."
        ),
    ] = 10.0,
    duration: Annotated[
        float | None,
        typer.Option(
            min=0.001, max=MAX_DURATION_S, help="Seconds to send for (10 without --count)."
        ),
    ] = None,
    count: Annotated[
        int | None,
        typer.Option(min=1, max=MAX_COUNT, help="Uplinks to send (with --duration: the fewer)."),
    ] = None,
    create: Annotated[
        bool,
        typer.Option(
            "--create/--reuse",
            help="Create the devices (named <name>-00001, …), or reuse those a previous"
            " --create made with the same API key.",
        ),
    ] = True,
    name: Annotated[
        str | None, typer.Option(help="Device name prefix [default: sim-<type>].")
    ] = None,
    flow: Annotated[
        str | None,
        typer.Option(
            help="With --create: add the devices to this flow of yours (its decoders must"
            " suit them: cayenne-lpp or lora-raw for lora, senml for the others).",
        ),
    ] = None,
    project: Annotated[
        str | None, typer.Option(help="With --reuse: only devices in this project's flows.")
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the summary as JSON, without a progress bar.")
    ] = False,
) -> None:
    """Simulate devices sending uplinks through the platform's device interfaces."""
    settings = load_settings(CliSettings)
    # Messages whole, not wrapped at 80 columns when stderr is no terminal: scripts grep them.
    err = Console(stderr=True, soft_wrap=True)
    # The Kafka client logs each failed connection itself; the one-line error below says it.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    try:
        options = _options(
            device_type, devices, rate, duration, count, create, name, flow, project, json_output
        )
        if settings.api_token is None:
            raise InvalidPlan(NO_TOKEN)
        ran = asyncio.run(simulate(settings, settings.api_token.get_secret_value(), options, err))
    except SimulateError as error:
        err.print(f"[red]senflow simulate:[/] {error}", highlight=False)
        raise typer.Exit(error.exit_code) from None
    _show(ran, device_type, json_output)
    raise typer.Exit(INTERRUPTED if ran.interrupted else 0 if ran.summary.ok else 1)


def _show(ran: Ran, device_type: DeviceType, json_output: bool) -> None:
    """The summary on stdout: a table, or one JSON object."""
    devices = len(ran.fleet.devices)
    if not json_output:
        title = f"senflow simulate: {device_type.value} × {devices} devices"
        Console().print(summary_table(ran.summary, title, ran.target))
        return
    report: dict[str, object] = {"type": device_type.value, "devices": devices}
    report |= {"target": ran.target, "interrupted": ran.interrupted} | ran.summary.as_dict()
    if ran.fleet.new_customer_key:
        report["new_customer"] = {
            "id": ran.fleet.new_customer_id,
            "api_key": ran.fleet.new_customer_key,
        }
    typer.echo(json.dumps(report))


def _options(
    device_type: DeviceType,
    devices: int,
    rate: float,
    duration: float | None,
    count: int | None,
    create: bool,
    name: str | None,
    flow: str | None,
    project: str | None,
    json_output: bool,
) -> Options:
    """The options, checked before anything is sent or created."""
    schedule = Schedule.plan(rate, devices, duration, count)
    limit = max_devices(device_type)
    if limit is not None and devices > limit:
        raise InvalidPlan(f"--devices: at most {limit} {device_type.value} devices")
    if flow and not create:
        raise InvalidPlan("--flow goes with --create (reused devices keep their flows)")
    if project and create:
        raise InvalidPlan("--project goes with --reuse")
    prefix = name or default_name_prefix(device_type)
    return Options(device_type, devices, schedule, create, prefix, flow, project, json_output)
