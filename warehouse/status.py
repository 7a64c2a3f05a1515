"""Per-source health: last successful fetch, its age, recent failures, and a verdict.

A source is
* ``failing`` when its latest batch (the fetches of its latest run or replayed file) has a
  failed fetch (``http_error``, ``network_error``, ``parse_error``),
* ``stale`` when its last successful fetch is older than the staleness limit (or it never had
  one: ``never``),
* ``ok`` otherwise.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb

FAILED_OUTCOMES = ("http_error", "network_error", "parse_error")
DEFAULT_STALE_AFTER = timedelta(hours=36)

STATUS_SQL = f"""
WITH latest_batch AS (
    SELECT source, max(observed_at) AS observed_at FROM fetch_log GROUP BY source
), per_source AS (
    SELECT f.source,
           max(f.fetched_at) FILTER (WHERE f.outcome = 'ok') AS last_success,
           max(f.fetched_at) AS last_attempt,
           count(*) FILTER (WHERE f.outcome IN {FAILED_OUTCOMES} AND f.fetched_at >= ? - INTERVAL 7 DAY)
               AS failures_7d,
           bool_or(f.outcome IN {FAILED_OUTCOMES}) FILTER (WHERE f.observed_at = b.observed_at) AS latest_failed,
           arg_max(f.error, f.fetched_at) FILTER (WHERE f.outcome IN {FAILED_OUTCOMES}) AS last_error,
           count(*) AS attempts
    FROM fetch_log f JOIN latest_batch b USING (source)
    GROUP BY f.source
)
SELECT source, last_success, last_attempt, failures_7d, coalesce(latest_failed, false), attempts, last_error
FROM per_source
"""

COLUMNS = ["source", "state", "last_success", "age", "last_attempt", "failures_7d", "attempts", "last_error"]


@dataclass(frozen=True)
class SourceHealth:
    source: str
    state: str                 # ok | stale | failing | never
    last_success: datetime | None
    age: str
    last_attempt: datetime | None
    failures_7d: int
    attempts: int
    last_error: str

    @property
    def healthy(self) -> bool:
        return self.state == "ok"

    def row(self) -> tuple:
        return (self.source, self.state, self.last_success, self.age, self.last_attempt, self.failures_7d,
                self.attempts, self.last_error)


def _age(since: datetime | None, now: datetime) -> str:
    if since is None:
        return "never"
    seconds = int((now - since).total_seconds())
    days, rest = divmod(seconds, 86400)
    hours = rest // 3600
    return f"{days}d {hours}h" if days else f"{hours}h {(rest % 3600) // 60}m"


def _state(last_success: datetime | None, latest_failed: bool, now: datetime, stale_after: timedelta) -> str:
    if latest_failed:
        return "failing"
    if last_success is None:
        return "never"
    return "stale" if now - last_success > stale_after else "ok"


def source_health(con: duckdb.DuckDBPyConnection, now: datetime, *, stale_after: timedelta = DEFAULT_STALE_AFTER,
                  expected: Iterable[str] = ()) -> list[SourceHealth]:
    """One verdict per source in the fetch log, plus every ``expected`` source (``never`` when
    it has no fetch at all), sorted by name."""
    found = {}
    for source, last, attempt, failures, latest_failed, attempts, error in con.execute(STATUS_SQL, [now]).fetchall():
        found[source] = SourceHealth(source, _state(last, latest_failed, now, stale_after), last, _age(last, now),
                                     attempt, failures, attempts, (error or "")[:160])
    for source in expected:
        found.setdefault(source, SourceHealth(source, "never", None, "never", None, 0, 0, ""))
    return [found[name] for name in sorted(found)]


def source_status(con: duckdb.DuckDBPyConnection, now: datetime) -> tuple[list[str], list[tuple]]:
    """(columns, rows) of ``source_health`` for printing."""
    return COLUMNS, [h.row() for h in source_health(con, now)]
