"""Placeholder: `senflow dlq` is being written."""

import typer

app = typer.Typer(help="Dead letters (placeholder).")
