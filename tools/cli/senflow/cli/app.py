"""`senflow`: the operator CLI. Each command lives in its own module; this file only
assembles them."""

import typer

from senflow.cli import dlq, lag, simulate, tail

app = typer.Typer(
    name="senflow",
    help="Operate a Senflow platform: consumer lag, a device simulator, a message tail, "
    "dead letters. Reads SENFLOW_KAFKA_BOOTSTRAP, SENFLOW_API_URL and SENFLOW_API_TOKEN.",
    no_args_is_help=True,
    add_completion=False,
)
app.command("lag")(lag.command)
app.command("simulate")(simulate.command)
app.command("tail")(tail.command)
app.add_typer(dlq.app, name="dlq")


def main() -> None:
    app()
