"""``pricewatch report``: render the daily HTML report."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from core.settings import settings_for
from pricewatch.cli_common import DAY, db_option


@click.command()
@click.option("--as-of", "as_of", type=DAY, default=None,
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
