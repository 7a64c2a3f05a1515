"""Daily report step of the daily run: render the HTML report for a day and write it to disk.

One build (``ReportData``) feeds both outputs: the HTML page and the short markdown summary
(``reports.summary``). The warehouse is opened read-only and closed before anything is written,
so the report never holds the DuckDB file while other steps want it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from core.files import atomic_write_bytes, atomic_write_text
from core.settings import Settings
from reports.assembly import load_report_data
from reports.model import ReportData
from reports.render import render_html
from reports.summary import render_summary
from warehouse.asof import latest_observation_date
from warehouse.db import read_connection
from warehouse.policy import load_policy

LATEST_HTML = "latest.html"
LATEST_SUMMARY = "latest.md"  # the markdown summary of latest.html, for the Prefect artifact


@dataclass(frozen=True)
class WrittenReport:
    as_of: date
    path: Path
    bytes: int
    empty: bool
    summary_markdown: str = ""
    wrote_latest: bool = False

    def summary(self) -> str:
        note = " (no data for this day)" if self.empty else ""
        return f"report for {self.as_of.isoformat()} written to {self.path} ({self.bytes / 1e6:.1f} MB){note}"


def today_utc() -> date:
    return datetime.now(UTC).date()


def newest_day(con: duckdb.DuckDBPyConnection) -> date | None:
    """``warehouse.asof.latest_observation_date``; None for a file that was never migrated."""
    try:
        return latest_observation_date(con)
    except duckdb.CatalogException:
        return None


def read_report_data(settings: Settings, as_of: date | None = None, customer_profile: str | None = None) -> ReportData:
    """Open the warehouse read-only, gather everything for ``as_of`` (default: latest observation day), close.
    Without ``as_of`` the freshness of the prices is judged on today's date (UTC), with it on that day;
    the limits are the settings' pricing policy (``warehouse.policy.load_policy``)."""
    policy = load_policy(settings)
    with read_connection(settings.db_path) as con:
        latest = newest_day(con)
        return load_report_data(con, as_of or latest or today_utc(), latest_day=latest,
                                customer_profile=customer_profile, policy=policy,
                                today=None if as_of is not None else today_utc())


def write_report(settings: Settings, as_of: date | None = None, out: Path | None = None,
                 customer_profile: str | None = None) -> WrittenReport:
    """Render the report; write ``out``, or ``<reports_dir>/<date>.html`` plus, when the day is the
    newest one with data, ``latest.html`` and its markdown summary ``latest.md``. A report for a
    past day never replaces ``latest.html``. The summary (also returned) names the page written."""
    data = read_report_data(settings, as_of, customer_profile)
    html = render_html(data).encode("utf-8")
    target = out if out is not None else settings.reports_dir / f"{data.as_of.isoformat()}.html"
    markdown = render_summary(data, target)
    targets = [target]
    write_latest = out is None and data.is_latest
    if write_latest:
        targets.append(settings.reports_dir / LATEST_HTML)
    for path in targets:  # atomically: a failed write never leaves a partial or empty page
        atomic_write_bytes(path, html)
    if write_latest:
        atomic_write_text(settings.reports_dir / LATEST_SUMMARY, markdown)
    return WrittenReport(data.as_of, target, len(html), data.is_empty, markdown, write_latest)


def render_latest(settings: Settings) -> str:
    """The after-load step: the report for the latest observation day (HTML plus ``latest.md``,
    which the Prefect flow publishes as an artifact). Returns a one-line summary."""
    return write_report(settings).summary()


def latest_summary(settings: Settings) -> str | None:
    """The markdown summary written with ``latest.html`` by the last ``render_latest``; None if none."""
    path = settings.reports_dir / LATEST_SUMMARY
    return path.read_text(encoding="utf-8") if path.exists() else None
