"""Scenario cost drift (from scenario_costs) and stale sources (from fetch_log)."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from itertools import groupby

import duckdb

from drift.detect_prices import change_alert
from drift.model import Alert, day_start, iso, money
from drift.rules import RuleSet
from drift.series import Point, threshold_changes

SCENARIO_SQL = """
SELECT scenario, layer, as_of, route, usd_mid FROM scenario_costs
WHERE available AND usd_mid IS NOT NULL ORDER BY scenario, layer, as_of, usd_mid, route
"""
# Outcomes that never make a fetch a failure on their own: an empty page is a warning (a
# Vast.ai run fetches many pages, a few may be empty), but a batch with nothing but empty pages
# (or failures) delivered no data and fails.
WARNING_OUTCOMES = ("empty",)

# fetch_log folded to one row per run of a source (its batch: the rows sharing observed_at).
# A batch failed when none of its rows has an outcome outside the failure (and warning) outcomes;
# `at` is the first fetch of the batch, the error the last failing row's.
BATCH_SQL = """
SELECT source, min(fetched_at) AS started_at,
       bool_and(list_contains(?::VARCHAR[], outcome)) AS failed,
       arg_max(outcome, fetched_at) FILTER (WHERE outcome <> 'ok') AS last_outcome,
       arg_max(error, fetched_at) FILTER (WHERE outcome <> 'ok') AS last_error,
       count(*) AS fetches
FROM fetch_log
GROUP BY source, observed_at
ORDER BY source, started_at, observed_at
"""


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
                        rule=rule.name, key=key, severity=rule.severity, first_seen_at=at, trigger=iso(at),
                        message=(f"scenario {scenario} ({layer}): cheapest route is now {route} at {money(usd)} "
                                 f"(was {old_route} at {money(old_usd)})"),
                        evidence={**fields, "old_route": old_route, "new_route": route,
                                  "old_usd": old_usd, "new_usd": usd}))
    return alerts


def stale_source_alerts(con: duckdb.DuckDBPyConnection, rules: RuleSet) -> list[Alert]:
    """``failures`` failed runs (batches) of a source in a row open a condition; the next run that
    delivered data resolves it. A run of many pages (Vast.ai) counts once."""
    alerts: list[Alert] = []
    for rule in rules.of_type("source_stale"):
        failing = sorted(set(rule.failure_outcomes) | set(WARNING_OUTCOMES))
        rows = con.execute(BATCH_SQL, [failing]).fetchall()
        for source, group in groupby(rows, key=lambda r: r[0]):
            if not rule.matches(source=source):
                continue
            streak: list[datetime] = []
            current: Alert | None = None
            for _, at, failed, outcome, error, _fetches in group:
                if not failed:
                    if current is not None:
                        current.resolve(at, f"fetch succeeded again at {iso(at)} after {len(streak)} failed runs")
                        current = None
                    streak = []
                    continue
                streak.append(at)
                if current is not None:
                    current.last_seen_at = at
                    current.evidence["failures"] = len(streak)
                    current.evidence["last_error"] = error
                elif len(streak) >= rule.failures:
                    current = Alert(
                        rule=rule.name, key=source, severity=rule.severity, first_seen_at=at,
                        trigger=iso(at), kind="condition", last_seen_at=at,
                        message=(f"source {source} is stale: {len(streak)} failed runs in a row since "
                                 f"{iso(streak[0])} (last: {outcome}: {(error or '')[:200]})"),
                        evidence={"source": source, "failures": len(streak),
                                  "failing_since": iso(streak[0]), "last_error": error})
                    alerts.append(current)
    return alerts
