"""Delivery through apprise to a local loopback HTTP endpoint (as changedetection.io tests do),
the JSONL file, and retry of a failed delivery on the next run."""
from __future__ import annotations

import io
import json
import threading
from datetime import datetime
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, HTTPServer

import duckdb
import pytest

from drift.daily import run_drift
from drift.rules import load_rules
from tests.drift.conftest import h100_secure


class _Receiver(BaseHTTPRequestHandler):
    received: list[dict] = []
    status = 200

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length", 0))
        type(self).received.append(json.loads(self.rfile.read(length)))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture
def endpoint():
    handler = type("Receiver", (_Receiver,), {"received": [], "status": 200})
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

    assert run.summary() == "3 new alerts, 0 resolved, 3 delivered"
    assert len(handler.received) == 1
    message = handler.received[0]
    assert message["title"] == "pricewatch: 3 new alerts" and message["type"] == "warning"
    assert "h100_price_drop" in message["message"] and "$2.99 → $2.09" in message["message"]


def test_the_jsonl_file_gets_one_line_per_notification(settings, replay_days, drift):
    replay_days([{}, {}, h100_secure(2.09)])

    drift()

    lines = [json.loads(x) for x in (settings.data_dir / "alerts.jsonl").read_text().splitlines()]
    assert sorted(x["rule"] for x in lines) == ["gpu_cheapest_price_change", "gpu_price_change", "h100_price_drop"]
    assert {x["event"] for x in lines} == {"opened"} and lines[0]["at"] == "2025-06-23T23:18:57"


def test_a_failed_delivery_is_recorded_and_retried_next_run(settings, replay_days, endpoint):
    handler, url = endpoint
    handler.status = 500
    settings = replace(settings, alert_urls=(url,))
    replay_days([{}, {}, h100_secure(2.09)])

    first = run_drift(settings, rules=load_rules(), now=datetime(2025, 7, 1), stream=io.StringIO())
    assert first.failed == 3 and first.delivered == 0
    assert "deliveries failed (retried next run" in first.summary()
    failed = [row for row in _deliveries(settings) if row[0].startswith("json://")]
    assert len(failed) == 3 and not any(row[1] for row in failed) and all(row[2] for row in failed)

    handler.status = 200
    second = run_drift(settings, rules=load_rules(), now=datetime(2025, 7, 1), stream=io.StringIO())

    assert second.summary() == "0 new alerts, 0 resolved, 3 delivered"
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

    assert run.failed == 3 and len(run.stored.new) == 3
    assert run.delivered == 0  # console and jsonl worked, but not every channel did
