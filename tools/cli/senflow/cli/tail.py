"""Placeholder: `senflow tail` is being written."""

import typer


def command() -> None:
    """Not written yet."""
    raise typer.Exit(2)
