"""``pricewatch``: the command line. Prefect is imported only by the commands that need it."""
from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click
import duckdb

from core.settings import SettingsError
from pricewatch.cli_common import echo_err
from warehouse.db import WarehouseError, is_damaged_file_error

# Modules that add their own commands with ``register(group)``.
COMMAND_MODULES = ("pricewatch.cli_run", "pricewatch.cli_warehouse", "pricewatch.cli_costs",
                   "pricewatch.cli_alerts", "pricewatch.cli_report", "pricewatch.cli_market")


class FriendlyGroup(click.Group):
    """Every expected failure is one line on stderr, never a traceback.

    Exit 2: bad input (a usage error, a bad setting, a warehouse that is missing, locked, not a
    warehouse or older than the code). Exit 1: anything else that went wrong at run time; set
    PRICEWATCH_DEBUG=1 to get the traceback of an unexpected error."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            command = f" {ctx.invoked_subcommand}" if ctx.invoked_subcommand else ""
            echo_err(f"error: {exc.format_message()} (see `pricewatch{command} --help`)")
            sys.exit(2)
        except (SettingsError, WarehouseError) as exc:
            echo_err(f"error: {exc}")
            sys.exit(2)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:  # the last resort: one line, not a traceback (re-raised under PRICEWATCH_DEBUG)
            if os.environ.get("PRICEWATCH_DEBUG"):
                raise
            echo_err(f"error: {_describe(exc)}")
            sys.exit(1)


def _describe(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where}"
    if isinstance(exc, duckdb.Error):
        text = str(exc).strip().splitlines()
        damaged = " (the file is damaged or truncated: not a usable pricewatch warehouse)" if is_damaged_file_error(
            exc) else ""
        return f"DuckDB: {text[0] if text else type(exc).__name__}{damaged}"
    first = str(exc).strip().splitlines()
    return (f"unexpected {type(exc).__name__}: {first[0] if first else ''} "
            f"(set PRICEWATCH_DEBUG=1 for the traceback and please report it)")


@click.group(cls=FriendlyGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """pricewatch: what does our fine-tune cost today, and what changed?

    Collects GPU rental prices (RunPod, Vast.ai, Lambda), fine-tuning token prices and model
    deprecations into a DuckDB history, reprices standard fine-tuning scenarios and alerts on
    drift.

    \b
    Quick start:
      pricewatch run --offline        load the bundled snapshots (no network needed)
      pricewatch sql "select * from gpu_prices_latest limit 10"
      pricewatch status               health of every source
    """


for _module in COMMAND_MODULES:
    try:
        importlib.import_module(_module).register(main)
    except ModuleNotFoundError as _exc:
        if _exc.name != _module:
            raise

if __name__ == "__main__":  # pragma: no cover
    main()
