"""Bulk, idempotent loads of parsed records (Arrow tables, never row by row).

Idempotency works at two levels: a payload already loaded (same source, time and sha256 in
``fetch_log`` with outcome ok) is skipped by the ingest step, and the observation tables'
primary keys make ``INSERT OR IGNORE`` add nothing on a repeat.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from scrapers.records import GpuOffer, LifecycleEvent, MarketOffer, TokenPrice

# A list of records, or the same as columns (a pyarrow.Table named by the record's fields).
Records = list[Any] | pa.Table


@dataclass
class FetchLogEntry:
    source: str
    url: str
    fetched_at: datetime
    observed_at: datetime
    mode: str
    outcome: str
    status: int | None = None
    bytes: int | None = None
    sha256: str | None = None
    archive_path: str | None = None
    error: str | None = None
    records_parsed: int = 0
    records_added: int = 0
    warnings: list[str] | None = None


def insert_fetch_log(con: duckdb.DuckDBPyConnection, entry: FetchLogEntry) -> int:
    names = [f.name for f in fields(entry)]
    row = con.execute(
        f"INSERT INTO fetch_log ({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) RETURNING fetch_id",
        [getattr(entry, n) for n in names],
    ).fetchone()
    return int(row[0])


def update_fetch_counts(con: duckdb.DuckDBPyConnection, fetch_id: int, added: int) -> None:
    con.execute("UPDATE fetch_log SET records_added = ? WHERE fetch_id = ?", [added, fetch_id])


def already_loaded(con: duckdb.DuckDBPyConnection, source: str, observed_at: datetime, sha256: str,
                   url: str) -> int | None:
    """The fetch_id of an earlier successful load of the same bytes from the same URL at the same
    time, if any. (Two pages of one batch may have identical bytes, e.g. two empty Vast pages.)"""
    row = con.execute(
        "SELECT fetch_id FROM fetch_log WHERE source = ? AND observed_at = ? AND sha256 = ? AND url = ? "
        "AND outcome IN ('ok', 'empty') ORDER BY fetch_id LIMIT 1",
        [source, observed_at, sha256, url],
    ).fetchone()
    return None if row is None else int(row[0])


def already_failed(con: duckdb.DuckDBPyConnection, source: str, fetched_at: datetime, url: str,
                   sha256: str | None, outcome: str) -> bool:
    """True when the same failure was recorded before (a replayed bad file replayed again)."""
    row = con.execute(
        "SELECT 1 FROM fetch_log WHERE source = ? AND fetched_at = ? AND url = ? "
        "AND sha256 IS NOT DISTINCT FROM ? AND outcome = ? LIMIT 1",
        [source, fetched_at, url, sha256, outcome],
    ).fetchone()
    return row is not None


def _arrow(records: Records, record_type: type, extra: dict[str, Any]) -> pa.Table:
    """The records as an Arrow table with the batch columns in ``extra`` added. A parser of a
    large payload may already hand over a ``pyarrow.Table`` whose columns are the record's
    fields (``scrapers.records.ParseResult``); a column it leaves out is loaded as NULL."""
    if isinstance(records, pa.Table):
        table = records
    else:
        table = pa.table({f.name: [getattr(r, f.name) for r in records] for f in fields(record_type)})
    n = table.num_rows
    for name, value in extra.items():
        table = table.append_column(name, pa.array([value] * n))
    return table


def _insert(con: duckdb.DuckDBPyConnection, table: str, arrow_table: pa.Table) -> int:
    """Bulk insert; rows whose primary key is already there are skipped (idempotent reloads)."""
    con.register("_incoming", arrow_table)
    try:
        cols = ", ".join(arrow_table.column_names)
        row = con.execute(f"INSERT OR IGNORE INTO {table} ({cols}) SELECT {cols} FROM _incoming").fetchone()
        return int(row[0]) if row else 0
    finally:
        con.unregister("_incoming")


def load_gpu_offers(con: duckdb.DuckDBPyConnection, offers: Records, observed_at: datetime, fetch_id: int) -> int:
    if not len(offers):
        return 0
    table = _arrow(offers, GpuOffer, {"observed_at": observed_at, "source_fetch_id": fetch_id})
    return _insert(con, "gpu_observations", table)


def load_market_offers(con: duckdb.DuckDBPyConnection, offers: Records, observed_at: datetime,
                       fetch_id: int) -> int:
    if not len(offers):
        return 0
    table = _arrow(offers, MarketOffer, {"observed_at": observed_at, "source_fetch_id": fetch_id})
    return _insert(con, "market_offers", table)


def load_token_prices(con: duckdb.DuckDBPyConnection, prices: list[TokenPrice], observed_at: datetime,
                      source: str, fetch_id: int | None) -> int:
    if not prices:
        return 0
    table = _arrow(prices, TokenPrice, {"source": source, "source_fetch_id": fetch_id})
    stamps = [datetime.combine(p.as_of, datetime.min.time()) if p.as_of else observed_at for p in prices]
    table = table.drop_columns(["as_of"]).append_column("observed_at", pa.array(stamps, pa.timestamp("us")))
    return _insert(con, "token_observations", table)


def load_lifecycle_events(con: duckdb.DuckDBPyConnection, events: list[LifecycleEvent], seen_at: datetime,
                          source: str, fetch_id: int | None) -> int:
    """Upsert events by identity (source, provider, model, event, scope).

    Seen again with the same dates: only ``last_seen_at`` moves. Seen with a changed effective
    date: a new row pointing at the row it supersedes. Each source keeps its own rows, so a
    provider page and an aggregator that disagree on a date never supersede each other back and
    forth. Returns the number of new rows.
    """
    added = 0
    for ev in {(e.provider, e.model, e.event, e.scope): e for e in events}.values():
        current = con.execute(
            "SELECT event_id, effective_date FROM lifecycle_events "
            "WHERE source = ? AND provider = ? AND model = ? AND event = ? AND scope = ? "
            "ORDER BY first_seen_at DESC, event_id DESC LIMIT 1",
            [source, ev.provider, ev.model, ev.event, ev.scope],
        ).fetchone()
        if current is not None and current[1] == ev.effective_date:
            con.execute(
                "UPDATE lifecycle_events SET last_seen_at = greatest(last_seen_at, ?), "
                "first_seen_at = least(first_seen_at, ?) WHERE event_id = ?",
                [seen_at, seen_at, current[0]],
            )
            continue
        con.execute(
            "INSERT INTO lifecycle_events (provider, model, event, effective_date, announced_date, replacement, "
            "scope, source, source_url, first_seen_at, last_seen_at, supersedes_event_id, source_fetch_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [ev.provider, ev.model, ev.event, ev.effective_date, ev.announced_date, ev.replacement, ev.scope,
             source, ev.source_url, seen_at, seen_at, None if current is None else current[0], fetch_id],
        )
        added += 1
    return added

