"""Alert delivery, exactly once per alert and channel: the console (one summary line), a JSONL
file and apprise URLs.

``alert_deliveries`` holds ONE row per (alert, event, channel), updated in place (migration 060):

* queued ``pending`` when an alert opens or a condition resolves, for each channel configured at
  that moment (``queue``), with an idempotency key ``sha256(alert_id|event|channel_id)[:32]``;
* before a channel is called, its notifications are claimed: ``sending``, ``attempts + 1``,
  committed. The channel is then called with no database connection held;
* then ``delivered``, or ``failed`` (retried by the next run), or ``gave_up`` after
  ``MAX_ATTEMPTS`` attempts or ``GIVE_UP_AFTER`` without success (reported once, by the run that
  gives up). A channel whose URL apprise cannot read gives up at once, with one line saying so;
* a row still ``sending`` when a run starts was interrupted mid-send (kill -9, power loss). The
  channel is asked what it holds (``Channel.confirm``): the JSONL file is searched for the key
  (found: ``delivered``, else sent again); the console just prints again; an apprise endpoint
  cannot be asked, so the row becomes ``unconfirmed`` and is NOT sent again (it probably arrived:
  a resend would be a duplicate; receivers can dedupe on the ``Idempotency-Key`` header).

Channels are keyed by a stable ``id`` (console, jsonl, ``apprise:<sha256(url)[:16]>``); the stored
and printed label and errors have every secret masked (``drift.redact``). Apprise gets at most
``APPRISE_MAX_NOTES`` notifications per message, each message claimed, sent and recorded on its
own, with ``overflow=split`` for services with small message limits.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TextIO

import duckdb

from drift.redact import mask_url, scrub
from warehouse.db import transaction, write_connection

APPRISE_MAX_NOTES = 50
MAX_ATTEMPTS = 5
GIVE_UP_AFTER = timedelta(days=7)
RETRYABLE = ("pending", "failed")

PENDING_SQL = """
SELECT d.alert_id, d.channel_id, d.event, d.idempotency_key, a.rule, a.key, a.severity, a.first_seen_at,
       a.resolved_at, a.message, a.resolution, a.evidence
FROM alert_deliveries d JOIN alerts a USING (alert_id)
WHERE d.state IN ('pending', 'failed')
ORDER BY coalesce(CASE WHEN d.event = 'resolved' THEN a.resolved_at END, a.first_seen_at), a.rule, a.key
"""
_QUEUE_MANY = """
INSERT INTO alert_deliveries (alert_id, event, channel_id, channel, idempotency_key, state, attempts, queued_at)
SELECT alert_id, event, channel_id, channel, idempotency_key, 'pending', 0, ?::TIMESTAMP FROM _queued
ON CONFLICT DO NOTHING
"""
_WHERE_ONE = "WHERE alert_id = ? AND event = ? AND channel_id = ?"


class DeliveryError(RuntimeError):
    pass


def idempotency_key(alert_id: str, event: str, channel_id: str) -> str:
    return hashlib.sha256(f"{alert_id}|{event}|{channel_id}".encode()).hexdigest()[:32]


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
    idempotency_key: str = ""

    def line(self) -> str:
        verb = "RESOLVED " if self.event == "resolved" else ""
        return f"[{self.severity}] {self.at:%Y-%m-%d %H:%M} {verb}{self.rule} {self.key}: {self.message}"

    def as_json(self) -> dict[str, Any]:
        return {"alert_id": self.alert_id, "event": self.event, "rule": self.rule, "key": self.key,
                "severity": self.severity, "at": self.at.isoformat(), "message": self.message,
                "evidence": self.evidence, "idempotency_key": self.idempotency_key}


class Channel(Protocol):
    id: str  # stable key in alert_deliveries.channel_id
    name: str  # display label, secrets masked (alert_deliveries.channel)
    max_notes: int | None  # notifications per send() call; None: all at once
    problem: str | None  # why the channel cannot work at all (an unreadable URL), else None

    def send(self, notes: list[Notification]) -> None: ...

    def confirm(self, notes: list[Notification]) -> set[str] | None:
        """After an interrupted send: the idempotency keys of ``notes`` the channel is known to
        hold (the others are sent again), or None when it cannot tell."""
        ...


def summary_line(notes: list[Notification]) -> str:
    """``alerts: 3 new (1 critical, 2 warning), 1 resolved; details: pricewatch alerts``."""
    opened = [n for n in notes if n.event == "opened"]
    severities = Counter(n.severity for n in opened)
    detail = ", ".join(f"{severities[s]} {s}" for s in ("critical", "warning", "info") if severities[s])
    return (f"alerts: {len(opened)} new{f' ({detail})' if detail else ''}, {len(notes) - len(opened)} resolved; "
            "details: pricewatch alerts")


@dataclass
class ConsoleChannel:
    """One summary line per run (the list is in ``pricewatch alerts``)."""

    stream: TextIO | None = None
    name: str = "console"
    id: str = "console"
    max_notes: int | None = None
    problem: str | None = None

    def send(self, notes: list[Notification]) -> None:
        print(summary_line(notes), file=self.stream or sys.stderr)

    def confirm(self, notes: list[Notification]) -> set[str] | None:
        return set()  # a console line is not a record: print again


@dataclass
class JsonlChannel:
    path: Path
    name: str = "jsonl"
    id: str = "jsonl"
    max_notes: int | None = None
    problem: str | None = None

    def send(self, notes: list[Notification]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            for note in notes:
                fh.write(json.dumps(note.as_json(), default=str) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def confirm(self, notes: list[Notification]) -> set[str] | None:
        wanted = {n.idempotency_key for n in notes}
        found: set[str] = set()
        if not self.path.exists():
            return found
        with self.path.open(encoding="utf-8", errors="replace") as fh:
            for line in fh:
                try:
                    key = json.loads(line).get("idempotency_key")
                except (ValueError, AttributeError):
                    continue  # a line cut short by the interruption
                if key in wanted:
                    found.add(key)
        return found


def channel_id(url: str) -> str:
    """Stable id of an apprise URL (not reversible, so no secret is stored)."""
    return "apprise:" + hashlib.sha256(url.encode()).hexdigest()[:16]


@contextmanager
def _quiet_apprise() -> Iterator[None]:
    """Apprise logs every URL it loads, secrets included, and an error per unreadable URL."""
    logger = logging.getLogger("apprise")
    disabled, logger.disabled = logger.disabled, True
    try:
        yield
    finally:
        logger.disabled = disabled


class AppriseChannel:
    max_notes: int | None = APPRISE_MAX_NOTES

    def __init__(self, url: str):
        self.url = url
        self.id = channel_id(url)
        self.name = mask_url(url)
        self.problem = None if self._plugin() is not None else (
            f"{self.name}: not a valid apprise URL (see https://github.com/caronc/apprise/wiki); "
            "its notifications are given up")

    def _plugin(self) -> Any:
        """The apprise plugin for the URL, splitting long bodies (``overflow=split``) unless the
        URL chooses its own overflow mode; None for a URL apprise cannot read."""
        import apprise

        with _quiet_apprise():
            try:
                plugin = apprise.Apprise.instantiate(self.url)
            except Exception:  # noqa: BLE001 - any unreadable URL is "no plugin"
                return None
        if plugin is not None and "overflow=" not in self.url:
            plugin.overflow_mode = apprise.OverflowMode.SPLIT
        return plugin

    def send(self, notes: list[Notification]) -> None:
        """One message with every note (``deliver`` passes at most ``max_notes``). Webhook plugins
        (json, form, xml) also send an ``Idempotency-Key`` header naming the message."""
        import apprise

        opened = sum(n.event == "opened" for n in notes)
        resolved = len(notes) - opened
        title = f"pricewatch: {opened} new alert{'s' * (opened != 1)}" + (f", {resolved} resolved" if resolved else "")
        body = "\n".join(n.line() for n in notes)
        severities = {n.severity for n in notes}
        notify_type = (apprise.NotifyType.FAILURE if "critical" in severities
                       else apprise.NotifyType.WARNING if "warning" in severities else apprise.NotifyType.INFO)
        plugin = self._plugin()
        client = apprise.Apprise()
        if plugin is None or not client.add(plugin):
            raise DeliveryError(self.problem or f"{self.name}: not a valid apprise URL")
        if isinstance(getattr(plugin, "headers", None), dict):
            keys = "|".join(sorted(n.idempotency_key for n in notes))
            plugin.headers["Idempotency-Key"] = hashlib.sha256(keys.encode()).hexdigest()[:32]
        with apprise.LogCapture(level=logging.WARNING) as logs, _quiet_apprise():
            ok = client.notify(body=body, title=title, notify_type=notify_type)
        if not ok:
            detail = " ".join(logs.getvalue().split())[:300] if hasattr(logs, "getvalue") else ""
            raise DeliveryError(scrub(f"{self.name}: delivery failed{': ' + detail if detail else ''}", self.url))

    def confirm(self, notes: list[Notification]) -> set[str] | None:
        return None  # a webhook cannot be asked what it received


def default_channels(data_dir: Path, alert_urls: tuple[str, ...] | list[str] = (),
                     stream: TextIO | None = None) -> list[Channel]:
    channels: list[Channel] = [ConsoleChannel(stream), JsonlChannel(Path(data_dir) / "alerts.jsonl")]
    channels += [AppriseChannel(url) for url in dict.fromkeys(alert_urls)]
    return channels


# --- the queue ----------------------------------------------------------------------------------

def queue(con: duckdb.DuckDBPyConnection, alert_id: str, event: str, channels: list[tuple[str, str]],
          now: datetime) -> None:
    """Queue one notification per channel ``(id, label)``; already queued ones are left alone."""
    queue_many(con, [(alert_id, event)], channels, now)


def queue_many(con: duckdb.DuckDBPyConnection, events: list[tuple[str, str]], channels: list[tuple[str, str]],
               now: datetime) -> int:
    """Queue each ``(alert_id, event)`` on every channel ``(id, label)`` in ONE insert (an Arrow
    table of the alert × channel rows); rows already queued are left alone (ON CONFLICT DO
    NOTHING), and a key repeated within the batch is offered once. Returns the number of rows offered."""
    import pyarrow as pa

    first: dict[tuple[str, str, str], str] = {}
    for aid, ev in events:
        for ident, label in channels:
            first.setdefault((aid, ev, ident), label)  # one row per key, the first label (as one by one)
    rows = [(*k, label) for k, label in first.items()]
    if not rows:
        return 0
    table = pa.table({
        "alert_id": pa.array([r[0] for r in rows], pa.string()),
        "event": pa.array([r[1] for r in rows], pa.string()),
        "channel_id": pa.array([r[2] for r in rows], pa.string()),
        "channel": pa.array([r[3] for r in rows], pa.string()),
        "idempotency_key": pa.array([idempotency_key(r[0], r[1], r[2]) for r in rows], pa.string()),
    })
    con.register("_queued", table)
    try:
        con.execute(_QUEUE_MANY, [now])
    finally:
        con.unregister("_queued")
    return len(rows)


def pending(con: duckdb.DuckDBPyConnection) -> dict[str, list[Notification]]:
    """Notifications to send (pending or failed), by channel id, oldest first."""
    by_channel: dict[str, list[Notification]] = defaultdict(list)
    for (alert_id, channel, event, key, rule, alert_key, severity, first_seen, resolved_at, message, resolution,
         evidence) in con.execute(PENDING_SQL).fetchall():
        at = resolved_at if event == "resolved" and resolved_at else first_seen
        text = f"{message} — resolved: {resolution}" if event == "resolved" and resolution else message
        by_channel[channel].append(Notification(alert_id, event, rule, alert_key, severity, at, text,
                                                json.loads(evidence) if evidence else {}, key))
    return by_channel


def chunks(notes: list[Notification], size: int | None) -> list[list[Notification]]:
    if not size:
        return [notes] if notes else []
    return [notes[i:i + size] for i in range(0, len(notes), size)]


@dataclass
class DeliveryReport:
    delivered: int = 0  # notifications now delivered on every channel tried this run
    failed: int = 0  # channel deliveries that failed this run (retried next run)
    gave_up: int = 0  # channel deliveries given up by this run (reported once)
    unconfirmed: int = 0  # interrupted mid-send by an earlier run: not sent again
    errors: list[str] = field(default_factory=list)  # distinct, secrets masked

    def note(self, error: str) -> None:
        if error not in self.errors:
            self.errors.append(error)


def _set_state(con: duckdb.DuckDBPyConnection, notes: list[Notification], channel: Channel, sql_set: str,
               params: list[Any]) -> None:
    if not notes:
        return
    con.executemany(f"UPDATE alert_deliveries SET {sql_set} {_WHERE_ONE}",
                    [[*params, n.alert_id, n.event, channel.id] for n in notes])


def _in_doubt(con: duckdb.DuckDBPyConnection, channels: list[Channel], now: datetime,
              report: DeliveryReport) -> None:
    """Settle rows left ``sending`` by an interrupted run (see the module doc)."""
    for channel in channels:
        rows = con.execute("SELECT alert_id, event, idempotency_key FROM alert_deliveries "
                           "WHERE state = 'sending' AND channel_id = ?", [channel.id]).fetchall()
        if not rows:
            continue
        notes = [Notification(a, e, "", "", "", now, "", {}, k) for a, e, k in rows]
        held = channel.confirm(notes)
        if held is None:
            _set_state(con, notes, channel, "state = 'unconfirmed', finished_at = ?, error = ?",
                       [now, "interrupted while sending; not sent again (it may have arrived)"])
            report.unconfirmed += len(notes)
            report.note(f"{channel.name}: {len(notes)} notification(s) interrupted mid-send by an earlier run; "
                        "not sent again (they may have arrived)")
            continue
        done = [n for n in notes if n.idempotency_key in held]
        _set_state(con, done, channel, "state = 'delivered', delivered = true, finished_at = ?, error = NULL", [now])
        _set_state(con, [n for n in notes if n.idempotency_key not in held], channel, "state = 'pending'", [])


def _give_up(con: duckdb.DuckDBPyConnection, channels: list[Channel], now: datetime, report: DeliveryReport) -> None:
    """Retry budget spent (attempts or age), or a channel that cannot work: ``gave_up``, once."""
    rows = con.execute(
        "UPDATE alert_deliveries SET state = 'gave_up', finished_at = ?, "
        "error = coalesce(error, 'no success') || ' (gave up)' "
        "WHERE state IN ('pending', 'failed') AND (attempts >= ? OR queued_at < ?) RETURNING channel",
        [now, MAX_ATTEMPTS, now - GIVE_UP_AFTER]).fetchall()
    for (label,) in set(rows):
        report.note(f"{label}: gave up after {MAX_ATTEMPTS} attempts or {GIVE_UP_AFTER.days} days")
    report.gave_up += len(rows)
    for channel in channels:
        if channel.problem is None:
            continue
        broken = con.execute(
            "UPDATE alert_deliveries SET state = 'gave_up', finished_at = ?, error = ?, channel = ? "
            "WHERE state IN ('pending', 'failed') AND channel_id = ? RETURNING alert_id",
            [now, channel.problem, channel.name, channel.id]).fetchall()
        report.gave_up += len(broken)
        report.note(channel.problem)


def _claim(db_path: Path, channel: Channel, chunk: list[Notification], now: datetime) -> None:
    """Record the attempt BEFORE sending it (committed when the connection closes)."""
    with write_connection(db_path) as con, transaction(con):
        _set_state(con, chunk, channel, "state = 'sending', attempts = attempts + 1, attempted_at = ?, channel = ?",
                   [now, channel.name])


def _record(db_path: Path, channel: Channel, chunk: list[Notification], error: str | None, now: datetime) -> int:
    """Record the outcome of a claimed chunk; returns how many deliveries were given up (a failure
    that spent the last attempt)."""
    with write_connection(db_path) as con, transaction(con):
        if error is None:
            _set_state(con, chunk, channel,
                       "state = 'delivered', delivered = true, finished_at = ?, error = NULL", [now])
            return 0
        _set_state(con, chunk, channel, "state = CASE WHEN attempts >= ? THEN 'gave_up' ELSE 'failed' END, "
                   "finished_at = CASE WHEN attempts >= ? THEN ? END, error = ?",
                   [MAX_ATTEMPTS, MAX_ATTEMPTS, now, error])
        placeholders = ", ".join("?" * len(chunk))
        row = con.execute(f"SELECT count(*) FROM alert_deliveries WHERE channel_id = ? AND state = 'gave_up' "
                          f"AND idempotency_key IN ({placeholders})",
                          [channel.id, *(n.idempotency_key for n in chunk)]).fetchone()
        return int(row[0]) if row else 0


def _send(channel: Channel, chunk: list[Notification]) -> str | None:
    try:
        channel.send(chunk)
    except Exception as exc:  # noqa: BLE001 - recorded, retried next run
        message = str(exc) or type(exc).__name__
        return scrub(message, channel.url) if isinstance(channel, AppriseChannel) else message
    return None


def deliver(db_path: Path, channels: list[Channel], now: datetime) -> DeliveryReport:
    """Send what is pending on ``channels``, one claimed chunk at a time (see the module doc).
    The warehouse is never held open while a channel is called."""
    report = DeliveryReport()
    with write_connection(db_path) as con:
        with transaction(con):
            _in_doubt(con, channels, now, report)
            _give_up(con, channels, now, report)
        queued = pending(con)
    outcome: dict[tuple[str, str], bool] = {}
    for channel in channels:
        for chunk in chunks(queued.get(channel.id, []), channel.max_notes):
            _claim(db_path, channel, chunk, now)
            error = _send(channel, chunk)
            gave_up = _record(db_path, channel, chunk, error, now)
            for note in chunk:
                ident = (note.alert_id, note.event)
                outcome[ident] = outcome.get(ident, True) and error is None
            if error is not None:
                report.failed += len(chunk) - gave_up
                report.gave_up += gave_up
                report.note(error)
    report.delivered = sum(outcome.values())
    return report
