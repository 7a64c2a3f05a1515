"""Delivery through apprise to a local loopback HTTP endpoint (as changedetection.io tests do),
the JSONL file, and retry of a failed delivery on the next run."""
from __future__ import annotations

import base64
import io
import json
import threading
from dataclasses import replace
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer

import duckdb
import pytest

from drift.daily import run_drift
from drift.rules import load_rules
from tests.drift.conftest import h100_secure
from warehouse.db import write_connection


class _Receiver(BaseHTTPRequestHandler):
    received: list[dict] = []
    status = 200
    statuses: list[int] = []  # per request, in order, before falling back to `status`
    refuse_password: str | None = None  # answer 401 to basic auth with this password

    def do_POST(self):  # noqa: N802
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
        self.send_response(cls.statuses.pop(0) if cls.statuses else cls.status)
        self.end_headers()

    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture
def endpoint():
    handler = type("Receiver", (_Receiver,), {"received": [], "status": 200, "statuses": [],
                                               "refuse_password": None})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, f"json://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def _deliveries(settings):
    con = duckdb.connect(str(settings.db_path), read_only=True)
    try:
        return con.execute("SELECT channel, delivered, error FROM alert_deliveries "
                           "WHERE error IS DISTINCT FROM 'queued' ORDER BY attempted_at, channel").fetchall()
    finally:
        con.close()


def test_alerts_reach_an_apprise_json_endpoint_in_one_message(settings, replay_days, endpoint):
    handler, url = endpoint
    settings = replace(settings, alert_urls=(url,))
    replay_days([{}, {}, h100_secure(2.09)])

    run = run_drift(settings, rules=load_rules(), now=datetime(2025, 7, 1), stream=io.StringIO())

    assert run.summary() == "2 new alerts, 0 resolved, 2 delivered"
    assert len(handler.received) == 1
    message = handler.received[0]
    assert message["title"] == "pricewatch: 2 new alerts" and message["type"] == "warning"
    assert "h100_price_drop" in message["message"] and "$2.99 → $2.09" in message["message"]


def test_the_jsonl_file_gets_one_line_per_notification(settings, replay_days, drift):
    replay_days([{}, {}, h100_secure(2.09)])

    drift()

    lines = [json.loads(x) for x in (settings.data_dir / "alerts.jsonl").read_text().splitlines()]
    assert sorted(x["rule"] for x in lines) == ["gpu_cheapest_price_change", "h100_price_drop"]
    assert {x["event"] for x in lines} == {"opened"} and lines[0]["at"] == "2025-06-23T23:18:57"


def test_a_failed_delivery_is_recorded_and_retried_next_run(settings, replay_days, endpoint):
    handler, url = endpoint
    handler.status = 500
    settings = replace(settings, alert_urls=(url,))
    replay_days([{}, {}, h100_secure(2.09)])

    first = run_drift(settings, rules=load_rules(), now=datetime(2025, 7, 1), stream=io.StringIO())
    assert first.failed == 2 and first.delivered == 0
    assert "deliveries failed (retried next run" in first.summary()
    failed = [row for row in _deliveries(settings) if row[0].startswith("json://")]
    assert len(failed) == 2 and not any(row[1] for row in failed) and all(row[2] for row in failed)

    handler.status = 200
    second = run_drift(settings, rules=load_rules(), now=datetime(2025, 7, 1), stream=io.StringIO())

    assert second.summary() == "0 new alerts, 0 resolved, 2 delivered"
    assert len(handler.received) == 2  # the failed attempt and the retry
    third = run_drift(settings, rules=load_rules(), now=datetime(2025, 7, 1), stream=io.StringIO())
    assert third.summary() == "0 new alerts, 0 resolved, 0 delivered"


def test_an_unreachable_url_fails_without_losing_the_alert(settings, replay_days):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = replace(settings, alert_urls=(f"json://127.0.0.1:{port}/hook",))
    replay_days([{}, {}, h100_secure(2.09)])

    run = run_drift(settings, rules=load_rules(), now=datetime(2025, 7, 1), stream=io.StringIO())

    assert run.failed == 2 and len(run.stored.new) == 2
    assert run.delivered == 0  # console and jsonl worked, but not every channel did


def _notes(n):
    from drift.notify import Notification

    return [Notification(f"id{i:03d}", "opened", "gpu_price_change", f"runpod|gpu{i}|secure", "info",
                         datetime(2025, 6, 23), f"price {i} moved", {}) for i in range(n)]


def test_every_pending_notification_is_sent_in_messages_of_at_most_50(settings, endpoint):
    from drift.notify import AppriseChannel, record_attempts, send_all

    handler, url = endpoint
    channel = AppriseChannel(url)

    attempts = send_all([channel], {channel.id: _notes(120)})

    assert len(handler.received) == 3
    assert [len(a.notes) for a in attempts] == [50, 50, 20] and not any(a.error for a in attempts)
    assert "price 119 moved" in handler.received[2]["message"]
    with write_connection(settings.db_path) as con:
        assert record_attempts(con, attempts, datetime(2025, 7, 1)) == (120, 0)


def test_a_failed_message_fails_only_its_own_notifications(settings, endpoint):
    from drift.notify import AppriseChannel, record_attempts, send_all

    handler, url = endpoint
    handler.statuses = [200, 500, 200]
    channel = AppriseChannel(url)

    attempts = send_all([channel], {channel.id: _notes(120)})

    assert [(len(a.notes), a.error is None) for a in attempts] == [(50, True), (50, False), (20, True)]
    with write_connection(settings.db_path) as con:
        assert record_attempts(con, attempts, datetime(2025, 7, 1)) == (70, 50)


def test_apprise_splits_a_body_too_long_for_the_channel():
    from drift.notify import AppriseChannel

    assert "overflow=split" in AppriseChannel("json://127.0.0.1:9/hook")._plugin().url()
    assert "overflow=truncate" in AppriseChannel("json://127.0.0.1:9/hook?overflow=truncate")._plugin().url()


def test_two_urls_that_mask_alike_are_two_channels(settings, replay_days, endpoint):
    handler, url = endpoint
    good, bad = url.replace("json://", "json://pw:good@"), url.replace("json://", "json://pw:bad@")
    handler.refuse_password = "bad"
    settings = replace(settings, alert_urls=(good, bad))
    replay_days([{}, {}, h100_secure(2.09)])

    first = run_drift(settings, rules=load_rules(), now=datetime(2025, 7, 1), stream=io.StringIO())
    handler.refuse_password = None
    second = run_drift(settings, rules=load_rules(), now=datetime(2025, 7, 1), stream=io.StringIO())

    assert first.failed == 2 and first.delivered == 0
    assert second.delivered == 2  # the failed channel is retried, not hidden by the one that worked
    assert len(handler.received) == 2  # the good channel once, the refused one on its retry
    labels = {row[0] for row in _deliveries(settings) if row[0].startswith("json://")}
    assert len(labels) == 1  # both URLs show as the same masked label
