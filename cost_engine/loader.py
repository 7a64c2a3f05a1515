"""The cost engine's only database I/O: read an as-of snapshot, write scenario_costs rows."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from cost_engine.snapshot import Event, GpuPrice, PriceSnapshot, TokenObs
from warehouse.db import transaction


def _day_end(as_of: date) -> datetime:
    return datetime.combine(as_of + timedelta(days=1), datetime.min.time())


def load_snapshot(con: duckdb.DuckDBPyConnection, as_of: date, staleness_days: int = 45) -> PriceSnapshot:
    """Latest observation per offering at or before the end of the as_of day (ASOF semantics).

    Lifecycle events count only once seen (first_seen_at on or before as_of); per event identity
    (provider, model, event, scope) the newest row seen by then wins (it supersedes older dates).
    """
    end = _day_end(as_of)
    gpu = [GpuPrice(provider=r[0], offering_key=r[1], gpu_model=r[2], gpu_count=int(r[3]), tier=r[4],
                    usd_per_gpu_hour=float(r[5]), observed_at=r[6], source_fetch_id=r[7], region=r[8])
           for r in con.execute(
               "SELECT provider, offering_key, gpu_model, gpu_count, tier, usd_per_gpu_hour, observed_at, "
               "source_fetch_id, region FROM gpu_price_history WHERE observed_at < ? "
               "QUALIFY row_number() OVER (PARTITION BY provider, offering_key ORDER BY observed_at DESC) = 1",
               [end]).fetchall()
           if r[2] is not None and r[5] is not None and r[5] > 0]
    tokens = [TokenObs(provider=r[0], model=r[1], method=r[2], price_kind=r[3], usd=float(r[4]), source=r[5],
                       observed_at=r[6], source_fetch_id=r[7], source_url=r[8])
              for r in con.execute(
                  "SELECT provider, model, method, price_kind, usd, source, observed_at, source_fetch_id, source_url "
                  "FROM token_price_history WHERE observed_at < ? "
                  "QUALIFY row_number() OVER (PARTITION BY source, provider, model, method, price_kind "
                  "ORDER BY observed_at DESC) = 1", [end]).fetchall()]
    events = [Event(provider=r[0], model=r[1], event=r[2], effective_date=r[3], scope=r[4] or "", event_id=r[5],
                    source=r[6] or "", source_url=r[7], replacement=r[8], first_seen_at=r[9])
              for r in con.execute(
                  "SELECT provider, model, event, effective_date, scope, event_id, source, source_url, replacement, "
                  "first_seen_at FROM model_lifecycle_events WHERE first_seen_at < ? "
                  "QUALIFY row_number() OVER (PARTITION BY provider, model, event, scope "
                  "ORDER BY first_seen_at DESC, event_id DESC) = 1", [end]).fetchall()]
    return PriceSnapshot(as_of=as_of, gpu=gpu, tokens=tokens, events=events, staleness_days=staleness_days)


def latest_observation_date(con: duckdb.DuckDBPyConnection) -> date | None:
    row = con.execute(
        "SELECT max(d) FROM (SELECT max(observed_at)::DATE AS d FROM gpu_observations "
        "UNION ALL SELECT max(observed_at)::DATE FROM token_observations)").fetchone()
    return row[0] if row else None


def latest_repriced_date(con: duckdb.DuckDBPyConnection, on_or_before: date | None = None) -> date | None:
    if on_or_before is None:
        row = con.execute("SELECT max(as_of) FROM scenario_costs").fetchone()
    else:
        row = con.execute("SELECT max(as_of) FROM scenario_costs WHERE as_of <= ?", [on_or_before]).fetchone()
    return row[0] if row else None


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
