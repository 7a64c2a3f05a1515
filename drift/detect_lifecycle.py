"""Lifecycle alerts: an event seen for the first time (or with a changed date), and reminders
``days_before`` its effective date, dated on the reminder day.

Every stored row is an announcement (each first sighting, and each changed date, is news); only
the CURRENT event of each (provider, model, event, scope) gets reminders. "Current" has one
definition, ``lifecycle_events_as_of(cutoff)`` (warehouse/semantic/20_as_of.sql: not superseded
by a changed date seen before the cutoff, from the best-ranked source), read here as of the
evaluation time, as ``model_lifecycle_events_current`` is as of now.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import duckdb

from cost_engine.availability import INFERENCE_BLOCKERS, TRAINING_BLOCKERS
from drift.impact import ImpactFinder
from drift.model import Alert, day_start
from drift.rules import Rule, RuleSet
from scrapers.records import LifecycleEvent

EVENTS_SQL = """
SELECT event_id, provider, model, event, effective_date, announced_date, replacement, scope,
       source_url, first_seen_at, supersedes_event_id,
       event_id IN (SELECT event_id FROM lifecycle_events_as_of(?::TIMESTAMP)) AS is_current
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


@dataclass(frozen=True)
class EventRow:
    """One stored lifecycle event (a row of EVENTS_SQL)."""

    event_id: int
    provider: str
    model: str
    event: str
    effective: date | None
    announced: date | None
    replacement: str | None
    scope: str
    url: str | None
    first_seen: datetime
    supersedes: int | None
    is_current: bool

    @property
    def key(self) -> str:
        return event_key(self.provider, self.model, self.event, self.scope)

    @property
    def fields(self) -> dict[str, Any]:
        return {"provider": self.provider, "model": self.model, "event": self.event, "scope": self.scope}

    @property
    def text(self) -> str:
        return _describe(self.provider, self.model, self.event, self.effective, self.scope)

    @property
    def use_instead(self) -> str:
        return f"; use {self.replacement} instead" if self.replacement else ""

    def evidence(self) -> dict[str, Any]:
        return {**self.fields, "event_id": self.event_id,
                "effective_date": self.effective and self.effective.isoformat(),
                "announced_date": self.announced and self.announced.isoformat(), "replacement": self.replacement,
                "source_url": self.url}

    def as_event(self) -> LifecycleEvent:
        return LifecycleEvent(provider=self.provider, model=self.model, event=self.event,
                              effective_date=self.effective, announced_date=self.announced,
                              replacement=self.replacement, scope=self.scope, source_url=self.url)


def _announcement(rule: Rule, row: EventRow, by_id: dict[int, EventRow], affected: list[str] | None,
                  impact: ImpactFinder) -> Alert | None:
    """The rule's announcement of ``row``, or None when it is history, not news."""
    already_in_effect = row.effective is not None and row.effective < row.first_seen.date() and row.supersedes is None
    if rule.skip_past and already_in_effect and affected == []:
        return None  # in effect before we first saw it and ends no catalogue route: history, not news
    message = row.text + row.use_instead
    if row.supersedes is not None and row.supersedes in by_id:
        old = by_id[row.supersedes].effective
        message = f"date changed (was {old.isoformat() if old else 'unset'}): " + message
    evidence = row.evidence()
    if row.event in ENDING_EVENTS:
        evidence["scenarios_affected"] = affected
        if affected:
            message += f"; affects scenarios: {', '.join(affected)}"
        elif affected is None:
            evidence["impact_unknown"] = impact.problem
    # Unknown impact (None) is treated like a route-ending one: better loud than silent.
    severity = (rule.route_ending_severity or rule.severity) if affected != [] else rule.severity
    trigger = row.effective.isoformat() if row.effective else f"event:{row.event_id}"
    if row.supersedes is not None:  # X → Y → X is a new announcement, not the first X again
        trigger += f"|after:{row.supersedes}"
    return Alert(rule=rule.name, key=row.key, severity=severity, first_seen_at=row.first_seen, trigger=trigger,
                 message=message, evidence=evidence)


def _announcements(rules: list[Rule], row: EventRow, by_id: dict[int, EventRow], impact: ImpactFinder) -> list[Alert]:
    matching = [rule for rule in rules if rule.matches(**row.fields)]
    if not matching:
        return []
    affected = impact.affected(row.as_event()) if row.event in ENDING_EVENTS else []
    return [a for rule in matching if (a := _announcement(rule, row, by_id, affected, impact)) is not None]


def _reminders(rules: list[Rule], row: EventRow, now: datetime) -> list[Alert]:
    """Reminders of the current event ``row``, each dated on its day, once that day has come."""
    if not row.is_current or row.effective is None:
        return []
    alerts: list[Alert] = []
    for rule in (r for r in rules if r.matches(**row.fields)):
        for days in sorted(set(rule.days_before), reverse=True):
            day = row.effective - timedelta(days=days)
            if day <= row.first_seen.date() or day_start(day) > now:
                continue  # before we knew of it, or not yet due
            alerts.append(Alert(
                rule=rule.name, key=f"{row.key}|T-{days}", severity=rule.severity, first_seen_at=day_start(day),
                trigger=row.effective.isoformat(),
                message=(f"in {days} days: {row.text}" if days else f"today: {row.text}") + row.use_instead,
                evidence={**row.evidence(), "days_before": days}))
    return alerts


def lifecycle_alerts(con: duckdb.DuckDBPyConnection, rules: RuleSet, now: datetime,
                     impact: ImpactFinder | None = None) -> list[Alert]:
    announce_rules = rules.of_type("lifecycle_announced")
    remind_rules = rules.of_type("lifecycle_reminder")
    if not announce_rules and not remind_rules:
        return []
    impact = impact or ImpactFinder()
    rows = [EventRow(*r) for r in con.execute(EVENTS_SQL, [now]).fetchall()]
    by_id = {r.event_id: r for r in rows}
    alerts: list[Alert] = []
    for row in rows:
        alerts += _announcements(announce_rules, row, by_id, impact) + _reminders(remind_rules, row, now)
    return alerts
