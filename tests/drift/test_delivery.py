"""Delivery through apprise to a local loopback HTTP endpoint (as changedetection.io tests do),
the JSONL file and the console: exactly once per alert and channel, one row per alert × channel,
a bounded retry policy, masked channel names, and a kill -9 in the middle of a slow delivery."""
from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
import pytest

from core.clock import utcnow
from drift import notify
from drift.daily import run_drift
from drift.notify import AppriseChannel, ConsoleChannel, JsonlChannel, Notification, deliver, queue, queue_many
from drift.redact import mask_url, scrub
from drift.rules import load_rules
from tests.drift.conftest import h100_secure
from tests.sql import scalar
from warehouse.db import write_connection

REPO = Path(__file__).resolve().parent.parent.parent
NOW = datetime(2025, 7, 1)


class _Receiver(BaseHTTPRequestHandler):
    received: list[dict] = []
    headers_seen: list[dict] = []
    status = 200
    statuses: list[int] = []  # per request, in order, before falling back to `status`
    refuse_password: str | None = None  # answer 401 to basic auth with this password
    slow: threading.Event | None = None  # set: hold each request until `release` is set
    release: threading.Event = threading.Event()
    got_request = threading.Event()

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        cls = type(self)
        auth = self.headers.get("Authorization", "")
        password = base64.b64decode(auth.split()[-1]).decode().split(":", 1)[-1] if auth else None
        if cls.refuse_password is not None and password == cls.refuse_password:
            self.rfile.read(length)
            self.send_response(401)
            self.end_headers()
            return
        cls.received.append(json.loads(self.rfile.read(length)))
        cls.headers_seen.append(dict(self.headers))
        cls.got_request.set()
        if cls.slow is not None and cls.slow.is_set():
            cls.release.wait(60)  # the client is killed meanwhile
        try:
            self.send_response(cls.statuses.pop(0) if cls.statuses else cls.status)
            self.end_headers()
        except OSError:  # the client is gone
            pass

    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture
def endpoint():
    handler: Any = type("Receiver", (_Receiver,), {"received": [], "headers_seen": [], "status": 200, "statuses": [],
                                               "refuse_password": None, "slow": threading.Event(),
                                               "release": threading.Event(), "got_request": threading.Event()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, f"json://127.0.0.1:{server.server_address[1]}/hook"
    handler.release.set()
    server.shutdown()
    server.server_close()


def _deliveries(settings, channel_prefix: str = "") -> list[dict]:
    con = duckdb.connect(str(settings.db_path), read_only=True)
    try:
        cur = con.execute("SELECT * FROM alert_deliveries WHERE channel LIKE ? || '%' ORDER BY alert_id, channel",
                          [channel_prefix])
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()


def _run(settings, **kw):
    return run_drift(settings, rules=load_rules(), now=NOW, stream=kw.pop("stream", io.StringIO()), **kw)


def _lines(handler) -> Counter:
    """How often each notification line reached the endpoint."""
    return Counter(line for message in handler.received for line in message["message"].splitlines())


# --- delivery -----------------------------------------------------------------------------------

def test_alerts_reach_an_apprise_json_endpoint_in_one_message_with_an_idempotency_key(settings, replay_days,
                                                                                        endpoint):
    handler, url = endpoint
    settings = replace(settings, alert_urls=(url,))
    replay_days([{}, {}, h100_secure(2.09)])

    run = _run(settings)

    assert run.summary() == "2 new alerts, 0 resolved, 2 delivered"
    assert len(handler.received) == 1
    message = handler.received[0]
    assert message["title"] == "pricewatch: 2 new alerts" and message["type"] == "warning"
    assert "h100_price_drop" in message["message"] and "$2.99 → $2.09" in message["message"]
    assert len(handler.headers_seen[0]["Idempotency-Key"]) == 32


def test_the_jsonl_file_gets_one_line_per_notification_with_its_key(settings, replay_days, drift):
    replay_days([{}, {}, h100_secure(2.09)])

    drift()

    lines = [json.loads(x) for x in (settings.data_dir / "alerts.jsonl").read_text().splitlines()]
    assert sorted(x["rule"] for x in lines) == ["gpu_cheapest_price_change", "h100_price_drop"]
    assert {x["event"] for x in lines} == {"opened"} and lines[0]["at"] == "2025-06-23T23:18:57"
    assert len({x["idempotency_key"] for x in lines}) == 2


def test_the_console_prints_one_summary_line(settings, replay_days):
    replay_days([{}, {}, h100_secure(2.09)])
    stream = io.StringIO()

    _run(settings, stream=stream)

    assert stream.getvalue() == "alerts: 2 new (1 warning, 1 info), 0 resolved; details: pricewatch alerts\n"


def test_a_failed_delivery_is_retried_next_run_on_the_same_row(settings, replay_days, endpoint):
    handler, url = endpoint
    handler.status = 500
    settings = replace(settings, alert_urls=(url,))
    replay_days([{}, {}, h100_secure(2.09)])

    first = _run(settings)
    rows = _deliveries(settings, "json://")
    assert first.failed == 2 and first.delivered == 0 and "deliveries failed (retried next run)" in first.summary()
    assert [(r["state"], r["attempts"]) for r in rows] == [("failed", 1), ("failed", 1)]
    assert all(r["error"] for r in rows)

    handler.status = 200
    second = _run(settings)

    assert second.summary() == "0 new alerts, 0 resolved, 2 delivered"
    assert [(r["state"], r["attempts"]) for r in _deliveries(settings, "json://")] == [("delivered", 2)] * 2
    assert len(handler.received) == 2  # the failed attempt and the retry
    assert _run(settings).summary() == "0 new alerts, 0 resolved, 0 delivered"


def test_delivery_rows_stay_one_per_alert_and_channel_whatever_the_runs(settings, replay_days, endpoint):
    handler, url = endpoint
    handler.status = 500
    settings = replace(settings, alert_urls=(url,))
    replay_days([{}, {}, h100_secure(2.09)])

    for _ in range(4):
        _run(settings)

    assert len(_deliveries(settings)) == 2 * 3  # 2 alerts × (console, jsonl, the URL)


def test_an_unreachable_url_fails_without_losing_the_alert(settings, replay_days):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = replace(settings, alert_urls=(f"json://127.0.0.1:{port}/hook",))
    replay_days([{}, {}, h100_secure(2.09)])

    run = _run(settings)

    assert run.failed == 2 and len(run.stored.new) == 2
    assert run.delivered == 0  # console and jsonl worked, but not every channel did


# --- the retry policy ------------------------------------------------------------------------

def test_after_max_attempts_a_delivery_is_given_up_and_reported_once(settings, replay_days, endpoint):
    handler, url = endpoint
    handler.status = 500
    settings = replace(settings, alert_urls=(url,))
    replay_days([{}, {}, h100_secure(2.09)])

    runs = [_run(settings) for _ in range(notify.MAX_ATTEMPTS + 2)]

    assert [r.delivery.gave_up for r in runs] == [0] * (notify.MAX_ATTEMPTS - 1) + [2, 0, 0]
    assert "2 deliveries given up" in runs[notify.MAX_ATTEMPTS - 1].summary()
    assert "given up" not in runs[-1].summary() and "failed" not in runs[-1].summary()
    assert len(handler.received) == notify.MAX_ATTEMPTS  # no request after giving up
    assert {(r["state"], r["attempts"]) for r in _deliveries(settings, "json://")} == {("gave_up", 5)}


def test_a_delivery_older_than_the_retry_window_is_given_up(settings, replay_days, endpoint):
    handler, url = endpoint
    handler.status = 500
    settings = replace(settings, alert_urls=(url,))
    replay_days([{}, {}, h100_secure(2.09)])
    _run(settings)
    with write_connection(settings.db_path) as con:
        con.execute("UPDATE alert_deliveries SET queued_at = queued_at - ?",
                    [notify.GIVE_UP_AFTER + timedelta(hours=1)])

    run = _run(settings)

    assert run.delivery.gave_up == 2 and len(handler.received) == 1


def test_a_malformed_url_is_stored_masked_given_up_at_once_and_logged_once(settings, replay_days, caplog):
    url = "jsn://alerts.example.com/hook/s3cretT0ken"  # a typo in the scheme: apprise cannot read it
    settings = replace(settings, alert_urls=(url,))
    replay_days([{}, {}, h100_secure(2.09)])

    with caplog.at_level(logging.DEBUG):
        run = _run(settings)

    rows = _deliveries(settings, "jsn://")
    assert {(r["channel"], r["state"]) for r in rows} == {("jsn://alerts.example.com/hook/****", "gave_up")}
    assert run.summary().count("not a valid apprise URL") == 1
    assert "s3cretT0ken" not in run.summary() + caplog.text + repr(rows)
    assert not [r for r in caplog.records if r.name.startswith("apprise")]


# --- masking ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "masked"), [
    ("json://alerts.example.com/hook/9f8e7d6c5b4a", "json://alerts.example.com/hook/****"),
    ("form://10.0.0.5:8080/api/v1/AbCdEf123456", "form://10.0.0.5:8080/api/****/****"),
    ("slack://TokenA/TokenB/TokenC/#prices", "slack://****/****/****/#prices"),
    ("discord://123456789012/abcDEF-ghi_JKL", "discord://****/****"),
    ("json://user:hunter2@hooks.example.com/hook", "json://****@hooks.example.com/hook"),
    ("json://hooks.example.com/hook?token=abc&+Authorization=Bearer%20xyz&overflow=split",
     "json://hooks.example.com/hook?token=****&+Authorization=****&overflow=split"),
    ("json://[::1", "json://****"),
    ("not a url at all", "****"),
])
def test_every_secret_part_of_a_channel_url_is_masked(url, masked):
    assert mask_url(url) == masked


def test_an_error_quoting_the_url_is_scrubbed():
    url = "json://hooks.example.com/hook/9f8e7d6c5b4a"
    assert scrub(f"failed to post to {url} (token 9f8e7d6c5b4a)", url) == \
        "failed to post to json://hooks.example.com/hook/**** (token ****)"


def test_a_path_token_never_reaches_the_table_or_the_summary(settings, replay_days, endpoint):
    handler, url = endpoint
    handler.status = 500
    secret_url = f"{url}/Zq81TokenXy"
    settings = replace(settings, alert_urls=(secret_url,))
    replay_days([{}, {}, h100_secure(2.09)])

    run = _run(settings)

    assert "Zq81TokenXy" not in run.summary() + repr(_deliveries(settings))
    assert {r["channel"] for r in _deliveries(settings, "json://")} == {f"{url}/****"}


def test_two_urls_that_mask_alike_are_two_channels(settings, replay_days, endpoint):
    handler, url = endpoint
    good, bad = url.replace("json://", "json://pw:good@"), url.replace("json://", "json://pw:bad@")
    handler.refuse_password = "bad"
    settings = replace(settings, alert_urls=(good, bad))
    replay_days([{}, {}, h100_secure(2.09)])

    first = _run(settings)
    handler.refuse_password = None
    second = _run(settings)

    assert first.failed == 2 and first.delivered == 0
    assert second.delivered == 2  # the failed channel is retried, not hidden by the one that worked
    assert len(handler.received) == 2  # the good channel once, the refused one on its retry
    assert len({r["channel"] for r in _deliveries(settings, "json://")}) == 1  # both show the same label


# --- chunks -------------------------------------------------------------------------------------

def _queue_fake_alerts(settings, n: int, channels) -> None:
    with write_connection(settings.db_path) as con:
        for i in range(n):
            con.execute("INSERT INTO alerts (alert_id, rule, key, severity, first_seen_at, last_seen_at, state, "
                        "message, created_at) VALUES (?, 'gpu_price_change', ?, 'info', ?, ?, 'open', ?, ?)",
                        [f"id{i:03d}", f"runpod|gpu{i}|secure", NOW + timedelta(minutes=i),
                         NOW + timedelta(minutes=i), f"price {i} moved", NOW])
            queue(con, f"id{i:03d}", "opened", [(c.id, c.name) for c in channels], utcnow())


def test_queueing_a_batch_writes_one_row_per_alert_event_and_channel_and_leaves_queued_ones_alone(settings):
    channels = [("console", "console"), ("jsonl", "jsonl")]
    with write_connection(settings.db_path) as con:
        queue(con, "a1", "opened", channels, NOW)
        con.execute("UPDATE alert_deliveries SET state = 'delivered', attempts = 1 WHERE alert_id = 'a1'")
        # a1 again (already queued and delivered), a2 twice in the batch, a1's resolution
        queue_many(con, [("a1", "opened"), ("a2", "opened"), ("a2", "opened"), ("a1", "resolved")], channels,
                   NOW + timedelta(hours=1))
        rows = con.execute("SELECT alert_id, event, channel_id, state, attempts, queued_at, idempotency_key "
                           "FROM alert_deliveries ORDER BY ALL").fetchall()

    later = NOW + timedelta(hours=1)
    assert [r[:6] for r in rows] == [
        ("a1", "opened", "console", "delivered", 1, NOW), ("a1", "opened", "jsonl", "delivered", 1, NOW),
        ("a1", "resolved", "console", "pending", 0, later), ("a1", "resolved", "jsonl", "pending", 0, later),
        ("a2", "opened", "console", "pending", 0, later), ("a2", "opened", "jsonl", "pending", 0, later)]
    # sha256("a2|opened|jsonl")[:32], computed outside the code under test
    assert rows[5][6] == hashlib.sha256(b"a2|opened|jsonl").hexdigest()[:32]


def test_every_pending_notification_is_sent_in_messages_of_at_most_50(settings, endpoint):
    handler, url = endpoint
    channel = AppriseChannel(url)
    _queue_fake_alerts(settings, 120, [channel])

    report = deliver(settings.db_path, [channel], utcnow())

    assert [len(m["message"].splitlines()) for m in handler.received] == [50, 50, 20]
    assert "price 119 moved" in handler.received[2]["message"]
    assert (report.delivered, report.failed) == (120, 0)


def test_a_failed_message_fails_only_its_own_notifications(settings, endpoint):
    handler, url = endpoint
    handler.statuses = [200, 500, 200]
    channel = AppriseChannel(url)
    _queue_fake_alerts(settings, 120, [channel])

    report = deliver(settings.db_path, [channel], utcnow())

    assert (report.delivered, report.failed) == (70, 50)
    assert Counter(r["state"] for r in _deliveries(settings)) == {"delivered": 70, "failed": 50}


def test_apprise_splits_a_body_too_long_for_the_channel():
    assert "overflow=split" in AppriseChannel("json://127.0.0.1:9/hook")._plugin().url()
    assert "overflow=truncate" in AppriseChannel("json://127.0.0.1:9/hook?overflow=truncate")._plugin().url()


# --- interrupted runs ---------------------------------------------------------------------------

def _interrupt(settings, channel) -> None:
    """What a run killed mid-send leaves: its claimed rows still 'sending'."""
    with write_connection(settings.db_path) as con:
        con.execute("UPDATE alert_deliveries SET state = 'sending', attempts = 1 WHERE channel_id = ?", [channel.id])


def test_an_interrupted_jsonl_send_is_settled_from_the_file(settings, tmp_path):
    jsonl = JsonlChannel(tmp_path / "alerts.jsonl")
    _queue_fake_alerts(settings, 3, [jsonl])
    _interrupt(settings, jsonl)
    with write_connection(settings.db_path) as con:  # the first line made it to the file before the kill
        key = scalar(con.execute("SELECT idempotency_key FROM alert_deliveries WHERE alert_id = 'id000'"))
    jsonl.send([Notification("id000", "opened", "r", "k", "info", NOW, "m", {}, key)])

    deliver(settings.db_path, [jsonl], utcnow())

    lines = [json.loads(x)["alert_id"] for x in jsonl.path.read_text().splitlines()]
    assert sorted(lines) == ["id000", "id001", "id002"]  # once each
    assert {r["state"] for r in _deliveries(settings)} == {"delivered"}


def test_an_interrupted_webhook_send_is_not_sent_again(settings, endpoint):
    handler, url = endpoint
    channel = AppriseChannel(url)
    _queue_fake_alerts(settings, 2, [channel])
    _interrupt(settings, channel)

    report = deliver(settings.db_path, [channel], utcnow())

    assert handler.received == [] and report.unconfirmed == 2
    assert {r["state"] for r in _deliveries(settings)} == {"unconfirmed"}


def test_an_interrupted_console_summary_is_printed_again(settings):
    stream = io.StringIO()
    console = ConsoleChannel(stream)
    _queue_fake_alerts(settings, 2, [console])
    _interrupt(settings, console)

    deliver(settings.db_path, [console], utcnow())

    assert stream.getvalue().startswith("alerts: 2 new")


CHILD = """
import io, sys
from datetime import datetime
from pathlib import Path
from core.settings import Settings
from drift import notify
from drift.daily import run_drift
notify.AppriseChannel.max_notes = 1  # one message per alert: the kill lands between two messages
settings = Settings(db_path=Path(sys.argv[1]), data_dir=Path(sys.argv[2]), alert_urls=(sys.argv[3],))
run_drift(settings, now=datetime(2025, 7, 1), stream=io.StringIO())
"""


def test_a_kill_during_a_slow_delivery_then_a_rerun_delivers_each_alert_exactly_once(settings, replay_days,
                                                                                      endpoint):
    handler, url = endpoint
    replay_days([{}, {}, h100_secure(2.09)])
    handler.slow.set()  # the endpoint holds the first message until the sender is dead

    child = subprocess.Popen([sys.executable, "-c", CHILD, str(settings.db_path), str(settings.data_dir), url],
                             cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert handler.got_request.wait(120), child.communicate(timeout=5)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)
    assert child.returncode == -signal.SIGKILL
    handler.slow.clear()

    rerun = _run(replace(settings, alert_urls=(url,)))

    delivered = _lines(handler)
    assert len(delivered) == 2 and set(delivered.values()) == {1}  # each alert reached the endpoint once
    jsonl = [json.loads(x)["idempotency_key"] for x in (settings.data_dir / "alerts.jsonl").read_text().splitlines()]
    assert len(jsonl) == len(set(jsonl)) == 2  # and the JSONL file once
    assert sorted(r["state"] for r in _deliveries(settings, "json://")) == ["delivered", "unconfirmed"]
    assert rerun.delivery.unconfirmed == 1 and "not resent" in rerun.summary()
    assert len(_deliveries(settings)) == 2 * 3


# --- migration 060 ------------------------------------------------------------------------------

def test_migration_060_folds_attempt_rows_into_one_row_per_alert_and_channel(tmp_path, monkeypatch):
    import shutil

    from warehouse import migrate as migrations

    old = tmp_path / "old_migrations"
    old.mkdir()
    for version, path in migrations.migration_files():
        if version < 60:
            shutil.copy(path, old / path.name)
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    try:
        monkeypatch.setattr(migrations, "MIGRATIONS_DIR", old)
        migrations.migrate(con)
        t0 = datetime(2026, 1, 1)
        con.executemany(
            "INSERT INTO alert_deliveries (alert_id, channel, event, attempted_at, delivered, error, channel_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", [
                ["a1", "json://h/hook/T0KEN", "opened", t0, False, "queued", "apprise:0123"],
                ["a1", "json://h/hook/T0KEN", "opened", t0 + timedelta(days=1), False, "HTTP 500 at T0KEN",
                 "apprise:0123"],
                ["a1", "json://h/hook/T0KEN", "opened", t0 + timedelta(days=2), True, None, "apprise:0123"],
                ["a1", "jsonl", "opened", t0, False, "queued", "jsonl"],
                ["a2", "json://h/hook/T0KEN", "opened", t0, False, "queued", "apprise:0123"],
                ["a2", "json://h/hook/T0KEN", "opened", t0 + timedelta(days=1), False, "HTTP 500", "apprise:0123"],
                ["a3", "slack://T/B/C", "opened", t0, False, "queued", None],  # before channel ids existed
            ])
        monkeypatch.undo()
        migrations.migrate(con)
        rows = con.execute("SELECT alert_id, channel_id, channel, state, attempts, delivered, error "
                           "FROM alert_deliveries ORDER BY 1, 2").fetchall()
        key = scalar(con.execute("SELECT idempotency_key FROM alert_deliveries WHERE alert_id = 'a1' "
                                 "AND channel_id = 'jsonl'"))
    finally:
        con.close()

    assert [r[:6] for r in rows] == [
        ("a1", "apprise:0123", "apprise", "delivered", 2, True),
        ("a1", "jsonl", "jsonl", "pending", 0, False),
        ("a2", "apprise:0123", "apprise", "failed", 1, False),
        ("a3", rows[3][1], "apprise", "gave_up", 0, False),
    ]
    assert rows[3][1].startswith("legacy:") and "T0KEN" not in repr(rows)
    assert key == notify.idempotency_key("a1", "opened", "jsonl")
