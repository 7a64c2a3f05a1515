"""Stale sources (from fetch_log, via replayed broken payloads) and scenario cost drift."""
from __future__ import annotations

from datetime import date, datetime

from tests.drift.conftest import alert_rows, stamp, write_runpod_days, write_runpod_garbage
from pricewatch.replay import replay
from warehouse.db import write_connection


def test_a_source_is_stale_after_three_failed_fetches_and_resolves_when_one_succeeds(settings, tmp_path, drift):
    directory = tmp_path / "snap"
    write_runpod_days(directory, [{}])
    write_runpod_garbage(directory, [1, 2, 3])
    replay(settings, directory)

    drift()
    stale = alert_rows(settings, "source_stale")
    assert len(stale) == 1
    assert stale[0]["key"] == "runpod" and stale[0]["state"] == "open"
    assert stale[0]["first_seen_at"] == stamp(3) and stale[0]["severity"] == "critical"

    write_runpod_days(directory, [{}], start=4)
    replay(settings, directory)
    run = drift()

    stale = alert_rows(settings, "source_stale")
    assert len(stale) == 1 and stale[0]["state"] == "resolved" and stale[0]["resolved_at"] == stamp(4)
    assert run.summary() == "0 new alerts, 1 resolved, 1 delivered"


def test_two_failures_are_not_stale(settings, tmp_path, drift):
    directory = tmp_path / "snap"
    write_runpod_days(directory, [{}])
    write_runpod_garbage(directory, [1, 2])
    write_runpod_days(directory, [{}], start=3)
    replay(settings, directory)

    drift()

    assert alert_rows(settings, "source_stale") == []


def _scenario_costs(settings, rows):
    with write_connection(settings.db_path) as con:
        con.executemany(
            "INSERT INTO scenario_costs (as_of, scenario, route, layer, usd_mid, available, computed_at) "
            "VALUES (?, ?, ?, 'total', ?, ?, ?)",
            [(d, "llama8b-lora-10m", route, usd, avail, datetime(2026, 1, 1)) for d, route, usd, avail in rows])


def test_a_scenario_cost_move_and_a_cheapest_route_change_alert_on_their_day(settings, drift):
    _scenario_costs(settings, [
        (date(2026, 5, 1), "runpod:H100 SXM 80GB", 12.0, True), (date(2026, 5, 1), "openai:sft", 30.0, True),
        (date(2026, 5, 2), "runpod:H100 SXM 80GB", 12.5, True), (date(2026, 5, 2), "openai:sft", 30.0, True),
        (date(2026, 5, 3), "runpod:H100 SXM 80GB", 12.5, False), (date(2026, 5, 3), "openai:sft", 30.0, True),
    ])

    drift()

    route = alert_rows(settings, "scenario_route_change")
    cost = alert_rows(settings, "scenario_cost_change")
    assert [(a["key"], a["first_seen_at"]) for a in route] == [("llama8b-lora-10m|total", datetime(2026, 5, 3))]
    assert "now openai:sft" in route[0]["message"]
    assert [a["first_seen_at"] for a in cost] == [datetime(2026, 5, 3)]  # +4% on 05-02 is below 10%
