"""Stale and retired sources (from fetch_log). Scenario cost drift moved to drift.detect_scenarios
(``scenario_alerts`` is re-exported here for existing callers)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from itertools import groupby

import duckdb

from drift.detect_scenarios import scenario_alerts
from drift.model import Alert, iso
from drift.rules import Rule, RuleSet

__all__ = ["BATCH_SQL", "RETIRED_OUTCOME", "WARNING_OUTCOMES", "scenario_alerts", "stale_source_alerts"]

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
