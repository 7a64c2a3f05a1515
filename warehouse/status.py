"""Per-source health: last successful fetch, its age and recent failures."""
from __future__ import annotations

from datetime import datetime

import duckdb

STATUS_SQL = """
WITH per_source AS (
    SELECT source,
           max(fetched_at) FILTER (WHERE outcome = 'ok') AS last_success,
           count(*) FILTER (WHERE outcome <> 'ok' AND fetched_at >= ? - INTERVAL 7 DAY) AS failures_7d,
           arg_max(error, fetched_at) FILTER (WHERE outcome <> 'ok') AS last_error,
           count(*) AS attempts
    FROM fetch_log GROUP BY source
)
SELECT source, last_success, failures_7d, attempts, last_error FROM per_source ORDER BY source
"""


def _age(since: datetime | None, now: datetime) -> str:
    if since is None:
        return "never"
    seconds = int((now - since).total_seconds())
    days, rest = divmod(seconds, 86400)
    hours = rest // 3600
    return f"{days}d {hours}h" if days else f"{hours}h {(rest % 3600) // 60}m"


def source_status(con: duckdb.DuckDBPyConnection, now: datetime) -> tuple[list[str], list[tuple]]:
    rows = con.execute(STATUS_SQL, [now]).fetchall()
    columns = ["source", "last_success", "age", "failures_7d", "attempts", "last_error"]
    out = [(s, last, _age(last, now), failures, attempts, (err or "")[:160])
           for s, last, failures, attempts, err in rows]
    return columns, out
