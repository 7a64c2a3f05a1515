"""``pricewatch run`` (the daily job once) and ``pricewatch serve`` (the daily job on a schedule).

Exit codes of ``run`` (README, "Quick start"): 0 all good; 1 a source, step or alert delivery
failed (the rest completed); 2 bad command line or configuration; 3 no provider was reachable,
the bundled snapshots were loaded instead (an offline demo: `make run` accepts it with a
warning, cron and monitoring see it); 4 another run holds this warehouse (nothing done).
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import NoReturn

import click

from core.settings import Settings
from flows.pipeline import ExitCode, RunSummary
from flows.runlock import RunInProgress, run_lock
from pricewatch.cli_common import check_writable, db_option, echo_err, load_settings

DEFAULT_CRON = "0 6 * * *"


def log(message: str) -> None:
    """A dated line on stderr (cron.log shows when it happened)."""
    echo_err(f"{datetime.now():%Y-%m-%d %H:%M:%S} | {message}")


@click.command()
@db_option
@click.option("--offline", is_flag=True, help="Load the bundled snapshots instead of fetching live.")
@click.option("--no-prefect", is_flag=True,
              help="Run the same steps in this process without Prefect (no API server to start).")
@click.option("--collect-only", is_flag=True, help="Collect and load only: skip repricing, dbt, alerts and report.")
@click.option("--wait", "wait_s", type=click.FloatRange(0, 86400), default=None, metavar="SECONDS",
              help="How long to wait for another run holding this warehouse before giving up with exit code 4. "
                   "Default: $PRICEWATCH_RUN_WAIT_S, else 0.")
def run(db: Path | None, offline: bool, no_prefect: bool, collect_only: bool, wait_s: float | None) -> None:
    """Run the daily job once: collect every source, reprice, alert, report.

    Live by default, every source at once. A source that fails is reported and the others go
    on; when no provider is reachable at all, the bundled snapshots are loaded instead.

    \b
    Exit codes:
      0  every source and step succeeded
      1  a source, step or alert delivery failed (the rest completed)
      2  bad command line or configuration
      3  no provider reachable: loaded the bundled snapshots instead (offline demo)
      4  another run is using this warehouse: nothing done (see --wait)
    """
    started = time.monotonic()
    settings = load_settings(db)  # a bad setting: one line, exit code 2 (pricewatch.cli.FriendlyGroup)
    check_writable(settings)  # run creates the warehouse (and PRICEWATCH_HOME) when there is none
    if wait_s is not None:
        settings = replace(settings, run_wait_s=wait_s)
    try:
        with run_lock(settings.db_path, wait_s=settings.run_wait_s, on_wait=log):
            if no_prefect:
                summary = run_in_process(settings, offline=offline, post_steps=not collect_only)
            else:
                summary = run_flow(settings, offline=offline, post_steps=not collect_only)
    except RunInProgress as exc:
        log(f"error: {exc}")
        sys.exit(ExitCode.LOCKED)
    click.echo(summary.to_markdown())
    finish(summary, time.monotonic() - started)


def run_in_process(settings: Settings, *, offline: bool, post_steps: bool) -> RunSummary:
    from flows.pipeline import run_daily

    return run_daily(settings, offline=offline, progress=log, post_steps=post_steps)


def run_flow(settings: Settings, *, offline: bool, post_steps: bool) -> RunSummary:
    """The daily flow with a temporary Prefect API (or the server in $PREFECT_API_URL). The
    server starts first, so it boots while Prefect and the flow are imported."""
    from flows.tempserver import ApiServerFailed, temporary_api

    with temporary_api() as api:
        from flows.daily import run_once  # imports Prefect (seconds) while the server starts

        try:
            api_url = api.wait() if api else None
        except ApiServerFailed as exc:
            log(f"error: {exc}")
            sys.exit(ExitCode.FAILED)
        state, summary = run_once(api_url, offline=offline, db=str(settings.db_path), post_steps=post_steps)
    if summary is None:
        log(f"error: the daily flow ended {state.name} without a summary: {state.message}")
        sys.exit(ExitCode.FAILED)
    return summary


def finish(summary: RunSummary, seconds: float) -> NoReturn:
    took = f"in {seconds:.0f} s"
    if summary.status == "ok":
        log(f"pricewatch run ok {took}: {summary.headline()}")
    elif summary.status == "fell_back":
        log(f"error: {summary.headline()} {took} (exit code {int(ExitCode.FELL_BACK)}: an offline demo, "
            "not a live run; the live errors are in the table above)")
    else:
        log(f"error: pricewatch run finished with errors {took}: {summary.headline()}; the other sources "
            f"and steps completed (exit code {int(ExitCode.FAILED)}, details in the table above)")
    sys.exit(summary.exit_code)


@click.command()
@click.option("--cron", default=None, help=f"Schedule, cron syntax in UTC. Default: {DEFAULT_CRON!r}.")
@click.option("--interval", type=click.FloatRange(min=1), default=None, metavar="SECONDS",
              help="Run every SECONDS instead of on a cron schedule.")
@click.option("--offline", is_flag=True, help="Scheduled runs load the bundled snapshots (a demo).")
@click.option("--collect-only", is_flag=True, help="Scheduled runs collect and load only (no steps).")
@click.option("--name", default="daily-prices", show_default=True, help="Deployment name.")
@db_option
def serve(cron: str | None, interval: float | None, offline: bool, collect_only: bool, name: str,
          db: Path | None) -> None:
    """Schedule the daily flow on a Prefect server (06:00 UTC by default), one run at a time.

    Needs a real server: run `prefect server start` in another terminal and
    `export PREFECT_API_URL=http://127.0.0.1:4200/api` first. The README shows the cron
    alternative, which needs no server, and `prefect deploy` to a work pool.
    """
    if cron and interval:
        raise click.UsageError("give --cron or --interval, not both")
    if not os.environ.get("PREFECT_API_URL"):
        echo_err("error: `pricewatch serve` needs a running Prefect server; an ephemeral one cannot schedule.\n"
                 "  1. prefect server start            (in another terminal)\n"
                 "  2. export PREFECT_API_URL=http://127.0.0.1:4200/api\n"
                 "  3. pricewatch serve\n"
                 "Or schedule `pricewatch run` with cron (see README, 'Scheduling').")
        sys.exit(ExitCode.USAGE)
    load_settings(db)  # a bad limit in the environment fails now, not in every scheduled run
    params: dict[str, object] = {"offline": offline, "post_steps": not collect_only}
    if db:
        params["db"] = str(db.absolute())
    from flows.daily import serve_daily

    serve_daily(cron=None if interval else (cron or DEFAULT_CRON), interval=interval, parameters=params, name=name)


def register(group: click.Group) -> None:
    group.add_command(run)
    group.add_command(serve)
