"""Bulk, idempotent loads of parsed records: columns in, set-based SQL, never row by row.

Idempotency works at two levels. A payload already loaded (same source, time, URL and sha256 in
``fetch_log`` with outcome ok) is skipped by the ingest step before anything is parsed into the
warehouse. Below that, every observation load is an anti-join: a row whose key is already
stored for the same observation time is not appended again. The large observation tables
(``gpu_observations``, ``market_offers``) carry no primary-key index since migration 030: the
anti-join only reads the rows of the batch's own observation time (DuckDB skips every other row
group by its min/max statistics), so loading costs the same on day 700 as on day 1, where a key
index made each insert check every key and each checkpoint rewrite the whole index
(``python -m benchmarks load`` prints the options side by side).

Loading GPU offers also maintains ``gpu_observations_latest`` (migration 031): the latest
observation of every offering, in the same transaction, so the "current" views read a few
thousand rows instead of the whole history. It carries every column of ``gpu_observations``,
whatever later migrations add (``sync_latest_columns``).
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from operator import attrgetter
from typing import Any, TypeAlias

import duckdb
import pyarrow as pa

from scrapers.records import GpuOffer, LifecycleEvent, MarketOffer, TokenPrice

# A list of records, or the same as columns (a pyarrow.Table named by the record's fields).
Records: TypeAlias = "list[Any] | pa.Table"

# The identity of a row of each observation table, beside its observation time.
GPU_KEY = ("provider", "offering_key")
MARKET_KEY = ("provider", "offer_id", "tier")
LATEST_TABLE = "gpu_observations_latest"


# Every outcome a fetch_log row can have (docs/data_dictionary.md, `fetch_log.outcome`), and the
# ones that count as a successful fetch (the payload was read; ``empty`` = no records in it).
FETCH_OUTCOMES = ("ok", "empty", "parse_error", "http_error", "network_error", "retired")
SUCCEEDED_OUTCOMES = ("ok", "empty")


@dataclass
class FetchLogEntry:
    source: str
    url: str
    fetched_at: datetime
    observed_at: datetime
    mode: str
    outcome: str  # one of FETCH_OUTCOMES
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
    assert row is not None
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


def columns_of(records: list[Any], record_type: type) -> pa.Table:
    """Records as columns: one C-level attribute fetch per record and a transpose, not one
    ``getattr`` per field per record in Python."""
    names = [f.name for f in fields(record_type)]
    rows = list(map(attrgetter(*names), records))
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    return pa.table({name: pa.array(list(values)) for name, values in zip(names, columns, strict=True)})


def as_table(records: Records, record_type: type) -> pa.Table:
    """A parser's records as an Arrow table. A parser of a large payload may already hand over a
    ``pyarrow.Table`` whose columns are the record's fields (``scrapers.records.ParseResult``);
    a column it leaves out is loaded as NULL."""
    return records if isinstance(records, pa.Table) else columns_of(records, record_type)


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    """(name, type) of every column of a ``main`` table, in table order."""
    return [(r[0], r[1]) for r in con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() "
        "WHERE schema_name = 'main' AND table_name = ? ORDER BY column_index", [table]).fetchall()]


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _append_new(con: duckdb.DuckDBPyConnection, table: str, data: pa.Table, key: tuple[str, ...],
                observed_at: datetime, fetch_id: int) -> int:
    """Append the rows of ``data`` (one batch, all observed at ``observed_at``) whose key is not
    stored for that time yet; a key repeated inside the batch is appended once (one of its rows).
    Returns the rows appended."""
    known = {name for name, _ in table_columns(con, table)}
    unknown = [c for c in data.column_names if c not in known]
    if unknown:
        raise ValueError(f"{table} has no column(s) {', '.join(unknown)}: add them in a migration "
                         "(warehouse/migrations) before a parser emits them")
    cols = ", ".join(_quoted(c) for c in data.column_names)
    keys = ", ".join(_quoted(c) for c in key)
    con.register("_incoming", data)
    try:
        # Counting distinct keys is cheap; de-duplicating every batch would carry every column
        # through a hash aggregate (benchmarks/bench_load.py measures both).
        repeated = con.execute(f"SELECT count(*) - count(DISTINCT ({keys})) FROM _incoming").fetchall()[0][0]
        distinct = f"DISTINCT ON ({keys}) " if repeated else ""
        row = con.execute(
            f"INSERT INTO {table} ({cols}, observed_at, source_fetch_id) "
            f"SELECT {distinct}{cols}, $at, $fetch_id FROM _incoming "
            f"ANTI JOIN (SELECT {keys} FROM {table} WHERE observed_at = $at) USING ({keys})",
            {"at": observed_at, "fetch_id": fetch_id},
        ).fetchall()
        return int(row[0][0]) if row else 0
    finally:
        con.unregister("_incoming")


def sync_latest_columns(con: duckdb.DuckDBPyConnection) -> None:
    """Give ``gpu_observations_latest`` every column ``gpu_observations`` has (a migration may add
    some after 031), filled from each offering's latest observation."""
    have = {name for name, _ in table_columns(con, LATEST_TABLE)}
    missing = [(name, kind) for name, kind in table_columns(con, "gpu_observations") if name not in have]
    for name, kind in missing:
        con.execute(f"ALTER TABLE {LATEST_TABLE} ADD COLUMN {_quoted(name)} {kind}")
    if missing:
        sets = ", ".join(f"{_quoted(n)} = h.{_quoted(n)}" for n, _ in missing)
        con.execute(f"UPDATE {LATEST_TABLE} AS c SET {sets} FROM gpu_observations h "
                    "WHERE h.provider = c.provider AND h.offering_key = c.offering_key "
                    "AND h.observed_at = c.observed_at")


def refresh_latest(con: duckdb.DuckDBPyConnection, observed_at: datetime, fetch_id: int) -> None:
    """Make the rows just loaded by ``fetch_id`` the latest observation of their offerings, unless
    a later one is already stored (a replay of an older day never moves "latest" back)."""
    sync_latest_columns(con)
    con.execute(
        f"INSERT OR REPLACE INTO {LATEST_TABLE} BY NAME "
        "SELECT n.* FROM gpu_observations n "
        "WHERE n.observed_at = $at AND n.source_fetch_id = $fetch_id "
        f"AND NOT EXISTS (SELECT 1 FROM {LATEST_TABLE} c WHERE c.provider = n.provider "
        "AND c.offering_key = n.offering_key AND c.observed_at > n.observed_at)",
        {"at": observed_at, "fetch_id": fetch_id},
    )


def load_gpu_offers(con: duckdb.DuckDBPyConnection, offers: Records, observed_at: datetime, fetch_id: int) -> int:
    if not len(offers):
        return 0
    added = _append_new(con, "gpu_observations", as_table(offers, GpuOffer), GPU_KEY, observed_at, fetch_id)
    if added:
        refresh_latest(con, observed_at, fetch_id)
    return added


def load_market_offers(con: duckdb.DuckDBPyConnection, offers: Records, observed_at: datetime,
                       fetch_id: int) -> int:
    if not len(offers):
        return 0
    return _append_new(con, "market_offers", as_table(offers, MarketOffer), MARKET_KEY, observed_at, fetch_id)


def load_token_prices(con: duckdb.DuckDBPyConnection, prices: list[TokenPrice], observed_at: datetime,
                      source: str, fetch_id: int | None) -> int:
    """Token prices (a few hundred a day) keep their primary key: rows of the dated curated
    sheet carry their own as-of date, so a repeat is caught by the key, not by the batch time."""
    if not prices:
        return 0
    table = columns_of(prices, TokenPrice)
    stamps = [datetime.combine(p.as_of, datetime.min.time()) if p.as_of else observed_at for p in prices]
    table = table.drop_columns(["as_of"]).append_column("observed_at", pa.array(stamps, pa.timestamp("us")))
    cols = ", ".join(table.column_names)
    con.register("_incoming", table)
    try:
        row = con.execute(f"INSERT OR IGNORE INTO token_observations ({cols}, source, source_fetch_id) "
                          f"SELECT {cols}, $source, $fetch_id FROM _incoming",
                          {"source": source, "fetch_id": fetch_id}).fetchone()
        return int(row[0]) if row else 0
    finally:
        con.unregister("_incoming")


_EVENT_IDENTITY = ("provider", "model", "event", "scope")
_CURRENT_EVENTS = """
WITH current_rows AS (
    SELECT event_id, provider, model, event, scope, effective_date FROM lifecycle_events
    WHERE source = $source
    QUALIFY row_number() OVER (PARTITION BY provider, model, event, scope
                               ORDER BY first_seen_at DESC, event_id DESC) = 1
)
SELECT i.ordinal, c.event_id, c.effective_date IS NOT DISTINCT FROM i.effective_date AS same_date
FROM _events i LEFT JOIN current_rows c USING (provider, model, event, scope)
ORDER BY i.ordinal
"""


def load_lifecycle_events(con: duckdb.DuckDBPyConnection, events: list[LifecycleEvent], seen_at: datetime,
                          source: str, fetch_id: int | None) -> int:
    """Upsert events by identity (source, provider, model, event, scope), set-based: one query
    reads each identity's current row, one UPDATE and one INSERT write the batch.

    Seen again with the same dates: only ``last_seen_at`` moves. Seen with a changed effective
    date: a new row pointing at the row it supersedes. Each source keeps its own rows, so a
    provider page and an aggregator that disagree on a date never supersede each other back and
    forth. Returns the number of new rows.
    """
    unique = list({(e.provider, e.model, e.event, e.scope): e for e in events}.values())
    if not unique:
        return 0
    incoming = columns_of(unique, LifecycleEvent).append_column(
        "ordinal", pa.array(range(len(unique)), pa.int64()))
    con.register("_events", incoming)
    try:
        plan = con.execute(_CURRENT_EVENTS, {"source": source}).fetchall()
        seen_again = [event_id for _, event_id, same in plan if event_id is not None and same]
        new = [(ordinal, event_id) for ordinal, event_id, same in plan if event_id is None or not same]
        if seen_again:
            con.execute("UPDATE lifecycle_events SET last_seen_at = greatest(last_seen_at, $seen), "
                        "first_seen_at = least(first_seen_at, $seen) WHERE list_contains($ids, event_id)",
                        {"seen": seen_at, "ids": seen_again})
        if new:
            con.register("_new", pa.table({"ordinal": pa.array([o for o, _ in new], pa.int64()),
                                           "supersedes": pa.array([s for _, s in new], pa.int64())}))
            try:
                con.execute(
                    "INSERT INTO lifecycle_events (event_id, provider, model, event, effective_date, announced_date, "
                    "replacement, scope, source, source_url, first_seen_at, last_seen_at, supersedes_event_id, "
                    "source_fetch_id) "
                    "SELECT nextval('lifecycle_event_id_seq'), * FROM ("
                    "SELECT i.provider, i.model, i.event, i.effective_date, i.announced_date, i.replacement, i.scope, "
                    "$source, i.source_url, $seen, $seen, n.supersedes, $fetch_id "
                    "FROM _events i JOIN _new n USING (ordinal) ORDER BY i.ordinal)",
                    {"source": source, "seen": seen_at, "fetch_id": fetch_id})
            finally:
                con.unregister("_new")
        return len(new)
    finally:
        con.unregister("_events")
