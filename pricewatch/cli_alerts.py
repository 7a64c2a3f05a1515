"""``pricewatch dbt ...`` (dbt with the project's profiles and the right warehouse) and
``pricewatch alerts`` (list drift alerts)."""
from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import get_args

import click

from core.settings import settings_for
from drift.rules import Severity
from pricewatch.cli_common import DAY_OR_TIME, Choice, db_option
from pricewatch.output import FORMATS, render

SEVERITIES: tuple[str, ...] = get_args(Severity)  # lowest first: info, warning, critical

ALERTS_SQL = """
SELECT first_seen_at, severity, rule, key, state, resolved_at, message, alert_id
FROM alerts
WHERE (?::TIMESTAMP IS NULL OR first_seen_at >= ? OR resolved_at >= ?)
  AND (? = 'all' OR state = ?)
  AND CASE severity WHEN 'critical' THEN 3 WHEN 'warning' THEN 2 ELSE 1 END >= ?
ORDER BY first_seen_at, rule, key
"""


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                 "help_option_names": []})
@db_option
@click.argument("dbt_args", nargs=-1, type=click.UNPROCESSED)
def dbt(db: Path | None, dbt_args: tuple[str, ...]) -> None:
    """Run dbt on the warehouse's history models, e.g. `pricewatch dbt build`,
    `pricewatch dbt docs generate`, `pricewatch dbt test --select marts`.

    Runs in a subprocess with dbt_models/ as project and profiles dir, the warehouse from --db or
    $PRICEWATCH_DB, and target/logs under data/dbt/. Close other writers first (one writer per
    DuckDB file).
    """
    from drift.dbt_runner import run_dbt

    if not dbt_args:
        dbt_args = ("--help",)
    result = run_dbt(settings_for(db), list(dbt_args), capture=False)
    sys.exit(result.returncode)


@click.command()
@click.option("--since", type=DAY_OR_TIME, default=None,
              help="Only alerts opened or resolved on or after this date (UTC).")
@click.option("--state", type=click.Choice(["open", "resolved", "all"]), default="all", show_default=True)
@click.option("--severity", type=Choice(SEVERITIES, what="severity"), default="info", show_default=True,
              help="Only alerts of this severity or higher (info < warning < critical).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--evaluate", is_flag=True, help="Evaluate the drift rules and deliver before listing.")
@db_option
def alerts(since: datetime | None, state: str, severity: str, fmt: str, evaluate: bool, db: Path | None) -> None:
    """Drift alerts: price moves, suspect prices, new/vanished offerings, lifecycle events and
    reminders, scenario cost moves, stale sources. Rules: drift/rules.yaml or $PRICEWATCH_RULES.

    Reads the published copy (refreshed at the end of every write; with --evaluate, after the
    evaluation's write), falling back to the warehouse itself with a note, as `sql` does.
    """
    from warehouse.publish import published_reader

    settings = settings_for(db)
    if evaluate:
        from drift.daily import evaluate_and_notify
        from warehouse.publish import publish

        click.echo(evaluate_and_notify(settings), err=True)
        publish(settings)   # the evaluation wrote alerts: readers (this listing too) see them
    with published_reader(settings) as (con, source):
        if source.note:
            click.echo(source.note, err=True)
        cursor = con.execute(ALERTS_SQL, [since, since, since, state, state, SEVERITIES.index(severity) + 1])
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    click.echo(render(columns, rows, fmt))


def register(group: click.Group) -> None:
    group.add_command(dbt)
    group.add_command(alerts)
