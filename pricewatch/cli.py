"""``pricewatch``: the command line. Prefect is imported only by the commands that need it."""
from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import click
import duckdb

from core.settings import settings_for
from pricewatch.cli_common import db_option, echo_err
from pricewatch.output import FORMATS, render
from warehouse.db import WarehouseLocked, WarehouseMissing, read_connection

# Modules that add their own commands with ``register(group)``.
COMMAND_MODULES = ("pricewatch.cli_costs", "pricewatch.cli_alerts", "pricewatch.cli_report", "pricewatch.cli_market")

class FriendlyGroup(click.Group):
    """Turns the warehouse's expected failures into one clear line and exit code 2."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except (WarehouseLocked, WarehouseMissing) as exc:
            echo_err(f"error: {exc}")
            sys.exit(2)


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


@main.command()
@db_option
@click.option("--offline", is_flag=True, help="Load the bundled snapshots instead of fetching live.")
@click.option("--no-prefect", is_flag=True,
              help="Run the same steps in-process without starting a Prefect flow (faster start).")
def run(db: Path | None, offline: bool, no_prefect: bool) -> None:
    """Run the daily job once: collect every source, reprice, alert, report.

    Live by default. A source that fails is reported and the others go on; when no provider
    is reachable at all, the bundled snapshots are loaded instead, with a warning. Exits 1 when
    any source or step had errors (so cron notices), 0 otherwise.
    """
    settings = settings_for(db)
    if no_prefect:
        from flows.pipeline import run_daily

        summary = run_daily(settings, offline=offline, progress=echo_err)
    else:
        from flows.daily import daily_prices  # sets PREFECT_SERVER_ANALYTICS_ENABLED=false itself

        summary = daily_prices(offline=offline, db=str(settings.db_path))
    click.echo(summary.to_markdown())
    if not summary.ok:
        echo_err("pricewatch run finished with errors (see the table above); the other sources "
                 "and steps completed. Exit code 1.")
        sys.exit(1)


@main.command()
@click.option("--cron", default="0 6 * * *", show_default=True, help="Schedule (UTC).")
@db_option
def serve(cron: str, db: Path | None) -> None:
    """Schedule the daily flow on a Prefect server (06:00 UTC by default).

    Needs a real server: run `prefect server start` in another terminal and
    `export PREFECT_API_URL=http://127.0.0.1:4200/api` first. The README shows the cron
    alternative, which needs no server.
    """
    if not os.environ.get("PREFECT_API_URL"):
        echo_err("error: `pricewatch serve` needs a running Prefect server; an ephemeral one cannot schedule.\n"
                 "  1. prefect server start            (in another terminal)\n"
                 "  2. export PREFECT_API_URL=http://127.0.0.1:4200/api\n"
                 "  3. pricewatch serve\n"
                 "Or schedule `pricewatch run` with cron (see README, 'Scheduling').")
        sys.exit(2)
    from flows.daily import daily_prices

    params = {"db": str(db)} if db else {}
    daily_prices.serve(name="daily-prices", cron=cron, parameters=params)


@main.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@db_option
@click.option("--source", "sources", multiple=True, help="Only these sources (repeatable).")
@click.option("--quiet", is_flag=True, help="No per-batch progress lines.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
              help="Format of the closing per-source summary.")
def replay(directory: Path, db: Path | None, sources: tuple[str, ...], quiet: bool, fmt: str) -> None:
    """Load snapshot files as if fetched at their timestamps.

    Layout: DIRECTORY/<source>/<UTC timestamp>.<ext>, e.g. runpod/2025-06-21T231857Z.json.
    Files may be gzip-compressed (.gz); data/raw, the raw archive, is itself replayable.
    Malformed files are recorded as failed fetches and the replay goes on.
    """
    from warehouse.replay import replay as do_replay

    settings = settings_for(db)
    summaries = do_replay(settings, directory, sources=sources or None, progress=None if quiet else echo_err)
    rows = [(s.source, s.fetched, s.parsed, s.added, s.skipped, len(s.errors)) for s in summaries.values()]
    click.echo(render(["source", "files", "parsed", "rows_added", "already_loaded", "errors"], rows, fmt))
    for s in summaries.values():
        for error in s.errors:
            echo_err(f"  {error}")


@main.command()
@click.argument("query", required=False)
@click.option("--file", "query_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Read the query from a .sql file.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@db_option
def sql(query: str | None, query_file: Path | None, fmt: str, db: Path | None) -> None:
    """Run a SQL query against the warehouse, read-only.

    \b
    Public views: gpu_price_history, gpu_prices_latest, fetch_log, token_price_history,
    token_prices_latest, model_lifecycle_events, scenario_costs, alerts.
    Example: pricewatch sql "select provider, count(*) from gpu_price_history group by 1"
    """
    if bool(query) == bool(query_file):
        raise click.UsageError("give a QUERY or --file, not both and not neither")
    text = query_file.read_text() if query_file else query
    with read_connection(settings_for(db).db_path) as con:
        try:
            cursor = con.execute(text)
        except duckdb.Error as exc:
            echo_err(f"error: {exc}")
            sys.exit(1)
        if cursor.description is None:
            return
        columns = [d[0] for d in cursor.description]
        click.echo(render(columns, cursor.fetchall(), fmt))


@main.command()
@db_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def status(db: Path | None, fmt: str) -> None:
    """Per source: last successful fetch, its age, failures in the last 7 days, last error."""
    from core.clock import utcnow
    from warehouse.status import source_status

    with read_connection(settings_for(db).db_path) as con:
        columns, rows = source_status(con, utcnow())
    click.echo(render(columns, rows, fmt))


for _module in COMMAND_MODULES:
    try:
        importlib.import_module(_module).register(main)
    except ModuleNotFoundError as _exc:
        if _exc.name != _module:
            raise

if __name__ == "__main__":  # pragma: no cover
    main()
