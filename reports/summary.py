"""A short markdown summary of the daily report, for the Prefect artifact (Prefect-free here).

Rendered from the same ``ReportData`` as the HTML page (``reports.daily.write_report``), with the
path of the page actually written.
"""
from __future__ import annotations

from pathlib import Path

import jinja2

from reports.model import ReportData
from reports.render import cheapest_rows, environment

SHOWN = 8  # rows per list
UPCOMING_DAYS = 90


def cell(value: object) -> str:
    """A markdown table cell: no pipes, no newlines."""
    return str(value).replace("|", "/").replace("\n", " ")


def _environment() -> jinja2.Environment:
    env = environment(autoescape=False, keep_trailing_newline=True)
    env.filters["cell"] = cell
    return env


def render_summary(data: ReportData, report_path: Path | None = None) -> str:
    """Alerts, cheapest GPUs, changes since yesterday, scenario costs and upcoming wind-downs."""
    upcoming = [e for e in data.lifecycle if e["days_left"] is not None and 0 <= e["days_left"] <= UPCOMING_DAYS]
    return _environment().get_template("summary.md.j2").render(
        data=data, cheapest=cheapest_rows(data), upcoming=upcoming, shown=SHOWN, report_path=report_path,
    )
