"""`pricewatch alerts --severity`: only alerts of that severity or higher."""
from __future__ import annotations

import json
from datetime import datetime

import pytest

from warehouse.db import write_connection


@pytest.fixture
def db(settings) -> str:
    at = datetime(2026, 11, 1, 6)
    with write_connection(settings.db_path) as con:
        for n, severity in enumerate(("info", "warning", "critical", "info")):
            con.execute("INSERT INTO alerts (alert_id, rule, key, severity, first_seen_at, last_seen_at, state, "
                        "message, created_at) VALUES (?, 'r', ?, ?, ?, ?, 'open', 'm', ?)",
                        [f"a{n}", f"k{n}", severity, at, at, at])
    return str(settings.db_path)


@pytest.mark.parametrize("severity, expected", [
    ("info", ["info", "warning", "critical", "info"]),
    ("warning", ["warning", "critical"]),
    ("critical", ["critical"]),
])
def test_severity_keeps_that_level_and_above(cli, db, severity, expected):
    result = cli("alerts", "--severity", severity, "--format", "json", "--db", db)
    assert result.returncode == 0, result.stderr
    assert [a["severity"] for a in json.loads(result.stdout)] == expected


def test_without_severity_every_alert_is_listed(cli, db):
    assert len(json.loads(cli("alerts", "--format", "json", "--db", db).stdout)) == 4
