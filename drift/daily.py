"""Drift detection and alert delivery step of the daily run."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TextIO

from core.clock import utcnow
from core.outcome import StepOutcome
from core.settings import Settings
from drift.evaluate import StoreResult, evaluate, store_alerts
from drift.notify import default_channels, pending, record_attempts, send_all
from drift.rules import RuleSet, load_rules
from warehouse.db import write_connection


@dataclass
class DriftRun:
    stored: StoreResult
    delivered: int
    failed: int
    failures: list[str]

    def summary(self) -> str:
        n = len(self.stored.new)
        text = f"{n} new alert{'s' * (n != 1)}, {len(self.stored.resolved)} resolved, {self.delivered} delivered"
        if self.failed:
            text += f", {self.failed} deliveries failed (retried next run: {'; '.join(self.failures)[:300]})"
        return text


def run_drift(settings: Settings, *, rules: RuleSet | None = None, now: datetime | None = None,
              stream: TextIO | None = None) -> DriftRun:
    """Evaluate, store, deliver. The warehouse is not held open while notifications are sent."""
    rules = rules or load_rules()
    now = now or utcnow()
    channels = default_channels(settings.data_dir, settings.alert_urls, stream)
    with write_connection(settings.db_path) as con:
        stored = store_alerts(con, evaluate(con, rules, now), [(c.id, c.name) for c in channels], utcnow(),
                              evaluated_at=now)
        queue = pending(con)
    attempts = send_all(channels, queue)
    with write_connection(settings.db_path) as con:
        delivered, failed = record_attempts(con, attempts, utcnow())
    failures = sorted({a.error for a in attempts if a.error})
    return DriftRun(stored, delivered, failed, failures)


def evaluate_and_notify(settings: Settings) -> str | StepOutcome:
    """The daily step: e.g. "3 new alerts, 1 resolved, 4 delivered"; a delivery that failed
    makes the step's outcome failed (the alerts are stored and retried next run)."""
    run = run_drift(settings)
    if run.failed:
        return StepOutcome(run.summary(), tuple(run.failures) or (f"{run.failed} alert deliveries failed",))
    return run.summary()
