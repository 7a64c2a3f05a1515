"""The report's read-only queries, all relative to one as-of date: SQL in, read-model records out.

Every function takes an open DuckDB connection (read-only is enough). A table, view or as-of
macro that does not exist yields an empty result, never an error, so the report renders on
whatever part of the pipeline has run. "As of D" means everything observed before
``warehouse.asof.day_end(D)``, so a report for a past day shows what was known that day; the
as-of rules themselves are the warehouse's (warehouse/semantic/20_as_of.sql):

* GPU snapshot at D: ``gpu_offerings_as_of`` (each provider's last load before the cutoff; a
  provider not reached on D keeps its previous prices, ``observed_at`` shows how old they are);
* token prices at D: ``token_prices_believed_as_of`` (one believed price per line: provider page
  over curated sheet, then newest); aggregator feeds are cross-checks, never the price of record;
* lifecycle events at D: ``lifecycle_events_as_of`` (one row per event, best source, not superseded).

Functions take ``have`` (the names of existing relations and macros) so one report build looks
the catalogue up once; it is looked up when omitted.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import duckdb

from reports.model import (
    HISTORY_DAYS,
    LIFECYCLE_LOOKBACK_DAYS,
    SEVERITY_ORDER,
    TRAINING_KIND,
    GpuOffering,
    GpuPoint,
    TokenPoint,
    TokenQuote,
    gpu_sort_key,
)
from scrapers.registry import AGGREGATOR_SOURCES
from warehouse.asof import day_end


def existing_relations(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Names of the tables, views and table macros (the as-of helpers) in the warehouse."""
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables UNION "
        "SELECT function_name FROM duckdb_functions() WHERE function_type = 'table_macro'"
    ).fetchall()
    return {r[0] for r in rows}


def _have(con: duckdb.DuckDBPyConnection, have: set[str] | None) -> set[str]:
    return existing_relations(con) if have is None else have


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# ---------------------------------------------------------------- GPU prices


def gpu_daily_history(con: duckdb.DuckDBPyConnection, as_of: date, days: int = HISTORY_DAYS,
                      have: set[str] | None = None) -> list[GpuPoint]:
    """Per day of the ``days`` up to ``as_of``, GPU model, provider and tier: the daily GPU price
    (``gpu_prices_daily_as_of``, warehouse/semantic/80_report.sql): its cheapest offering not
    marked sold out, else its lowest listed price (``sold_out``), in the provider's best feed's
    last load of the day."""
    if "gpu_prices_daily_as_of" not in _have(con, have):
        return []
    rows = con.execute(
        """
        SELECT day, gpu_model, provider, tier,
               coalesce(usd_per_gpu_hour_min_available, usd_per_gpu_hour_min),
               usd_per_gpu_hour_min_available IS NULL
        FROM gpu_prices_daily_as_of($cutoff, since := $since)
        ORDER BY gpu_model, provider, tier, day
        """,
        {"cutoff": day_end(as_of), "since": day_end(as_of - timedelta(days=days))},
    ).fetchall()
    return [GpuPoint(*row) for row in rows]


def gpu_snapshot(con: duckdb.DuckDBPyConnection, as_of: date, have: set[str] | None = None) -> list[GpuOffering]:
    """``gpu_offerings_as_of(day_end(as_of))``, per (GPU model, provider, tier): its cheapest offering
    not marked sold out, else its cheapest listed one (``sold_out``), the same rule as the daily
    price (``gpu_prices_daily_as_of``)."""
    if "gpu_offerings_as_of" not in _have(con, have):
        return []
    rows = con.execute(
        """
        WITH offers AS (
            SELECT *, available IS NOT DISTINCT FROM false AS sold_out FROM gpu_offerings_as_of(?)
            WHERE gpu_model IS NOT NULL
        )
        SELECT gpu_model, provider, tier,
               arg_min(usd_per_gpu_hour, (sold_out, usd_per_gpu_hour)) AS usd,
               arg_min(gpu_count, (sold_out, usd_per_gpu_hour)) AS gpu_count,
               arg_min(region, (sold_out, usd_per_gpu_hour)) AS region,
               max(observed_at) AS observed_at,
               arg_min(offer_count, (sold_out, usd_per_gpu_hour)) AS offer_count,
               bool_and(sold_out) AS sold_out
        FROM offers
        GROUP BY ALL
        """,
        [day_end(as_of)],
    ).fetchall()
    offerings = [GpuOffering(*row) for row in rows]
    return sorted(offerings, key=lambda o: (gpu_sort_key(o.gpu_model), o.usd_per_gpu_hour, o.provider, o.tier))


# ---------------------------------------------------------------- token prices


def token_snapshot(con: duckdb.DuckDBPyConnection, as_of: date, price_kind: str | None = None,
                   have: set[str] | None = None) -> list[TokenQuote]:
    """The believed price per (provider, model, method, price kind) as of ``as_of``
    (``token_prices_believed_as_of``); a line only an aggregator prices is left out."""
    if "token_prices_believed_as_of" not in _have(con, have):
        return []
    rows = con.execute(
        """
        SELECT provider, model, method, price_kind, usd, observed_at, source
        FROM token_prices_believed_as_of(?)
        WHERE (? IS NULL OR price_kind = ?) AND NOT list_contains(?, source)
        ORDER BY provider, model, method, price_kind
        """,
        [day_end(as_of), price_kind, price_kind, list(AGGREGATOR_SOURCES)],
    ).fetchall()
    return [TokenQuote(*row) for row in rows]


def token_history(con: duckdb.DuckDBPyConnection, as_of: date, price_kind: str = TRAINING_KIND,
                  days: int = HISTORY_DAYS, have: set[str] | None = None) -> list[TokenPoint]:
    """The believed price per (provider, model, method) over the same window as the GPU charts,
    on its first day and on every day a non-aggregator source loaded token prices: on each of those
    days D what ``token_snapshot(D)`` says, read in one query (``token_prices_believed_daily``,
    warehouse/semantic/80_report.sql) rather than one as-of query per day."""
    have = _have(con, have)
    if "token_prices_believed_daily" not in have or "token_price_history" not in have:
        return []
    first = as_of - timedelta(days=days - 1)
    rows = con.execute(
        """
        WITH shown AS (
            SELECT CAST($first AS DATE) AS day
            UNION
            SELECT CAST(observed_at AS DATE) FROM token_price_history
            WHERE observed_at >= $start AND observed_at < $cutoff AND NOT list_contains($aggregators, source)
        )
        SELECT b.day, b.provider, b.model, b.method, b.usd, b.source
        FROM token_prices_believed_daily($first, $as_of) b SEMI JOIN shown s ON b.day = s.day
        WHERE b.price_kind = $kind AND NOT list_contains($aggregators, b.source)
        ORDER BY b.provider, b.model, b.method, b.day
        """,
        {"first": first, "as_of": as_of, "start": day_end(first - timedelta(days=1)), "cutoff": day_end(as_of),
         "aggregators": list(AGGREGATOR_SOURCES), "kind": price_kind},
    ).fetchall()
    return [TokenPoint(*row) for row in rows]


# ---------------------------------------------------------------- lifecycle


def lifecycle_events(con: duckdb.DuckDBPyConnection, as_of: date,
                     lookback_days: int | None = LIFECYCLE_LOOKBACK_DAYS,
                     have: set[str] | None = None) -> list[dict[str, Any]]:
    """``lifecycle_events_as_of(day_end(as_of))`` (one row per event, from the best source, not
    superseded by then), effective from ``as_of - lookback`` on (all when ``lookback_days`` is None)."""
    if "lifecycle_events_as_of" not in _have(con, have):
        return []
    since = None if lookback_days is None else as_of - timedelta(days=lookback_days)
    return _rows(
        con,
        """
        SELECT provider, model, event, effective_date, announced_date, replacement, scope,
               source_url, source, first_seen_at, CAST(effective_date - CAST(? AS DATE) AS INTEGER) AS days_left
        FROM lifecycle_events_as_of(?)
        WHERE CAST(? AS DATE) IS NULL OR effective_date IS NULL OR effective_date >= ?
        ORDER BY effective_date NULLS LAST, provider, model, event, scope
        """,
        [as_of, day_end(as_of), since, since],
    )


# ---------------------------------------------------------------- scenarios


def scenario_day(con: duckdb.DuckDBPyConnection, day: date) -> date | None:
    """The latest repricing at or before ``day``."""
    row = con.execute("SELECT max(as_of) FROM scenario_costs WHERE as_of <= ?", [day]).fetchone()
    return None if row is None else row[0]


def route_costs(con: duckdb.DuckDBPyConnection, day: date | None, rel: str = "scenario_costs") -> list[dict[str, Any]]:
    """The 'total' row of every route of every scenario on ``day`` in ``rel`` (shaped like
    scenario_costs), cheapest first per scenario, with what its inputs say: the route's status,
    the price actually charged (a GPU instance's USD per hour and the GPUs it rents, or a hosted
    route's USD per 1M training tokens), that price's basis and observation day."""
    if day is None:
        return []
    return _rows(
        con,
        f"""
        WITH totals AS (
            SELECT scenario, route, usd_low, usd_mid, usd_high, available, reason, CAST(inputs AS JSON) AS inputs
            FROM {rel} WHERE as_of = ? AND layer = 'total'
        )
        SELECT scenario, route, usd_low, usd_mid, usd_high, available, reason,
               inputs ->> 'status' AS status,
               TRY_CAST(inputs ->> '$.summary.usd_per_hour' AS DOUBLE) AS usd_per_hour,
               inputs ->> '$.summary.basis' AS basis,
               TRY_CAST(inputs ->> '$.summary.usd_per_1m_tokens' AS DOUBLE) AS usd_per_1m_tokens,
               TRY_CAST(inputs ->> '$.summary.gpus_rented' AS INTEGER) AS gpus_rented,
               inputs ->> '$.summary.observed_at' AS observed_at
        FROM totals ORDER BY scenario, usd_mid NULLS LAST, route
        """,
        [day],
    )


def scenario_trend(con: duckdb.DuckDBPyConnection, day: date, rel: str = "scenario_costs") -> dict[str, dict[str, Any]]:
    """Per scenario on ``day``: the cheapest route and its cost 7 and 30 days before, from the one
    home of that concept (``scenario_cost_trend_of``, warehouse/semantic/50_costs.sql)."""
    rows = _rows(con, "SELECT scenario, cheapest_route, usd_mid_7d_ago, usd_mid_30d_ago "
                      f"FROM scenario_cost_trend_of('{rel}') WHERE as_of = ? AND layer = 'total'", [day])
    return {r["scenario"]: r for r in rows}


# ---------------------------------------------------------------- alerts and sources


def alerts_for_day(con: duckdb.DuckDBPyConnection, as_of: date, have: set[str] | None = None) -> list[dict[str, Any]]:
    """Alerts active on ``as_of`` in the state they had then: opened before ``day_end(as_of)`` and
    not resolved before the day began. ``state`` is 'resolved' only when ``resolved_at`` falls
    before the cutoff (a later resolution is not known on that day, and ``resolved_at`` is then
    None). Most severe first, new first."""
    if "alerts" not in _have(con, have):
        return []
    cutoff, day_start = day_end(as_of), day_end(as_of - timedelta(days=1))
    rows = _rows(
        con,
        """
        WITH known AS (
            SELECT *, resolved_at IS NOT NULL AND resolved_at < $cutoff AS resolved_by_then FROM alerts
            WHERE first_seen_at < $cutoff AND (resolved_at IS NULL OR resolved_at >= $day_start)
        )
        SELECT rule, key, severity, message, first_seen_at, least(last_seen_at, $cutoff) AS last_seen_at,
               CASE WHEN resolved_by_then THEN 'resolved' ELSE 'open' END AS state,
               CASE WHEN resolved_by_then THEN resolved_at END AS resolved_at,
               first_seen_at >= $day_start AS is_new,
               resolved_by_then AS resolved_today
        FROM known
        """,
        {"cutoff": cutoff, "day_start": day_start},
    )
    return sorted(rows, key=lambda r: (SEVERITY_ORDER.get(r["severity"], 9), not r["is_new"], r["resolved_today"],
                                       r["rule"], r["key"]))


def source_health(con: duckdb.DuckDBPyConnection, as_of: date, have: set[str] | None = None) -> list[dict[str, Any]]:
    """Per source: last fetch by ``as_of``, its outcome, the last good load and failures that day."""
    if "fetch_log" not in _have(con, have):
        return []
    return _rows(
        con,
        """
        SELECT source,
               max(fetched_at) AS last_fetch,
               arg_max(outcome, fetched_at) AS last_outcome,
               max(observed_at) FILTER (WHERE outcome IN ('ok', 'empty')) AS last_ok,
               count(*) FILTER (WHERE outcome NOT IN ('ok', 'empty')
                                AND CAST(fetched_at AS DATE) = CAST(? AS DATE)) AS failures_today,
               arg_max(error, fetched_at) AS last_error
        FROM fetch_log WHERE fetched_at < ?
        GROUP BY source ORDER BY source
        """,
        [as_of, day_end(as_of)],
    )
