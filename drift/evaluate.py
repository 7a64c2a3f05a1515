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
from drift.notify import queue
from drift.rules import RuleSet
from warehouse.db import transaction


def apply_deferrals(alerts: list[Alert], rules: RuleSet) -> list[Alert]:
    """Drop an alert when a rule it defers to (``defer_to``) alerted on the same key at the same
    observation: one notification per move."""
    defer = {r.name: r.defer_to for r in rules.rules if r.enabled and r.defer_to}
    if not defer:
        return alerts
    fired = {(a.rule, a.key, a.first_seen_at) for a in alerts}
    return [a for a in alerts
            if not any((other, a.key, a.first_seen_at) in fired for other in defer.get(a.rule, ()))]


def unique_ids(alerts: list[Alert]) -> list[Alert]:
    """One alert per id, the earliest (e.g. two sources announcing the same date)."""
    seen: dict[str, Alert] = {}
    for alert in sorted(alerts, key=lambda a: (a.first_seen_at, a.rule, a.key, a.trigger)):
        seen.setdefault(alert.alert_id, alert)
    return list(seen.values())


def supersede_events(alerts: list[Alert]) -> list[Alert]:
    """An event alert stays open until a newer event of the same rule and key arrives.
    ``alerts`` must have unique ids (see ``unique_ids``)."""
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
    alerts = unique_ids(apply_deferrals(alerts, rules))
    return sorted(supersede_events(alerts), key=lambda a: (a.first_seen_at, a.rule, a.key))


@dataclass
class StoreResult:
    new: list[Alert] = field(default_factory=list)
    resolved: list[Alert] = field(default_factory=list)  # conditions that ended (delivered)
    superseded: int = 0  # events resolved silently by a newer one


NO_LONGER_EVALUATED = "no longer evaluated"

_INSERT = """
INSERT INTO alerts (alert_id, rule, key, severity, first_seen_at, last_seen_at, state, resolved_at,
                    message, evidence, created_at, kind, trigger_ref, resolution)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
_EXISTING = """
SELECT alert_id, state, kind, last_seen_at, rule, key, severity, first_seen_at, message, trigger_ref
FROM alerts
"""

# A delivery channel as stored in alert_deliveries: (stable id, display label).
ChannelRef = tuple[str, str]


def _queue(con: duckdb.DuckDBPyConnection, alert_id: str, event: str, channels: list[ChannelRef],
           now: datetime) -> None:
    queue(con, alert_id, event, channels, now)


def store_alerts(con: duckdb.DuckDBPyConnection, alerts: list[Alert], channels: list[ChannelRef],
                 now: datetime, evaluated_at: datetime | None = None) -> StoreResult:
    """Insert new alerts, resolve ended ones, queue their notifications on ``channels``.

    An alert id already stored is never inserted again; an open alert is resolved once. An open
    condition whose id the evaluation no longer produces (its rule was disabled, renamed or
    changed, or its data is gone) is resolved at ``evaluated_at`` as "no longer evaluated", and
    that resolution is delivered like any other.
    """
    existing = {row[0]: row for row in con.execute(_EXISTING).fetchall()}
    result = StoreResult()
    with transaction(con):
        for alert in alerts:
            aid = alert.alert_id
            row = existing.get(aid)
            if row is None:
                con.execute(_INSERT, [
                    aid, alert.rule, alert.key, alert.severity, alert.first_seen_at, alert.last_seen_at,
                    alert.state, alert.resolved_at, alert.message, json.dumps(alert.evidence, default=str),
                    now, alert.kind, alert.trigger, alert.resolution])
                existing[aid] = (aid, alert.state, alert.kind, alert.last_seen_at)
                result.new.append(alert)
                _queue(con, aid, "opened", channels, now)
                if alert.state == "resolved":
                    if alert.kind == "condition":
                        result.resolved.append(alert)
                        _queue(con, aid, "resolved", channels, now)
                    else:
                        result.superseded += 1
                continue
            state, stored_last_seen = row[1], row[3]
            if state == "open" and alert.state == "resolved":
                con.execute(
                    "UPDATE alerts SET state = 'resolved', resolved_at = ?, resolution = ?, last_seen_at = ? "
                    "WHERE alert_id = ?", [alert.resolved_at, alert.resolution, alert.last_seen_at, aid])
                if alert.kind == "condition":
                    result.resolved.append(alert)
                    _queue(con, aid, "resolved", channels, now)
                else:
                    result.superseded += 1
            elif state == "open" and alert.last_seen_at and (stored_last_seen is None
                                                             or alert.last_seen_at > stored_last_seen):
                con.execute("UPDATE alerts SET last_seen_at = ? WHERE alert_id = ?", [alert.last_seen_at, aid])
        result.resolved += _resolve_unevaluated(con, existing, {a.alert_id for a in alerts}, channels, now,
                                                evaluated_at or now)
    return result


def _resolve_unevaluated(con: duckdb.DuckDBPyConnection, existing: dict[str, tuple], produced: set[str],
                         channels: list[ChannelRef], now: datetime, at: datetime) -> list[Alert]:
    ended: list[Alert] = []
    for aid, row in existing.items():
        if aid in produced or row[1] != "open" or row[2] != "condition":
            continue
        _, _, kind, last_seen, rule, key, severity, first_seen, message, trigger = row
        resolved_at = max(at, last_seen or at)
        con.execute("UPDATE alerts SET state = 'resolved', resolved_at = ?, resolution = ? WHERE alert_id = ?",
                    [resolved_at, NO_LONGER_EVALUATED, aid])
        alert = Alert(rule=rule, key=key, severity=severity, first_seen_at=first_seen, message=message,
                      trigger=trigger or "", kind=kind, last_seen_at=last_seen)
        alert.resolve(resolved_at, NO_LONGER_EVALUATED)
        ended.append(alert)
        _queue(con, aid, "resolved", channels, now)
    return ended
