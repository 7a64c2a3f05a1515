"""The cost engine's only database I/O: read an as-of snapshot, write scenario_costs rows."""
from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from cost_engine.snapshot import Event, GpuPrice, PriceSnapshot, TokenObs
from scrapers.registry import DATED_SOURCES
from warehouse.asof import day_end
from warehouse.db import transaction


def load_snapshot(con: duckdb.DuckDBPyConnection, as_of: date, staleness_days: int = 45) -> PriceSnapshot:
    """What was known by the end of the as_of day, through the shared as-of macros (warehouse/semantic/20_as_of.sql).

    * GPU: the offerings in each provider's last load (``gpu_offerings_as_of``): an offering the
      provider stopped listing is gone, not still priced at its last price.
    * Tokens: each source's last load, plus the newest dated curated-sheet row per price line
      (``token_prices_as_of``); ``snapshot.find_token_price`` then ranks them.
    * Lifecycle: one event per (provider, model, event, scope), not superseded by then, from the
      best-ranked source (``lifecycle_events_as_of``): an aggregator seen later never overrides a
      provider page's date.
    """
    end = day_end(as_of)
    gpu = [GpuPrice(provider=r[0], offering_key=r[1], gpu_model=r[2], gpu_count=int(r[3]), tier=r[4],
                    usd_per_gpu_hour=float(r[5]), observed_at=r[6], source_fetch_id=r[7], region=r[8])
           for r in con.execute(
               "SELECT provider, offering_key, gpu_model, gpu_count, tier, usd_per_gpu_hour, observed_at, "
               "source_fetch_id, region FROM gpu_offerings_as_of(?) "
               "WHERE gpu_model IS NOT NULL AND usd_per_gpu_hour > 0 ORDER BY provider, offering_key",
               [end]).fetchall()]
    tokens = [TokenObs(provider=r[0], model=r[1], method=r[2], price_kind=r[3], usd=float(r[4]), source=r[5],
                       observed_at=r[6], source_fetch_id=r[7], source_url=r[8])
              for r in con.execute(
                  "SELECT provider, model, method, price_kind, usd, source, observed_at, source_fetch_id, source_url "
                  "FROM token_prices_as_of(?) ORDER BY source_rank, source, provider, model, method, price_kind",
                  [end]).fetchall()]
    events = [Event(provider=r[0], model=r[1], event=r[2], effective_date=r[3], scope=r[4] or "", event_id=r[5],
                    source=r[6] or "", source_url=r[7], replacement=r[8], first_seen_at=r[9])
              for r in con.execute(
                  "SELECT provider, model, event, effective_date, scope, event_id, source, source_url, replacement, "
                  "first_seen_at FROM lifecycle_events_as_of(?) ORDER BY provider, model, event, scope",
                  [end]).fetchall()]
    return PriceSnapshot(as_of=as_of, gpu=gpu, tokens=tokens, events=events, staleness_days=staleness_days)


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


def replace_scenario_costs(con: duckdb.DuckDBPyConnection, as_of: date, rows: list[dict[str, Any]]) -> int:
    """Delete and insert every row of one as_of in one transaction (idempotent)."""
    table = pa.table({
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


def read_scenario_costs(con: duckdb.DuckDBPyConnection, as_of: date, layer: str | None = None) -> list[dict[str, Any]]:
    sql = ("SELECT as_of, scenario, route, layer, usd_low, usd_mid, usd_high, available, reason, inputs, computed_at "
           "FROM scenario_costs WHERE as_of = ?" + (" AND layer = ?" if layer else "") + " ORDER BY scenario, route, layer")
    params: list[Any] = [as_of] + ([layer] if layer else [])
    out = []
    for r in con.execute(sql, params).fetchall():
        d = dict(zip(COLUMNS, r))
        d["inputs"] = json.loads(d["inputs"]) if isinstance(d["inputs"], str) else d["inputs"]
        out.append(d)
    return out
