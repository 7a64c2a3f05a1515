"""Alert delivery: console, a JSONL file and apprise URLs, with every attempt recorded.

Notifications are queued in ``alert_deliveries`` when an alert opens or a condition resolves
(one row per channel configured at that moment, ``delivered = false``). Each run sends what is
still pending on the configured channels, one message per channel, and records the outcome;
a failure stays pending and is retried on the next run, so no alert is lost.
"""
from __future__ import annotations

import json
import logging
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TextIO

import duckdb

CONSOLE_MAX_LINES = 50

PENDING_SQL = """
WITH pending AS (
    SELECT alert_id, channel, event FROM alert_deliveries
    GROUP BY alert_id, channel, event HAVING NOT bool_or(delivered)
)
SELECT p.alert_id, p.channel, p.event, a.rule, a.key, a.severity, a.first_seen_at, a.resolved_at,
       a.message, a.resolution, a.evidence
FROM pending p JOIN alerts a USING (alert_id)
ORDER BY coalesce(CASE WHEN p.event = 'resolved' THEN a.resolved_at END, a.first_seen_at), a.rule, a.key
"""


class DeliveryError(RuntimeError):
    pass


@dataclass(frozen=True)
class Notification:
    alert_id: str
    event: str  # opened | resolved
    rule: str
    key: str
    severity: str
    at: datetime
    message: str
    evidence: dict[str, Any]

    def line(self) -> str:
        verb = "RESOLVED " if self.event == "resolved" else ""
        return f"[{self.severity}] {self.at:%Y-%m-%d %H:%M} {verb}{self.rule} {self.key}: {self.message}"

    def as_json(self) -> dict[str, Any]:
        return {"alert_id": self.alert_id, "event": self.event, "rule": self.rule, "key": self.key,
                "severity": self.severity, "at": self.at.isoformat(), "message": self.message,
                "evidence": self.evidence}


class Channel(Protocol):
    name: str

    def send(self, notes: list[Notification]) -> None: ...


@dataclass
class ConsoleChannel:
    stream: TextIO | None = None
    name: str = "console"

    def send(self, notes: list[Notification]) -> None:
        out = self.stream or sys.stderr
        for note in notes[:CONSOLE_MAX_LINES]:
            print(f"alert {note.line()}", file=out)
        if len(notes) > CONSOLE_MAX_LINES:
            print(f"alert ... and {len(notes) - CONSOLE_MAX_LINES} more (see `pricewatch alerts`)", file=out)


@dataclass
class JsonlChannel:
    path: Path
    name: str = "jsonl"

    def send(self, notes: list[Notification]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            for note in notes:
                fh.write(json.dumps(note.as_json(), default=str) + "\n")


def mask_url(url: str) -> str:
    """An apprise URL with its secrets hidden, used as the channel name in alert_deliveries."""
    try:
        import apprise

        plugin = apprise.Apprise.instantiate(url)
        if plugin is not None:
            return str(plugin.url(privacy=True))
    except Exception:  # noqa: BLE001
        pass
    masked = re.sub(r"//[^/@]*@", "//****@", url)
    return re.sub(r"([?&][^=&]*(?:key|token|secret|pass)[^=&]*=)[^&]*", r"\1****", masked, flags=re.I)


class AppriseChannel:
    def __init__(self, url: str):
        self.url = url
        self.name = mask_url(url)

    def send(self, notes: list[Notification]) -> None:
        import apprise

        opened = sum(n.event == "opened" for n in notes)
        resolved = len(notes) - opened
        title = f"pricewatch: {opened} new alert{'s' * (opened != 1)}" + (f", {resolved} resolved" if resolved else "")
        body = "\n".join(n.line() for n in notes[:CONSOLE_MAX_LINES])
        if len(notes) > CONSOLE_MAX_LINES:
            body += f"\n... and {len(notes) - CONSOLE_MAX_LINES} more (see `pricewatch alerts`)"
        severities = {n.severity for n in notes}
        notify_type = (apprise.NotifyType.FAILURE if "critical" in severities
                       else apprise.NotifyType.WARNING if "warning" in severities else apprise.NotifyType.INFO)
        client = apprise.Apprise()
        if not client.add(self.url):
            raise DeliveryError(f"{self.name}: not a valid apprise URL (see https://github.com/caronc/apprise/wiki)")
        with apprise.LogCapture(level=logging.WARNING) as logs:
            ok = client.notify(body=body, title=title, notify_type=notify_type)
        if not ok:
            detail = " ".join(logs.getvalue().split())[:300] if hasattr(logs, "getvalue") else ""
            raise DeliveryError(f"{self.name}: delivery failed{': ' + detail if detail else ''}")


def default_channels(data_dir: Path, alert_urls: tuple[str, ...] | list[str] = (),
                     stream: TextIO | None = None) -> list[Channel]:
    channels: list[Channel] = [ConsoleChannel(stream), JsonlChannel(Path(data_dir) / "alerts.jsonl")]
    channels += [AppriseChannel(url) for url in alert_urls]
    return channels


def pending(con: duckdb.DuckDBPyConnection) -> dict[str, list[Notification]]:
    by_channel: dict[str, list[Notification]] = defaultdict(list)
    for (alert_id, channel, event, rule, key, severity, first_seen, resolved_at, message, resolution,
         evidence) in con.execute(PENDING_SQL).fetchall():
        at = resolved_at if event == "resolved" and resolved_at else first_seen
        text = f"{message} — resolved: {resolution}" if event == "resolved" and resolution else message
        by_channel[channel].append(Notification(alert_id, event, rule, key, severity, at, text,
                                                json.loads(evidence) if evidence else {}))
    return by_channel


@dataclass
class Attempt:
    channel: str
    notes: list[Notification]
    error: str | None


def send_all(channels: list[Channel], queue: dict[str, list[Notification]]) -> list[Attempt]:
    """Send each configured channel its pending notifications (no database connection held)."""
    attempts = []
    for channel in channels:
        notes = queue.get(channel.name, [])
        if not notes:
            continue
        try:
            channel.send(notes)
            attempts.append(Attempt(channel.name, notes, None))
        except Exception as exc:  # noqa: BLE001 - recorded and retried next run
            attempts.append(Attempt(channel.name, notes, str(exc) or type(exc).__name__))
    return attempts


def record_attempts(con: duckdb.DuckDBPyConnection, attempts: list[Attempt], now: datetime) -> tuple[int, int]:
    """Write one alert_deliveries row per notification attempt. Returns (delivered, failed):
    notifications delivered on every channel tried, and channel deliveries that failed."""
    ok: dict[tuple[str, str], bool] = {}
    failed = 0
    for attempt in attempts:
        for note in attempt.notes:
            con.execute("INSERT INTO alert_deliveries VALUES (?, ?, ?, ?, ?, ?)",
                        [note.alert_id, attempt.channel, note.event, now, attempt.error is None, attempt.error])
            ident = (note.alert_id, note.event)
            ok[ident] = ok.get(ident, True) and attempt.error is None
            failed += attempt.error is not None
    return sum(ok.values()), failed
