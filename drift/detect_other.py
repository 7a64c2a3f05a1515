"""Scenario cost drift (from the scenario_cost_trend view and scenario_costs) and stale sources (from fetch_log)."""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from itertools import groupby
from typing import Any

import duckdb

from cost_engine.changes import LikeForLike, RouteDay, like_for_like
from drift.detect_prices import change_alert
from drift.model import Alert, day_start, iso, money, pct_text, pct_value
from drift.rules import Rule, RuleSet
from drift.series import Change

# The cheapest route per scenario, layer and stored day: the one home of that concept
# (warehouse/semantic/50_costs.sql). Days with no usable route are left out.
TREND_SQL = """
SELECT scenario, layer, as_of, cheapest_route, usd_mid FROM scenario_cost_trend
WHERE cheapest_route IS NOT NULL AND usd_mid IS NOT NULL ORDER BY scenario, layer, as_of
"""
# Every stored day of the routes that were ever a scenario's cheapest (their layers, whether
# usable, and the total row's inputs: provenance and catalogue version).
ROUTE_DAYS_SQL = """
WITH chosen AS (SELECT DISTINCT scenario, cheapest_route AS route FROM scenario_cost_trend
                WHERE cheapest_route IS NOT NULL)
SELECT c.scenario, c.as_of, c.route, c.layer, c.usd_mid, c.available,
       CASE WHEN c.layer = 'total' THEN c.inputs END AS inputs
FROM scenario_costs c JOIN chosen USING (scenario, route)
ORDER BY c.scenario, c.as_of, c.route
"""
# Outcomes that never make a fetch a failure on their own: an empty page is a warning (a
# Vast.ai run fetches many pages, a few may be empty), but a batch with nothing but empty pages
# (or failures) delivered no data and fails.
WARNING_OUTCOMES = ("empty",)
# An endpoint that answered it is retired (gone for good, e.g. RunPod's GraphQL API) always fails
# the run, whatever the rule's failure_outcomes say, and the alert says so: waiting will not help.
RETIRED_OUTCOME = "retired"

# fetch_log folded to one row per run of a source (its batch: the rows sharing observed_at).
# A batch failed when none of its rows has an outcome outside the failure (and warning) outcomes;
# `at` is the first fetch of the batch, the error the last failing row's (a retired answer first).
BATCH_SQL = """
SELECT source, min(fetched_at) AS started_at,
       bool_and(list_contains(?::VARCHAR[], outcome)) AS failed,
       coalesce(arg_max(outcome, fetched_at) FILTER (WHERE outcome = 'retired'),
                arg_max(outcome, fetched_at) FILTER (WHERE outcome <> 'ok')) AS last_outcome,
       coalesce(arg_max(error, fetched_at) FILTER (WHERE outcome = 'retired'),
                arg_max(error, fetched_at) FILTER (WHERE outcome <> 'ok')) AS last_error,
       count(*) AS fetches
FROM fetch_log
GROUP BY source, observed_at
ORDER BY source, started_at, observed_at
"""


RouteDays = dict[tuple[str, date], dict[str, RouteDay]]   # (scenario, as_of) -> route -> its day


def _route_days(con: duckdb.DuckDBPyConnection) -> RouteDays:
    layers: dict[tuple[str, date, str], dict[str, float | None]] = defaultdict(dict)
    meta: dict[tuple[str, date, str], tuple[bool, Any]] = {}
    for scenario, as_of, route, layer, usd, available, inputs in con.execute(ROUTE_DAYS_SQL).fetchall():
        key = (scenario, as_of, route)
        layers[key][layer] = None if usd is None else float(usd)
        if layer == "total":
            meta[key] = (bool(available), json.loads(inputs) if isinstance(inputs, str) else inputs)
    out: RouteDays = defaultdict(dict)
    for (scenario, as_of, route), by_layer in layers.items():
        available, inputs = meta.get((scenario, as_of, route), (False, None))
        out[(scenario, as_of)][route] = RouteDay.from_rows(route, available, by_layer, inputs)
    return out


def _moves_text(lfl: LikeForLike) -> str:
    return "; ".join(f"{m.label} {money(m.old)} → {money(m.new)} ({pct_text(m.pct)})" for m in lfl.moves)


def _cost_alerts(rule: Rule, scenario: str, layer: str, days: list[tuple[date, str, float]],
                 route_days: RouteDays) -> list[Alert]:
    """Moves of the scenario's cost that prices explain (``like_for_like``) of at least the threshold,
    from a reference day: the first, then the day of the last alert. A day with no route comparable
    with the reference day (the preferred offer changed with no price beneath it) becomes the new
    reference without an alert; the route-change rule reports the switch."""
    alerts: list[Alert] = []
    if not days:
        return alerts
    ref_day, ref_route, _ = days[0]
    for day, route, _usd in days[1:]:
        lfl = like_for_like(route_days.get((scenario, ref_day), {}), route_days.get((scenario, day), {}),
                            {ref_route, route}, layer)
        if lfl is None:
            ref_day, ref_route = day, route
            continue
        pct = lfl.pct
        if not lfl.moves or abs(pct) < rule.threshold_pct - 1e-9:
            continue
        if rule.direction == "any" or (pct < 0) == (rule.direction == "down"):
            ch = Change(day_start(day), lfl.old, lfl.new, day_start(ref_day))
            evidence = {"scenario": scenario, "layer": layer, "old_route": lfl.old_route, "new_route": lfl.new_route,
                        "moved_prices": [{"price": m.label, "old": m.old, "new": m.new, "pct": pct_value(m.pct)}
                                         for m in lfl.moves],
                        "largest_price_move_pct": pct_value(lfl.largest_move_pct)}
            alert = change_alert(rule, f"{scenario}|{layer}", f"scenario {scenario} ({layer}), cheapest like-for-like",
                                 "", ch, evidence)
            alert.message += f"; prices that moved: {_moves_text(lfl)}"
            alerts.append(alert)
        ref_day, ref_route = day, route
    return alerts


def _why_switched(old_route: str, old_day: RouteDay | None, old_usd: float) -> str:
    if old_day is None:
        return f"{old_route} is no longer priced"
    if not old_day.available:
        return f"{old_route} is no longer usable"
    total = old_day.layers.get("total")
    if total is not None and total != old_usd:
        return f"{old_route} now costs {money(total)}"
    return f"{old_route} unchanged"


def _route_alerts(rule: Rule, scenario: str, layer: str, days: list[tuple[date, str, float]],
                  route_days: RouteDays) -> list[Alert]:
    alerts: list[Alert] = []
    for (_, old_route, old_usd), (day, route, usd) in zip(days, days[1:], strict=False):
        if route == old_route:
            continue
        at = day_start(day)
        why = _why_switched(old_route, route_days.get((scenario, day), {}).get(old_route), old_usd)
        alerts.append(Alert(
            rule=rule.name, key=f"{scenario}|{layer}", severity=rule.severity, first_seen_at=at, trigger=iso(at),
            message=(f"scenario {scenario} ({layer}): cheapest route is now {route} at {money(usd)} "
                     f"(was {old_route} at {money(old_usd)}; {why})"),
            evidence={"scenario": scenario, "layer": layer, "old_route": old_route, "new_route": route,
                      "old_usd": old_usd, "new_usd": usd, "why": why}))
    return alerts


def scenario_alerts(con: duckdb.DuckDBPyConnection, rules: RuleSet) -> list[Alert]:
    """Scenario cost alerts follow prices, not preferences (issue #11 item 3): a cost change alert
    names the price observations that moved beneath it; a change of the preferred route with no
    price move beneath it is a route change, never a cost change."""
    cost_rules = rules.of_type("scenario_cost_change")
    route_rules = rules.of_type("scenario_route_change")
    if not cost_rules and not route_rules:
        return []
    series: dict[tuple[str, str], list[tuple[date, str, float]]] = defaultdict(list)
    for scenario, layer, as_of, route, usd in con.execute(TREND_SQL).fetchall():
        series[(scenario, layer)].append((as_of, route, float(usd)))
    route_days = _route_days(con) if series else {}
    alerts: list[Alert] = []
    for (scenario, layer), days in series.items():
        fields = {"scenario": scenario, "layer": layer}
        for rule in cost_rules:
            if rule.matches(**fields):
                alerts += _cost_alerts(rule, scenario, layer, days, route_days)
        for rule in route_rules:
            if rule.matches(**fields):
                alerts += _route_alerts(rule, scenario, layer, days, route_days)
    return alerts


def _stale_message(source: str, streak: list[datetime], outcome: str | None, error: str | None) -> str:
    runs = f"{len(streak)} failed runs in a row since {iso(streak[0])}"
    if outcome == RETIRED_OUTCOME:
        return (f"source {source} is retired: its endpoint answered that it is gone for good ({runs}): "
                f"{(error or '')[:300]}")
    return f"source {source} is stale: {runs} (last: {outcome}: {(error or '')[:200]})"


def _source_stale_alerts(rule: Rule, source: str, runs: Iterable[tuple]) -> list[Alert]:
    """The conditions of one source: ``rule.failures`` failed runs in a row open one, the next run
    that delivered data resolves it. runs: BATCH_SQL rows of the source, oldest first."""
    alerts: list[Alert] = []
    streak: list[datetime] = []
    current: Alert | None = None
    for _, at, failed, outcome, error, _fetches in runs:
        if not failed:
            if current is not None:
                current.resolve(at, f"fetch succeeded again at {iso(at)} after {len(streak)} failed runs")
                current = None
            streak = []
            continue
        streak.append(at)
        if current is not None:
            current.last_seen_at = at
            current.evidence.update(failures=len(streak), last_error=error, last_outcome=outcome)
        elif len(streak) >= rule.failures:
            current = Alert(
                rule=rule.name, key=source, severity=rule.severity, first_seen_at=at, trigger=iso(at),
                kind="condition", last_seen_at=at, message=_stale_message(source, streak, outcome, error),
                evidence={"source": source, "failures": len(streak), "failing_since": iso(streak[0]),
                          "last_error": error, "last_outcome": outcome, "retired": outcome == RETIRED_OUTCOME})
            alerts.append(current)
    return alerts


def stale_source_alerts(con: duckdb.DuckDBPyConnection, rules: RuleSet) -> list[Alert]:
    """``failures`` failed runs (batches) of a source in a row open a condition; the next run that
    delivered data resolves it. A run of many pages (Vast.ai) counts once. A run the source
    answered "retired" fails whatever the rule's ``failure_outcomes``, with its own message."""
    alerts: list[Alert] = []
    for rule in rules.of_type("source_stale"):
        failing = sorted(set(rule.failure_outcomes) | set(WARNING_OUTCOMES) | {RETIRED_OUTCOME})
        rows = con.execute(BATCH_SQL, [failing]).fetchall()
        for source, group in groupby(rows, key=lambda r: r[0]):
            if rule.matches(source=source):
                alerts += _source_stale_alerts(rule, source, group)
    return alerts
