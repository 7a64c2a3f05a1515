"""Repricing into scenario_costs over a history in a real DuckDB file."""
from __future__ import annotations

import json
from datetime import date

import pytest
from tests.cost_engine.ce_history import (A100_RUNPOD_COMMUNITY, A100_RUNPOD_SPOT, add_events, add_gpu, add_tokens, at, gpu,
                        token)

from cost_engine.daily import reprice_latest
from cost_engine.loader import load_snapshot
from cost_engine.reprice import backfill, reprice
from scrapers.records import LifecycleEvent
from warehouse.db import read_connection, write_connection

D1, D2, D3 = date(2026, 6, 1), date(2026, 6, 2), date(2026, 6, 3)
ROUTE = "gpu:A100 SXM 80GB:1"


@pytest.fixture
def history(settings):
    """Day 1: RunPod community A100 at 001's $1.64; day 3: the price drops to 000's $1.30 (synthetic)."""
    db = settings.db_path
    add_gpu(db, at(D1), [gpu("runpod", "A100 SXM 80GB", "community", A100_RUNPOD_COMMUNITY)])
    add_tokens(db, at(D1), "openai_pricing",
               [token("openai", "gpt-4o-mini-2024-07-18", "sft_full", "training_per_1m_tokens", 3.0)])
    add_gpu(db, at(D3), [gpu("runpod", "A100 SXM 80GB", "community", A100_RUNPOD_SPOT)])
    return settings


def _compute(con, day, scenario="route_qlora_8b_1xa100", route=ROUTE):
    return con.execute("SELECT usd_mid, inputs FROM scenario_costs WHERE as_of = ? AND scenario = ? "
                       "AND route = ? AND layer = 'compute'", [day, scenario, route]).fetchone()


def test_backfill_prices_each_day_with_the_price_known_that_day(history):
    with write_connection(history.db_path) as con:
        backfill(con, D1, D3)
        day1, day2, day3 = (_compute(con, d) for d in (D1, D2, D3))
    assert day1[0] == pytest.approx(day2[0])
    assert day3[0] == pytest.approx(day1[0] * A100_RUNPOD_SPOT / A100_RUNPOD_COMMUNITY)
    assert json.loads(day2[1])["price"]["observed_at"].startswith("2026-06-01")


def test_reprice_is_idempotent(history):
    with write_connection(history.db_path) as con:
        reprice(con, D1)
        first = con.execute("SELECT count(*) FROM scenario_costs").fetchone()[0]
        reprice(con, D1)
        assert con.execute("SELECT count(*) FROM scenario_costs").fetchone()[0] == first > 0


def test_every_route_has_a_total_and_provenance_names_the_fetch(history):
    with write_connection(history.db_path) as con:
        reprice(con, D1)
        missing = con.execute(
            "SELECT scenario, route FROM scenario_costs WHERE as_of = ? GROUP BY 1, 2 "
            "HAVING count(*) FILTER (WHERE layer = 'total') <> 1", [D1]).fetchall()
        inputs = json.loads(con.execute(
            "SELECT inputs FROM scenario_costs WHERE as_of = ? AND scenario = 'route_qlora_8b_1xa100' "
            "AND route = ? AND layer = 'total'", [D1, ROUTE]).fetchone()[0])
    assert missing == []
    prov = inputs["provenance"][0]
    assert prov["provider"] == "runpod" and prov["source_fetch_id"] is not None and prov["usd"] == 1.64
    assert inputs["cheapest_in_scenario"] is True


def test_day_before_any_observation_has_no_price(history):
    with write_connection(history.db_path) as con:
        reprice(con, date(2026, 5, 31))
        row = con.execute("SELECT available, reason FROM scenario_costs WHERE as_of = '2026-05-31' AND "
                          "scenario = 'route_qlora_8b_1xa100' AND route = ? AND layer = 'total'", [ROUTE]).fetchone()
    assert row[0] is False and "no price" in row[1]


def test_stale_price_is_used_and_flagged(history):
    with write_connection(history.db_path) as con:
        reprice(con, date(2026, 8, 1))
        row = con.execute("SELECT available, reason FROM scenario_costs WHERE as_of = '2026-08-01' AND "
                          "scenario = 'route_qlora_8b_1xa100' AND route = ? AND layer = 'total'", [ROUTE]).fetchone()
    assert row[0] is True and "stale price" in row[1]


def test_lifecycle_event_counts_from_the_day_it_was_seen_and_in_effect(history):
    add_events(history.db_path, at(D2), "openai_deprecations",
               [LifecycleEvent("openai", "*", "training_unavailable", date(2026, 5, 7),
                               scope="organisations that have never fine-tuned")])
    with write_connection(history.db_path) as con:
        backfill(con, D1, D2)
        rows = con.execute("SELECT as_of, available FROM scenario_costs WHERE scenario = 'hosted_1k_x_500_3ep' "
                           "AND route = 'hosted:openai:gpt-4o-mini' AND layer = 'total' ORDER BY as_of").fetchall()
    assert rows == [(D1, True), (D2, False)]


def test_snapshot_takes_the_latest_observation_at_or_before_the_day(history):
    with read_connection(history.db_path) as con:
        assert [p.usd_per_gpu_hour for p in load_snapshot(con, D2).gpu] == [A100_RUNPOD_COMMUNITY]
        assert [p.usd_per_gpu_hour for p in load_snapshot(con, D3).gpu] == [A100_RUNPOD_SPOT]


def test_reprice_latest_prices_the_newest_observation_day_and_fills_missed_days(history):
    message = reprice_latest(history)
    assert "as of 2026-06-03" in message
    with write_connection(history.db_path) as con:
        assert [r[0] for r in con.execute("SELECT DISTINCT as_of FROM scenario_costs ORDER BY 1").fetchall()] == [D3]
    add_gpu(history.db_path, at(date(2026, 6, 5)), [gpu("runpod", "A100 SXM 80GB", "community", 1.50)])
    assert "1 missed day" in reprice_latest(history)
    with write_connection(history.db_path) as con:
        days = [r[0] for r in con.execute("SELECT DISTINCT as_of FROM scenario_costs ORDER BY 1").fetchall()]
    assert days == [D3, date(2026, 6, 4), date(2026, 6, 5)]


def test_reprice_latest_on_an_empty_warehouse_says_so(settings):
    assert "nothing repriced" in reprice_latest(settings)
