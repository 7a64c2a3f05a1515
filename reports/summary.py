"""A short markdown summary of the daily report, for the Prefect artifact (Prefect-free here)."""
from __future__ import annotations

from datetime import date

import jinja2

from pricewatch.settings import Settings
from reports.daily import read_report_data
from reports.render import TEMPLATES, cheapest_rows, day, pct, pct_change, usd

SHOWN = 8  # rows per list


def cell(value: object) -> str:
    """A markdown table cell: no pipes, no newlines."""
    return str(value).replace("|", "/").replace("\n", " ")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=False,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    env.filters.update(usd=usd, pct=pct, day=day, cell=cell)
    env.globals.update(pct_change=pct_change)
    return env


def markdown_summary(settings: Settings, as_of: date | None = None) -> str:
    """Alerts, cheapest GPUs, changes since yesterday, scenario costs and upcoming wind-downs."""
    data = read_report_data(settings, as_of)
    upcoming = [e for e in data.lifecycle if e["days_left"] is not None and 0 <= e["days_left"] <= 90]
    return _environment().get_template("summary.md.j2").render(
        data=data, cheapest=cheapest_rows(data), upcoming=upcoming, shown=SHOWN,
        report_path=settings.reports_dir / f"{data.as_of.isoformat()}.html",
    )
