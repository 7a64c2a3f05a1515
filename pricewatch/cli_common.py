"""Pieces every ``pricewatch`` command module shares (kept apart from cli.py to avoid import cycles)."""
from __future__ import annotations

from pathlib import Path

import click

db_option = click.option(
    "--db", "db", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="DuckDB warehouse file. Default: $PRICEWATCH_DB or data/pricewatch.duckdb.",
)


def echo_err(message: str) -> None:
    click.echo(message, err=True)
