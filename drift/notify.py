"""Alert delivery: console, a JSONL file and apprise URLs, with every attempt recorded.

Notifications are queued in ``alert_deliveries`` when an alert opens or a condition resolves
(one row per channel configured at that moment, ``delivered = false``). Each run sends what is
still pending on the configured channels and records the outcome per notification; a failure
stays pending and is retried on the next run, so no alert is lost.

A channel is keyed by a stable ``id`` (console, jsonl, ``apprise:<sha256(url)[:16]>``); its
``name`` (the masked URL for apprise) is only a display label. Apprise gets at most
``APPRISE_MAX_NOTES`` notifications per message, each message sent (and failing) on its own,
with apprise's ``overflow=split`` so a long body is split for channels with small limits. The
console prints at most ``CONSOLE_MAX_LINES`` lines and a pointer to ``pricewatch alerts``: a
summary by design, and the notifications count as shown there.
"""
from __future__ import annotations

import hashlib
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
APPRISE_MAX_NOTES = 50

# Rows from before migration 011 have no channel_id: their label is their identity.
PENDING_SQL = """
WITH pending AS (
    SELECT alert_id, coalesce(channel_id, channel) AS channel, event FROM alert_deliveries
    GROUP BY alert_id, coalesce(channel_id, channel), event HAVING NOT bool_or(delivered)
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
    id: str  # stable key in alert_deliveries.channel_id
    name: str  # display label (alert_deliveries.channel)
    max_notes: int | None  # notifications per send() call; None: all at once

    def send(self, notes: list[Notification]) -> None: ...


@dataclass
class ConsoleChannel:
    stream: TextIO | None = None
    name: str = "console"
    id: str = "console"
    max_notes: int | None = None

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
    id: str = "jsonl"
    max_notes: int | None = None

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


def channel_id(url: str) -> str:
    """Stable id of an apprise URL (not reversible, so no secret is stored)."""
    return "apprise:" + hashlib.sha256(url.encode()).hexdigest()[:16]


class AppriseChannel:
    max_notes: int | None = APPRISE_MAX_NOTES

    def __init__(self, url: str):
        self.url = url
        self.id = channel_id(url)
        self.name = mask_url(url)

    def _plugin(self) -> Any:
        """The apprise plugin for the URL, splitting long bodies (``overflow=split``) unless the
        URL chooses its own overflow mode."""
        import apprise

        plugin = apprise.Apprise.instantiate(self.url)
        if plugin is not None and "overflow=" not in self.url:
            plugin.overflow_mode = apprise.OverflowMode.SPLIT
        return plugin

    def send(self, notes: list[Notification]) -> None:
        """One message with every note (send_all passes at most ``max_notes``)."""
        import apprise

        opened = sum(n.event == "opened" for n in notes)
        resolved = len(notes) - opened
        title = f"pricewatch: {opened} new alert{'s' * (opened != 1)}" + (f", {resolved} resolved" if resolved else "")
        body = "\n".join(n.line() for n in notes)
        severities = {n.severity for n in notes}
        notify_type = (apprise.NotifyType.FAILURE if "critical" in severities
                       else apprise.NotifyType.WARNING if "warning" in severities else apprise.NotifyType.INFO)
        client = apprise.Apprise()
        plugin = self._plugin()
        if plugin is None or not client.add(plugin):
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
    channel: Channel
    notes: list[Notification]  # exactly the notifications this attempt sent
    error: str | None


def chunks(notes: list[Notification], size: int | None) -> list[list[Notification]]:
    if not size:
        return [notes] if notes else []
    return [notes[i:i + size] for i in range(0, len(notes), size)]


def send_all(channels: list[Channel], queue: dict[str, list[Notification]]) -> list[Attempt]:
    """Send each configured channel its pending notifications (no database connection held),
    in chunks of the channel's ``max_notes``; each chunk succeeds or fails on its own."""
    attempts = []
    for channel in channels:
        notes = queue.get(channel.id, [])
        if channel.name != channel.id:  # rows queued before migration 011 carry the label only
            notes = notes + queue.get(channel.name, [])
        for chunk in chunks(notes, channel.max_notes):
            try:
                channel.send(chunk)
                attempts.append(Attempt(channel, chunk, None))
            except Exception as exc:  # noqa: BLE001 - recorded and retried next run
                attempts.append(Attempt(channel, chunk, str(exc) or type(exc).__name__))
    return attempts


def record_attempts(con: duckdb.DuckDBPyConnection, attempts: list[Attempt], now: datetime) -> tuple[int, int]:
    """Write one alert_deliveries row per notification attempt. Returns (delivered, failed):
    notifications delivered on every channel tried, and channel deliveries that failed."""
    ok: dict[tuple[str, str], bool] = {}
    failed = 0
    for attempt in attempts:
        for note in attempt.notes:
            con.execute("INSERT INTO alert_deliveries (alert_id, channel, event, attempted_at, delivered, error, "
                        "channel_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [note.alert_id, attempt.channel.name, note.event, now, attempt.error is None,
                         attempt.error, attempt.channel.id])
            ident = (note.alert_id, note.event)
            ok[ident] = ok.get(ident, True) and attempt.error is None
            failed += attempt.error is not None
    return sum(ok.values()), failed
