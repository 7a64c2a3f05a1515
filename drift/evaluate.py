"""Evaluate every rule over the warehouse (SQL over the base tables, not the dbt marts, so
alerts work even when dbt has not run) and store the result in ``alerts``.

Evaluation is a pure function of the history: the same data always gives the same alerts with
the same ids, so re-running adds nothing, and a replayed history dates alerts on its days.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from drift.detect_lifecycle import lifecycle_alerts
from drift.detect_other import scenario_alerts, stale_source_alerts
from drift.detect_prices import gpu_alerts, token_alerts
from drift.impact import ImpactFinder
from drift.model import Alert
from drift.rules import RuleSet


def supersede_events(alerts: list[Alert]) -> list[Alert]:
    """An event alert stays open until a newer event of the same rule and key arrives."""
    groups: dict[tuple[str, str], list[Alert]] = defaultdict(list)
    for alert in alerts:
        if alert.kind == "event":
            groups[(alert.rule, alert.key)].append(alert)
    for group in groups.values():
        group.sort(key=lambda a: (a.first_seen_at, a.trigger))
        for older, newer in zip(group, group[1:]):
            older.resolve(newer.first_seen_at, f"superseded by {newer.alert_id}")
    return alerts


def evaluate(con: duckdb.DuckDBPyConnection, rules: RuleSet, now: datetime,
             impact: ImpactFinder | None = None) -> list[Alert]:
    """Every alert the history supports as of ``now`` (reminders due after ``now`` wait)."""
    alerts = (gpu_alerts(con, rules) + token_alerts(con, rules)
              + lifecycle_alerts(con, rules, now, impact) + scenario_alerts(con, rules)
              + stale_source_alerts(con, rules))
    for alert in alerts:
        alert.last_seen_at = alert.last_seen_at or alert.first_seen_at
    return sorted(supersede_events(alerts), key=lambda a: (a.first_seen_at, a.rule, a.key))


@dataclass
class StoreResult:
    new: list[Alert] = field(default_factory=list)
    resolved: list[Alert] = field(default_factory=list)  # conditions that ended (delivered)
    superseded: int = 0  # events resolved silently by a newer one


_INSERT = """
INSERT INTO alerts (alert_id, rule, key, severity, first_seen_at, last_seen_at, state, resolved_at,
                    message, evidence, created_at, kind, trigger_ref, resolution)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""


def _queue(con: duckdb.DuckDBPyConnection, alert_id: str, event: str, channels: list[str], now: datetime) -> None:
    for channel in channels:
        con.execute("INSERT INTO alert_deliveries VALUES (?, ?, ?, ?, false, 'queued')",
                    [alert_id, channel, event, now])


def store_alerts(con: duckdb.DuckDBPyConnection, alerts: list[Alert], channels: list[str],
                 now: datetime) -> StoreResult:
    """Insert new alerts, resolve ended ones, queue their notifications on ``channels``.

    An alert id already stored is never inserted again; an open alert is resolved once.
    """
    existing = dict(con.execute("SELECT alert_id, state FROM alerts").fetchall())
    result = StoreResult()
    con.execute("BEGIN TRANSACTION")
    try:
        for alert in alerts:
            aid = alert.alert_id
            state = existing.get(aid)
            if state is None:
                con.execute(_INSERT, [
                    aid, alert.rule, alert.key, alert.severity, alert.first_seen_at, alert.last_seen_at,
                    alert.state, alert.resolved_at, alert.message, json.dumps(alert.evidence, default=str),
                    now, alert.kind, alert.trigger, alert.resolution])
                existing[aid] = alert.state
                result.new.append(alert)
                _queue(con, aid, "opened", channels, now)
                if alert.state == "resolved":
                    if alert.kind == "condition":
                        result.resolved.append(alert)
                        _queue(con, aid, "resolved", channels, now)
                    else:
                        result.superseded += 1
                continue
            if state == "open" and alert.state == "resolved":
                con.execute(
                    "UPDATE alerts SET state = 'resolved', resolved_at = ?, resolution = ?, last_seen_at = ? "
                    "WHERE alert_id = ?", [alert.resolved_at, alert.resolution, alert.last_seen_at, aid])
                if alert.kind == "condition":
                    result.resolved.append(alert)
                    _queue(con, aid, "resolved", channels, now)
                else:
                    result.superseded += 1
            elif state == "open":
                con.execute("UPDATE alerts SET last_seen_at = greatest(last_seen_at, ?) WHERE alert_id = ?",
                            [alert.last_seen_at, aid])
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return result
