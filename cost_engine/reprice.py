"""Reprice the catalogue as of a day and store it in scenario_costs; backfill a range of days.

Stored rows are what was known on their day: prices and lifecycle events as of the end of the
day (``load_snapshot``'s defaults), judged on that day, with the policy in force.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import duckdb

from core.clock import utcnow
from cost_engine.catalogue import Catalogue, load_catalogue
from cost_engine.loader import first_observation_date, load_snapshot, replace_scenario_costs
from cost_engine.pricing import LAYERS, RouteEstimate, price_catalogue
from warehouse.asof import latest_observation_date
from warehouse.policy import Policy, load_policy


class RepriceRangeError(ValueError):
    """A --from/--to range that cannot be priced; the message names the value and the valid range."""


@dataclass
class RepriceSummary:
    as_of: date
    scenarios: int
    routes: int
    available: int
    rows: int

    def line(self) -> str:
        return (f"{self.as_of}: {self.scenarios} scenarios, {self.routes} routes "
                f"({self.available} available, {self.routes - self.available} not), {self.rows} rows")


def estimate_rows(estimates: list[RouteEstimate], as_of: date, computed_at: datetime) -> list[dict[str, Any]]:
    rows = []
    for est in estimates:
        for layer in LAYERS:
            cost = est.layers.get(layer)
            if cost is None:
                continue
            usd = cost.usd
            rows.append({"as_of": as_of, "scenario": est.scenario, "route": est.route, "layer": layer,
                         "usd_low": None if usd is None else usd.low, "usd_mid": None if usd is None else usd.mid,
                         "usd_high": None if usd is None else usd.high, "available": est.available,
                         "reason": est.reason, "inputs": cost.inputs, "computed_at": computed_at})
    return rows


def reprice(con: duckdb.DuckDBPyConnection, as_of: date, catalogue: Catalogue | None = None,
            computed_at: datetime | None = None, policy: Policy | None = None) -> RepriceSummary:
    """Price the whole catalogue as of ``as_of`` and replace that day's scenario_costs rows."""
    catalogue = catalogue or load_catalogue()
    snap = load_snapshot(con, as_of, policy or load_policy())
    estimates = price_catalogue(catalogue, snap)
    rows = estimate_rows(estimates, as_of, computed_at or utcnow())
    replace_scenario_costs(con, as_of, rows)
    return RepriceSummary(as_of, len(catalogue.scenarios), len(estimates),
                          sum(e.available for e in estimates), len(rows))


def days(start: date, end: date) -> list[date]:
    if end < start:
        raise RepriceRangeError(f"--to {end} is before --from {start}")
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def clamp_to_observations(con: duckdb.DuckDBPyConnection, start: date,
                          end: date) -> tuple[date | None, list[str]]:
    """The last day of a requested range that can be priced, and warnings.

    A start before the first observation is refused (``RepriceRangeError``: those days have no
    prices, and a 1900 start would write rows for 46,000 empty days). Days after the newest
    observation would only repeat its prices under a later date, so the range ends there.
    Returns (None, [why]) when nothing in the range can be priced.
    """
    latest = latest_observation_date(con)
    if latest is None:
        return None, ["no price observations in the warehouse yet; nothing to price"]
    first = first_observation_date(con) or latest
    if start < first:
        raise RepriceRangeError(f"--from {start} is before the first observation; valid range {first} to {latest}")
    if start > latest:
        return None, [f"--from {start} is after the newest observation ({latest}); nothing to price"]
    if end > latest:
        return latest, [f"warning: --to {end} is after the newest observation; repricing up to {latest}"]
    return end, []


def backfill(con: duckdb.DuckDBPyConnection, start: date, end: date, catalogue: Catalogue | None = None,
             progress: Callable[[str], None] | None = None, policy: Policy | None = None) -> list[RepriceSummary]:
    catalogue = catalogue or load_catalogue()
    policy = policy or load_policy()
    out = []
    all_days = days(start, end)
    for i, day in enumerate(all_days, 1):
        summary = reprice(con, day, catalogue, policy=policy)
        out.append(summary)
        if progress:
            progress(f"[{i}/{len(all_days)}] {summary.line()}")
    return out
