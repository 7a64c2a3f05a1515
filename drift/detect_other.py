"""Scenario cost drift (from scenario_costs) and stale sources (from fetch_log)."""
from __future__ import annotations

from collections import defaultdict
from itertools import groupby

import duckdb

from drift.detect_prices import _iso, _usd, change_alert
from drift.model import Alert, day_start
from drift.rules import RuleSet
from drift.series import Point, threshold_changes

SCENARIO_SQL = """
SELECT scenario, layer, as_of, route, usd_mid FROM scenario_costs
WHERE available AND usd_mid IS NOT NULL ORDER BY scenario, layer, as_of, usd_mid, route
"""
FETCH_SQL = "SELECT source, fetched_at, outcome, error, fetch_id FROM fetch_log ORDER BY source, fetched_at, fetch_id"


def scenario_alerts(con: duckdb.DuckDBPyConnection, rules: RuleSet) -> list[Alert]:
    cost_rules = rules.of_type("scenario_cost_change")
    route_rules = rules.of_type("scenario_route_change")
    if not cost_rules and not route_rules:
        return []
    cheapest: dict[tuple[str, str], list[tuple]] = defaultdict(list)
    for (scenario, layer, as_of), group in groupby(con.execute(SCENARIO_SQL).fetchall(), key=lambda r: r[:3]):
        _, _, _, route, usd = next(group)  # rows are ordered by cost then route: the first is cheapest
        cheapest[(scenario, layer)].append((day_start(as_of), route, float(usd)))
    alerts: list[Alert] = []
    for (scenario, layer), days in cheapest.items():
        fields = {"scenario": scenario, "layer": layer}
        key = f"{scenario}|{layer}"
        route_at = {at: route for at, route, _ in days}
        for rule in cost_rules:
            if rule.matches(**fields):
                for ch in threshold_changes([Point(at, usd) for at, _, usd in days], rule.threshold_pct,
                                            rule.direction):
                    evidence = {**fields, "old_route": route_at[ch.old_since], "new_route": route_at[ch.at]}
                    alerts.append(change_alert(rule, key, f"scenario {scenario} ({layer}), cheapest", "",
                                               ch, evidence))
        for rule in route_rules:
            if not rule.matches(**fields):
                continue
            for (_, old_route, old_usd), (at, route, usd) in zip(days, days[1:]):
                if route != old_route:
                    alerts.append(Alert(
                        rule=rule.name, key=key, severity=rule.severity, first_seen_at=at, trigger=_iso(at),
                        message=(f"scenario {scenario} ({layer}): cheapest route is now {route} at {_usd(usd)} "
                                 f"(was {old_route} at {_usd(old_usd)})"),
                        evidence={**fields, "old_route": old_route, "new_route": route,
                                  "old_usd": old_usd, "new_usd": usd}))
    return alerts


def stale_source_alerts(con: duckdb.DuckDBPyConnection, rules: RuleSet) -> list[Alert]:
    alerts: list[Alert] = []
    stale_rules = rules.of_type("source_stale")
    if not stale_rules:
        return alerts
    rows = con.execute(FETCH_SQL).fetchall()
    for rule in stale_rules:
        for source, group in groupby(rows, key=lambda r: r[0]):
            if not rule.matches(source=source):
                continue
            streak: list[tuple] = []
            current: Alert | None = None
            for _, at, outcome, error, _fetch_id in group:
                if outcome in rule.failure_outcomes:
                    streak.append((at, outcome, error))
                    if current is not None:
                        current.last_seen_at = at
                        current.evidence["failures"] = len(streak)
                        current.evidence["last_error"] = error
                    elif len(streak) >= rule.failures:
                        current = Alert(
                            rule=rule.name, key=source, severity=rule.severity, first_seen_at=at,
                            trigger=_iso(at), kind="condition", last_seen_at=at,
                            message=(f"source {source} is stale: {len(streak)} failed fetches in a row since "
                                     f"{_iso(streak[0][0])} (last: {outcome}: {(error or '')[:200]})"),
                            evidence={"source": source, "failures": len(streak),
                                      "failing_since": _iso(streak[0][0]), "last_error": error})
                        alerts.append(current)
                    continue
                if current is not None:
                    current.resolve(at, f"fetch succeeded again at {_iso(at)} after {len(streak)} failures")
                    current = None
                streak = []
    return alerts
