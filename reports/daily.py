"""Daily report step of the daily run: render the HTML report for a day and write it to disk.

The warehouse is opened read-only and closed before anything is written, so the report never
holds the DuckDB file while other steps want it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from pricewatch.settings import Settings
from reports.data import ReportData, latest_observation_date, load_report_data
from reports.render import render_html
from warehouse.db import read_connection


@dataclass(frozen=True)
class WrittenReport:
    as_of: date
    path: Path
    bytes: int
    empty: bool

    def summary(self) -> str:
        note = " (no data for this day)" if self.empty else ""
        return f"report for {self.as_of.isoformat()} written to {self.path} ({self.bytes / 1e6:.1f} MB){note}"


def today_utc() -> date:
    return datetime.now(timezone.utc).date()


def read_report_data(settings: Settings, as_of: date | None = None) -> ReportData:
    """Open the warehouse read-only, gather everything for ``as_of`` (default: latest observation day), close."""
    with read_connection(settings.db_path) as con:
        day = as_of or latest_observation_date(con) or today_utc()
        return load_report_data(con, day)


def write_report(settings: Settings, as_of: date | None = None, out: Path | None = None) -> WrittenReport:
    """Render the report; write ``out`` or ``<reports_dir>/<date>.html`` plus ``latest.html``."""
    data = read_report_data(settings, as_of)
    html = render_html(data).encode("utf-8")
    targets = [out] if out is not None else [settings.reports_dir / f"{data.as_of.isoformat()}.html",
                                             settings.reports_dir / "latest.html"]
    for target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(html)
    return WrittenReport(data.as_of, targets[0], len(html), data.is_empty)


def render_latest(settings: Settings) -> str:
    """The after-load step: the report for the latest observation day. Returns a one-line summary."""
    return write_report(settings).summary()
