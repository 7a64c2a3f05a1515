"""Drift detection and alert delivery step of the daily run."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TextIO

from core.clock import utcnow
from core.outcome import StepOutcome
from core.settings import Settings
from drift.evaluate import StoreResult, evaluate_incremental, store_alerts
from drift.notify import DeliveryReport, default_channels, deliver
from drift.rules import RuleSet, load_rules
from warehouse.db import write_connection


@dataclass
class DriftRun:
    stored: StoreResult
    delivery: DeliveryReport

    @property
    def delivered(self) -> int:
        return self.delivery.delivered

    @property
    def failed(self) -> int:
        return self.delivery.failed

    @property
    def failures(self) -> list[str]:
        return self.delivery.errors

    def summary(self) -> str:
        """One line, e.g. "3 new alerts, 1 resolved, 4 delivered"; failures, give-ups and
        interrupted sends are counted with their (masked) reasons."""
        n, d = len(self.stored.new), self.delivery
        text = f"{n} new alert{'s' * (n != 1)}, {len(self.stored.resolved)} resolved, {d.delivered} delivered"
        if d.failed:
            text += f", {d.failed} deliveries failed (retried next run)"
        if d.gave_up:
            text += f", {d.gave_up} deliveries given up"
        if d.unconfirmed:
            text += f", {d.unconfirmed} interrupted deliveries not resent"
        if d.errors:
            text += f": {'; '.join(d.errors)[:300]}"
        return text


def run_drift(settings: Settings, *, rules: RuleSet | None = None, now: datetime | None = None,
              stream: TextIO | None = None) -> DriftRun:
    """Evaluate, store, deliver. The warehouse is not held open while notifications are sent."""
    rules = rules or load_rules()
    now = now or utcnow()
    channels = default_channels(settings.data_dir, settings.alert_urls, stream)
    with write_connection(settings.db_path) as con:
        evaluation = evaluate_incremental(con, rules, now)  # reads only what was loaded since the last run
        stored = store_alerts(con, evaluation.alerts, [(c.id, c.name) for c in channels], utcnow(),
                              evaluated_at=now, state=evaluation.state)
    return DriftRun(stored, deliver(settings.db_path, channels, utcnow()))


def evaluate_and_notify(settings: Settings) -> str | StepOutcome:
    """The daily step: e.g. "3 new alerts, 1 resolved, 4 delivered"; a delivery that failed (retried
    next run) or was given up makes the step's outcome failed (the alerts are stored either way)."""
    run = run_drift(settings)
    if run.failed or run.delivery.gave_up:
        problems = run.delivery.failed + run.delivery.gave_up
        return StepOutcome(run.summary(), tuple(run.failures) or (f"{problems} alert deliveries failed",))
    return run.summary()
