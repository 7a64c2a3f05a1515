"""The cost engine's only database I/O: read an as-of snapshot, write scenario_costs rows."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from cost_engine.snapshot import Event, GpuPrice, PriceSnapshot, TokenObs
from scrapers.registry import DATED_SOURCES
from warehouse.asof import day_end
from warehouse.db import transaction
from warehouse.policy import Policy, default_policy

_GPU_FIELDS = ("provider", "offering_key", "gpu_model", "gpu_count", "tier", "usd_per_gpu_hour", "observed_at",
               "source_fetch_id", "region")
# Columns of gpu_price_history the engine does not read itself (kept in GpuPrice.extra).
_GPU_IGNORED = ("fetch_url", "gpu_known")


def _gpu_price(row: dict[str, Any]) -> GpuPrice:
    extra = {k: v for k, v in row.items() if k not in _GPU_FIELDS and k not in _GPU_IGNORED}
    return GpuPrice(provider=row["provider"], offering_key=row["offering_key"], gpu_model=row["gpu_model"],
                    gpu_count=int(row["gpu_count"]), tier=row["tier"], usd_per_gpu_hour=float(row["usd_per_gpu_hour"]),
                    observed_at=row["observed_at"], source_fetch_id=row["source_fetch_id"], region=row.get("region"),
                    fetch_url=row.get("fetch_url"), extra=extra)


def _dicts(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def load_snapshot(con: duckdb.DuckDBPyConnection, as_of: date, policy: Policy | None = None, *,
                  lifecycle_date: date | None = None, events_known_at: datetime | None = None) -> PriceSnapshot:
    """What was known by the end of the as_of day, through the shared as-of macros (warehouse/semantic/20_as_of.sql).

    * GPU: the offerings in each provider's last load (``gpu_offerings_as_of``): an offering the
      provider stopped listing is gone, not still priced at its last price. A provider seen by
      several feeds is read from its own collector while that is within the policy's maximum
      age on ``as_of``, otherwise from its freshest feed (the policy's ages are passed to the
      macro, so a --max-price-age override applies there too). Every column of the
      offering is read (``GpuPrice.extra`` keeps the ones the engine does not use), so a collector
      adding columns needs nothing here. Non-finite and non-positive prices are never read.
    * Tokens: each source's last load, plus the newest dated curated-sheet row per price line
      (``token_prices_as_of``); ``snapshot.find_token_price`` then ranks them.
    * Lifecycle: one event per (provider, model, event, scope), not superseded by then, from the
      best-ranked source (``lifecycle_events_as_of``), known before ``events_known_at`` (default:
      the end of the as_of day, what the daily repricing stores; the commands pass "now", so a
      past day is priced with every event known today, each saying when it was first seen).
    * The fetch URL of each price (``fetch_log``) tells a reconstructed capture (``policy.basis``).
    """
    end = day_end(as_of)
    policy = policy or default_policy()
    ages = policy.max_age_days
    gpu = [_gpu_price(r) for r in _dicts(con.execute(
        "SELECT o.*, f.url AS fetch_url FROM gpu_offerings_as_of(?, gpu_marketplace_max_age := ?, "
        "gpu_provider_max_age := ?) o "
        "LEFT JOIN fetch_log f ON f.fetch_id = o.source_fetch_id "
        "WHERE o.gpu_model IS NOT NULL AND isfinite(o.usd_per_gpu_hour) AND o.usd_per_gpu_hour > 0 "
        "ORDER BY o.provider, o.offering_key", [end, ages["gpu_marketplace"], ages["gpu_provider"]]))]
    tokens = [TokenObs(provider=r[0], model=r[1], method=r[2], price_kind=r[3], usd=float(r[4]), source=r[5],
                       observed_at=r[6], source_fetch_id=r[7], source_url=r[8], fetch_url=r[9])
              for r in con.execute(
                  "SELECT t.provider, t.model, t.method, t.price_kind, t.usd, t.source, t.observed_at, "
                  "t.source_fetch_id, t.source_url, f.url FROM token_prices_as_of(?) t "
                  "LEFT JOIN fetch_log f ON f.fetch_id = t.source_fetch_id "
                  "WHERE isfinite(t.usd) AND t.usd >= 0 "
                  "ORDER BY t.source_rank, t.source, t.provider, t.model, t.method, t.price_kind",
                  [end]).fetchall()]
    events = [Event(provider=r[0], model=r[1], event=r[2], effective_date=r[3], scope=r[4] or "", event_id=r[5],
                    source=r[6] or "", source_url=r[7], replacement=r[8], first_seen_at=r[9])
              for r in con.execute(
                  "SELECT provider, model, event, effective_date, scope, event_id, source, source_url, replacement, "
                  "first_seen_at FROM lifecycle_events_as_of(?) ORDER BY provider, model, event, scope",
                  [events_known_at or end]).fetchall()]
    return PriceSnapshot(as_of=as_of, gpu=gpu, tokens=tokens, events=events, policy=policy,
                         lifecycle_date=lifecycle_date, events_known_at=events_known_at)


def newest_observations(con: duckdb.DuckDBPyConnection, before: datetime) -> list[tuple[str, datetime, bool]]:
    """(source, newest observation, is a GPU source) for every source with a price before ``before``."""
    return [(r[0], r[1], bool(r[2])) for r in con.execute(
        "SELECT provider, max(observed_at), true FROM gpu_observations WHERE observed_at < ? GROUP BY provider "
        "UNION ALL SELECT source, max(observed_at), false FROM token_observations WHERE observed_at < ? "
        "GROUP BY source ORDER BY 1", [before, before]).fetchall()]


def first_observation_date(con: duckdb.DuckDBPyConnection) -> date | None:
    """The first day anything was fetched (GPU or token price, lifecycle sighting); the curated
    sheet's own row dates do not count (they are as-of dates, not fetches). None when empty."""
    placeholders = ", ".join("?" for _ in DATED_SOURCES)
    row = con.execute(
        "SELECT min(t)::DATE FROM (SELECT min(observed_at) AS t FROM gpu_observations "
        f"UNION ALL SELECT min(observed_at) FROM token_observations WHERE source NOT IN ({placeholders}) "
        "UNION ALL SELECT min(first_seen_at) FROM lifecycle_events)", list(DATED_SOURCES)).fetchone()
    return row[0] if row else None


def latest_repriced_date(con: duckdb.DuckDBPyConnection) -> date | None:
    row = con.execute("SELECT max(as_of) FROM scenario_costs").fetchone()
    return row[0] if row else None


def unpriced_days(con: duckdb.DuckDBPyConnection, start: date, end: date) -> list[date]:
    """Days in [start, end] with no scenario_costs rows, oldest first."""
    if end < start:
        return []
    done = {r[0] for r in con.execute("SELECT DISTINCT as_of FROM scenario_costs WHERE as_of BETWEEN ? AND ?",
                                      [start, end]).fetchall()}
    return [d for d in (start + timedelta(days=i) for i in range((end - start).days + 1)) if d not in done]


COLUMNS = ("as_of", "scenario", "route", "layer", "usd_low", "usd_mid", "usd_high", "available", "reason",
           "inputs", "computed_at")


def rows_table(rows: list[dict[str, Any]]) -> pa.Table:
    """scenario_costs rows as an Arrow table (inputs as JSON text)."""
    return pa.table({
        "as_of": pa.array([r["as_of"] for r in rows], pa.date32()),
        "scenario": pa.array([r["scenario"] for r in rows], pa.string()),
        "route": pa.array([r["route"] for r in rows], pa.string()),
        "layer": pa.array([r["layer"] for r in rows], pa.string()),
        "usd_low": pa.array([r["usd_low"] for r in rows], pa.float64()),
        "usd_mid": pa.array([r["usd_mid"] for r in rows], pa.float64()),
        "usd_high": pa.array([r["usd_high"] for r in rows], pa.float64()),
        "available": pa.array([r["available"] for r in rows], pa.bool_()),
        "reason": pa.array([r["reason"] for r in rows], pa.string()),
        "inputs": pa.array([json.dumps(r["inputs"], default=str, sort_keys=True) for r in rows], pa.string()),
        "computed_at": pa.array([r["computed_at"] for r in rows], pa.timestamp("us")),
    })


def replace_scenario_costs(con: duckdb.DuckDBPyConnection, as_of: date, rows: list[dict[str, Any]]) -> int:
    """Delete and insert every row of one as_of in one transaction (idempotent)."""
    table = rows_table(rows)
    with transaction(con):
        con.execute("DELETE FROM scenario_costs WHERE as_of = ?", [as_of])
        con.register("_scenario_rows", table)
        try:
            con.execute(f"INSERT INTO scenario_costs ({', '.join(COLUMNS)}) "
                        f"SELECT {', '.join(c if c != 'inputs' else 'inputs::JSON' for c in COLUMNS)} "
                        f"FROM _scenario_rows")
        finally:
            con.unregister("_scenario_rows")
    return len(rows)


def read_scenario_costs(con: duckdb.DuckDBPyConnection, as_of: date, layer: str | None = None,
                        scenario: str | None = None) -> list[dict[str, Any]]:
    sql = ("SELECT as_of, scenario, route, layer, usd_low, usd_mid, usd_high, available, reason, inputs, computed_at "
           "FROM scenario_costs WHERE as_of = ?" + (" AND layer = ?" if layer else "")
           + (" AND scenario = ?" if scenario else "") + " ORDER BY scenario, route, layer")
    params: list[Any] = [as_of] + ([layer] if layer else []) + ([scenario] if scenario else [])
    out = []
    for r in con.execute(sql, params).fetchall():
        d = dict(zip(COLUMNS, r, strict=True))
        d["inputs"] = json.loads(d["inputs"]) if isinstance(d["inputs"], str) else d["inputs"]
        out.append(d)
    return out
