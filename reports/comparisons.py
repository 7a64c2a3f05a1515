"""What changed: prices since yesterday and 30 days ago, scenario routes against 7 and 30 days
before. Pure functions over read-model records; nothing is queried here.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date
from typing import Any

from core.money import usd
from reports.model import ChangeSet, GpuOffering, PriceChange, RouteCost, ScenarioSummary, TokenQuote
from warehouse.asof import day_end

SCENARIO_CHANGE_DAYS = (7, 30)  # each route's mid estimate is compared with these many days before


def diff_prices(before: dict[tuple, float], after: dict[tuple, float], unit: str) -> list[PriceChange]:
    """Changed, new and gone keys; biggest relative moves first, then new, then gone."""
    changes = []
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key), after.get(key)
        if b is not None and a is not None and abs(a - b) < 1e-9:
            continue
        changes.append(PriceChange(" · ".join(str(k) for k in key), b, a, unit))
    order = {"up": 0, "down": 0, "new": 1, "gone": 2}
    return sorted(changes, key=lambda c: (order[c.kind], -abs(c.pct or 0.0), c.label))


def change_set(since: date, then_gpu: list[GpuOffering], then_tokens: list[TokenQuote],
               now_gpu: list[GpuOffering], now_tokens: list[TokenQuote],
               events: list[dict[str, Any]]) -> ChangeSet:
    """The snapshots at ``since`` and on the report day, and every lifecycle event known on the
    report day (``lifecycle_events(..., lookback_days=None)``)."""
    result = ChangeSet(since=since, has_baseline=bool(then_gpu or then_tokens))
    if then_gpu:
        result.gpu = diff_prices({o.key: o.usd_per_gpu_hour for o in then_gpu},
                                 {o.key: o.usd_per_gpu_hour for o in now_gpu}, "USD/GPU-h")
    if then_tokens:
        result.tokens = diff_prices({q.key: q.usd for q in then_tokens},
                                    {q.key: q.usd for q in now_tokens}, "USD")
    result.new_events = [e for e in events if e["first_seen_at"] >= day_end(since)]
    return result


def _available_mids(rows: list[dict[str, Any]]) -> dict[tuple[str, str], float]:
    return {(r["scenario"], r["route"]): r["usd_mid"] for r in rows if r["available"]}


def _with_open_route(routes: list[RouteCost], cheapest: RouteCost) -> list[RouteCost]:
    """An unavailable route's reason names the cheapest open route, its replacement today."""
    note = f"cheapest open route: {cheapest.route} ({usd(cheapest.usd_mid)})"
    return [replace(r, reason=f"{r.reason}; {note}") if r.status == "unavailable" else r for r in routes]


def scenario_summaries(now: list[dict[str, Any]], before: dict[int, list[dict[str, Any]]],
                       trend: dict[str, dict[str, Any]]) -> list[ScenarioSummary]:
    """Per scenario: every route's 'total' row (``now``, with its status, price charged and basis)
    with its available mid estimate 7 and 30 days before (``before``), and the cheapest route with
    its cost 7 and 30 days before as the scenario cost trend has them (``trend``, by scenario)."""
    mids = {n: _available_mids(before.get(n, [])) for n in SCENARIO_CHANGE_DAYS}
    by_scenario: dict[str, list[RouteCost]] = defaultdict(list)
    for r in now:
        key = (r["scenario"], r["route"])
        by_scenario[r["scenario"]].append(RouteCost(**r, mid_7d=mids[7].get(key), mid_30d=mids[30].get(key)))
    summaries = []
    for scenario, routes in sorted(by_scenario.items()):
        t = trend.get(scenario, {})
        cheapest = next((r for r in routes if r.route == t.get("cheapest_route")), None)
        if cheapest is not None:
            routes = _with_open_route(routes, cheapest)
        summaries.append(ScenarioSummary(scenario, cheapest, t.get("usd_mid_7d_ago"), t.get("usd_mid_30d_ago"),
                                         routes))
    return summaries
