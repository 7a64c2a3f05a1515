"""Lifecycle alerts: an event seen for the first time (or with a changed date), and reminders
``days_before`` its effective date, dated on the reminder day."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb

from cost_engine.availability import INFERENCE_BLOCKERS, TRAINING_BLOCKERS
from drift.impact import ImpactFinder
from drift.model import Alert, day_start
from drift.rules import RuleSet
from scrapers.records import LifecycleEvent

EVENTS_SQL = """
SELECT event_id, provider, model, event, effective_date, announced_date, replacement, scope,
       source_url, first_seen_at, supersedes_event_id,
       event_id NOT IN (SELECT supersedes_event_id FROM lifecycle_events
                        WHERE supersedes_event_id IS NOT NULL) AS is_current
FROM lifecycle_events ORDER BY first_seen_at, event_id
"""
# Events that end a route (as the cost engine decides availability; ``deprecated`` and
# ``announced`` only annotate); an announcement of one of them names the scenarios it affects.
ENDING_EVENTS = tuple(dict.fromkeys(TRAINING_BLOCKERS + INFERENCE_BLOCKERS))


def event_key(provider: str, model: str, event: str, scope: str) -> str:
    return f"{provider}|{model}|{event}|{scope}"


def _describe(provider: str, model: str, event: str, effective: date | None, scope: str) -> str:
    who = "all models" if model == "*" else model
    when = f" on {effective.isoformat()}" if effective else ""
    return f"{provider} {who}: {event.replace('_', ' ')}{when}" + (f" (for {scope})" if scope else "")


def lifecycle_alerts(con: duckdb.DuckDBPyConnection, rules: RuleSet, now: datetime,
                     impact: ImpactFinder | None = None) -> list[Alert]:
    announce_rules = rules.of_type("lifecycle_announced")
    remind_rules = rules.of_type("lifecycle_reminder")
    if not announce_rules and not remind_rules:
        return []
    impact = impact or ImpactFinder()
    rows = con.execute(EVENTS_SQL).fetchall()
    by_id = {r[0]: r for r in rows}
    alerts: list[Alert] = []
    for (event_id, provider, model, event, effective, announced, replacement, scope, url,
         first_seen, supersedes, is_current) in rows:
        key = event_key(provider, model, event, scope)
        fields = {"provider": provider, "model": model, "event": event, "scope": scope}
        text = _describe(provider, model, event, effective, scope)
        evidence = {**fields, "event_id": event_id, "effective_date": effective and effective.isoformat(),
                    "announced_date": announced and announced.isoformat(), "replacement": replacement,
                    "source_url": url}
        affected: list[str] | None = []
        if announce_rules and event in ENDING_EVENTS:
            affected = impact.affected(LifecycleEvent(
                provider=provider, model=model, event=event, effective_date=effective,
                announced_date=announced, replacement=replacement, scope=scope, source_url=url))
        for rule in announce_rules:
            if not rule.matches(**fields):
                continue
            already_in_effect = effective is not None and effective < first_seen.date() and supersedes is None
            if rule.skip_past and already_in_effect and affected == []:
                continue  # in effect before we first saw it and ends no catalogue route: history, not news
            message = text + (f"; use {replacement} instead" if replacement else "")
            if supersedes is not None and supersedes in by_id:
                old = by_id[supersedes][4]
                message = f"date changed (was {old.isoformat() if old else 'unset'}): " + message
            ev_evidence = dict(evidence)
            if event in ENDING_EVENTS:
                ev_evidence["scenarios_affected"] = affected
                if affected:
                    message += f"; affects scenarios: {', '.join(affected)}"
                elif affected is None:
                    ev_evidence["impact_unknown"] = impact.problem
            # Unknown impact (None) is treated like a route-ending one: better loud than silent.
            severity = (rule.route_ending_severity or rule.severity) if affected != [] else rule.severity
            trigger = effective.isoformat() if effective else f"event:{event_id}"
            if supersedes is not None:  # X → Y → X is a new announcement, not the first X again
                trigger += f"|after:{supersedes}"
            alerts.append(Alert(
                rule=rule.name, key=key, severity=severity, first_seen_at=first_seen, trigger=trigger,
                message=message, evidence=ev_evidence))
        if not is_current or effective is None:
            continue
        for rule in remind_rules:
            if not rule.matches(**fields):
                continue
            for days in sorted(set(rule.days_before), reverse=True):
                day = effective - timedelta(days=days)
                if day <= first_seen.date() or day_start(day) > now:
                    continue  # before we knew of it, or not yet due
                alerts.append(Alert(
                    rule=rule.name, key=f"{key}|T-{days}", severity=rule.severity, first_seen_at=day_start(day),
                    trigger=effective.isoformat(),
                    message=(f"in {days} days: {text}" if days else f"today: {text}")
                    + (f"; use {replacement} instead" if replacement else ""),
                    evidence={**evidence, "days_before": days}))
    return alerts
