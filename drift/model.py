"""The alert record every detector returns."""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from core.money import NOT_AVAILABLE, usd_price


def alert_id(rule: str, key: str, trigger: str) -> str:
    """Stable id: the same rule, key and triggering observation always give the same id."""
    return hashlib.sha256(f"{rule}\x1f{key}\x1f{trigger}".encode()).hexdigest()[:20]


def day_start(d: date) -> datetime:
    return datetime(d.year, d.month, d.day)


def iso(at: datetime) -> str:
    """Observation times in messages, evidence and alert triggers."""
    return at.isoformat(sep=" ")


def money(value: float | None) -> str:
    """A price in an alert message (``core.money.usd_price``: never "$nan", always "n/a")."""
    return usd_price(value, missing=NOT_AVAILABLE)


def pct_text(pct: float) -> str:
    """``+12.3%``; a move away from zero (an infinite percentage) has no percentage and says so;
    a percentage that is not a number at all is "n/a"."""
    if math.isnan(pct):
        return NOT_AVAILABLE
    return f"{pct:+.1f}%" if math.isfinite(pct) else "from zero"


def pct_value(pct: float) -> float | None:
    """A percentage for JSON evidence (None for a move away from zero)."""
    return round(pct, 2) if math.isfinite(pct) else None


@dataclass
class Alert:
    rule: str
    key: str
    severity: str
    first_seen_at: datetime  # the observation time that triggered it
    message: str
    trigger: str  # observation time / event date that, with rule and key, identifies the alert
    kind: Literal["event", "condition"] = "event"
    evidence: dict[str, Any] = field(default_factory=dict)
    last_seen_at: datetime | None = None
    state: Literal["open", "resolved"] = "open"
    resolved_at: datetime | None = None
    resolution: str | None = None

    @property
    def alert_id(self) -> str:
        return alert_id(self.rule, self.key, self.trigger)

    def resolve(self, at: datetime, why: str) -> None:
        self.state, self.resolved_at, self.resolution = "resolved", at, why
        self.last_seen_at = max(self.last_seen_at or at, at)
