"""``pricewatch report``: render the daily HTML report."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from core.settings import settings_for
from pricewatch.cli_common import db_option


def _parse_day(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD, e.g. 2026-02-11") from None


@click.command()
@click.option("--as-of", "as_of", callback=_parse_day, default=None, metavar="DATE",
              help="Report day (YYYY-MM-DD). Default: the latest observation day in the warehouse.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write only this file. Default: <reports dir>/<date>.html and latest.html.")
@click.option("--customer-profile", "customer_profile", type=click.Choice(["new", "inactive", "active"]),
              default=None, help="Price the scenario section for this customer profile (default: as stored, "
                                 "the cost policy's profile).")
@db_option
def report(as_of: date | None, out: Path | None, customer_profile: str | None, db: Path | None) -> None:
    """Render the self-contained HTML report (charts inlined, opens offline in any browser).

    The reports folder is $PRICEWATCH_REPORTS_DIR (default reports/out).
    """
    from reports.daily import write_report

    settings = settings_for(db)
    written = write_report(settings, as_of, out, customer_profile)
    click.echo(written.summary())


def register(group: click.Group) -> None:
    group.add_command(report)


__all__ = ["register", "report"]
