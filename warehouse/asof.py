"""As-of dates shared by the cost engine, the report and drift.

"As of day D" means everything observed before the start of D+1 (UTC). The SQL side of the same
rules is in warehouse/semantic/20_as_of.sql: ``gpu_offerings_as_of(cutoff)``,
``token_prices_as_of(cutoff)``, ``token_prices_believed_as_of(cutoff)``,
``lifecycle_events_as_of(cutoff)`` and the ``source_rank(source)`` macro.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb

LATEST_OBSERVATION_SQL = """
SELECT max(t)::DATE FROM (
    SELECT max(observed_at) AS t FROM gpu_observations
    UNION ALL SELECT max(observed_at) FROM token_observations
    UNION ALL SELECT max(last_seen_at) FROM lifecycle_events
)
"""


def day_end(day: date) -> datetime:
    """The exclusive cutoff of day ``day``: midnight at the start of the next day."""
    return datetime.combine(day + timedelta(days=1), datetime.min.time())


def latest_observation_date(con: duckdb.DuckDBPyConnection) -> date | None:
    """The newest day with any GPU or token price or lifecycle sighting; None when empty."""
    row = con.execute(LATEST_OBSERVATION_SQL).fetchone()
    return row[0] if row else None
