"""Repricing into scenario_costs over a history in a real DuckDB file."""
from __future__ import annotations

import json
from datetime import date

import pytest

from cost_engine.daily import reprice_latest
from cost_engine.loader import load_snapshot
from cost_engine.reprice import backfill, reprice
from scrapers.records import LifecycleEvent
from tests.cost_engine.ce_history import (
    A100_RUNPOD_COMMUNITY,
    A100_RUNPOD_SPOT,
    add_events,
    add_gpu,
    add_tokens,
    at,
    gpu,
    token,
)
from tests.sql import one_row, scalar
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
    return one_row(con.execute("SELECT usd_mid, inputs FROM scenario_costs WHERE as_of = ? AND scenario = ? "
                               "AND route = ? AND layer = 'compute'", [day, scenario, route]))


def test_backfill_prices_each_day_with_the_price_known_that_day(history):
    with write_connection(history.db_path) as con:
        backfill(con, D1, D3)
        day1, day2, day3 = (_compute(con, d) for d in (D1, D2, D3))
    assert day1[0] == pytest.approx(day2[0])
    assert day3[0] == pytest.approx(day1[0] * A100_RUNPOD_SPOT / A100_RUNPOD_COMMUNITY)
    assert json.loads(day2[1])["price"]["observed_at"].startswith("2026-06-01")


def test_reprice_is_idempotent(history):
    counts = "SELECT count(*), count(DISTINCT scenario) FROM scenario_costs"
    with write_connection(history.db_path) as con:
        reprice(con, D1)
        first = one_row(con.execute(counts))
        reprice(con, D1)
        again = one_row(con.execute(counts))
    assert first[1] == 14  # every scenario of cost_engine/catalogue.yaml (14 `- name:` entries)
    assert again == first


def test_every_route_has_a_total_and_provenance_names_the_fetch(history):
    with write_connection(history.db_path) as con:
        reprice(con, D1)
        missing = con.execute(
            "SELECT scenario, route FROM scenario_costs WHERE as_of = ? GROUP BY 1, 2 "
            "HAVING count(*) FILTER (WHERE layer = 'total') <> 1", [D1]).fetchall()
        inputs = json.loads(scalar(con.execute(
            "SELECT inputs FROM scenario_costs WHERE as_of = ? AND scenario = 'route_qlora_8b_1xa100' "
            "AND route = ? AND layer = 'total'", [D1, ROUTE])))
        cheapest = scalar(con.execute("SELECT cheapest_route FROM scenario_cost_trend WHERE as_of = ? "
                                      "AND scenario = 'route_qlora_8b_1xa100' AND layer = 'total'", [D1]))
        [(runpod_fetch,)] = con.execute("SELECT fetch_id FROM fetch_log WHERE source = 'runpod' AND observed_at = ?",
                                        [at(D1)]).fetchall()
    assert missing == []
    prov = inputs["provenance"][0]
    assert prov["provider"] == "runpod" and prov["source_fetch_id"] == runpod_fetch and prov["usd"] == 1.64
    assert prov["basis"] == "provider page" and inputs["status"] == "available"
    assert cheapest == ROUTE     # tied with its runpod:community route; the rule takes the first name


def test_day_before_any_observation_has_no_price(history):
    with write_connection(history.db_path) as con:
        reprice(con, date(2026, 5, 31))
        row = one_row(con.execute("SELECT available, reason FROM scenario_costs WHERE as_of = '2026-05-31' AND "
                                  "scenario = 'route_qlora_8b_1xa100' AND route = ? AND layer = 'total'", [ROUTE]))
    assert row[0] is False and "no offer of 1 or more A100 SXM 80GB GPUs" in row[1]


def test_a_stale_price_is_shown_as_stale_and_never_the_cheapest(history):
    # The A100 price was last seen 2026-06-03: 59 days before 2026-08-01, over the 30-day GPU limit.
    with write_connection(history.db_path) as con:
        reprice(con, D3)
        [(fresh_mid,)] = con.execute("SELECT usd_mid FROM scenario_costs WHERE as_of = ? AND layer = 'total' AND "
                                     "scenario = 'route_qlora_8b_1xa100' AND route = ?", [D3, ROUTE]).fetchall()
        reprice(con, date(2026, 8, 1))
        available, reason, mid, inputs = one_row(con.execute(
            "SELECT available, reason, usd_mid, inputs FROM scenario_costs WHERE as_of = '2026-08-01' AND "
            "scenario = 'route_qlora_8b_1xa100' AND route = ? AND layer = 'total'", [ROUTE]))
        cheapest = one_row(con.execute("SELECT cheapest_route, usd_mid FROM scenario_cost_trend "
                                       "WHERE as_of = '2026-08-01' AND scenario = 'route_qlora_8b_1xa100' "
                                       "AND layer = 'total'"))
    # still priced at that $1.30 (the cost it had on D3, when the price was fresh), just not usable
    assert available is False and mid == pytest.approx(fresh_mid) and json.loads(inputs)["status"] == "stale"
    assert "stale price: runpod" in reason and "59 days before the priced day" in reason
    assert cheapest == (None, None)


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


def _priced_days(db):
    with read_connection(db) as con:
        return [r[0] for r in con.execute("SELECT DISTINCT as_of FROM scenario_costs ORDER BY 1").fetchall()]


def test_reprice_latest_prices_the_newest_observation_day_and_fills_missed_days(history):
    message = reprice_latest(history)
    assert "as of 2026-06-03" in message
    # The unpriced days since the first observation (D1, D2) are caught up too.
    assert _priced_days(history.db_path) == [D1, D2, D3]
    add_gpu(history.db_path, at(date(2026, 6, 5)), [gpu("runpod", "A100 SXM 80GB", "community", 1.50)])
    assert "1 missed day" in reprice_latest(history)
    assert _priced_days(history.db_path) == [D1, D2, D3, date(2026, 6, 4), date(2026, 6, 5)]


def test_reprice_latest_fills_a_gap_before_the_newest_repriced_day(history):
    with write_connection(history.db_path) as con:
        reprice(con, D1)
        reprice(con, D3)
    message = reprice_latest(history)
    assert "1 missed day" in message and "2026-06-02" in message
    assert _priced_days(history.db_path) == [D1, D2, D3]


def test_reprice_latest_looks_back_30_days_only(settings):
    first, latest = date(2026, 4, 1), date(2026, 6, 1)
    add_gpu(settings.db_path, at(first), [gpu("runpod", "A100 SXM 80GB", "community", A100_RUNPOD_COMMUNITY)])
    add_gpu(settings.db_path, at(latest), [gpu("runpod", "A100 SXM 80GB", "community", A100_RUNPOD_SPOT)])
    reprice_latest(settings)
    days = _priced_days(settings.db_path)
    assert days[0] == date(2026, 5, 3) and days[-1] == latest and len(days) == 30


def test_reprice_latest_on_an_empty_warehouse_says_so(settings):
    assert "nothing repriced" in reprice_latest(settings)


def test_an_offering_missing_from_the_providers_last_load_is_no_longer_priced(history):
    # Synthetic: RunPod lists an H100 on D1 and not in its D3 load.
    add_gpu(history.db_path, at(D1, 7), [gpu("runpod", "A100 SXM 80GB", "community", A100_RUNPOD_COMMUNITY),
                                         gpu("runpod", "H100 SXM 80GB", "community_spot", 2.69)])
    with read_connection(history.db_path) as con:
        assert {p.gpu_model for p in load_snapshot(con, D2).gpu} == {"A100 SXM 80GB", "H100 SXM 80GB"}
        assert {p.gpu_model for p in load_snapshot(con, D3).gpu} == {"A100 SXM 80GB"}


def test_a_token_price_missing_from_the_sources_last_load_is_gone(history):
    add_tokens(history.db_path, at(D3), "openai_pricing",
               [token("openai", "gpt-4.1-mini-2025-04-14", "sft_full", "training_per_1m_tokens", 5.0)])
    with read_connection(history.db_path) as con:
        assert [t.model for t in load_snapshot(con, D2).tokens] == ["gpt-4o-mini-2024-07-18"]
        assert [t.model for t in load_snapshot(con, D3).tokens] == ["gpt-4.1-mini-2025-04-14"]


def test_dated_curated_sheet_rows_stay_beside_fetched_sources(history):
    add_tokens(history.db_path, at(date(2026, 5, 1)), "curated_sheet",
               [token("vertex", "gemini-2.0-flash", "sft_full", "training_per_1m_tokens", 3.0)])
    with read_connection(history.db_path) as con:
        assert {t.source for t in load_snapshot(con, D3).tokens} == {"openai_pricing", "curated_sheet"}


def test_a_later_aggregator_sighting_never_overrides_the_provider_pages_event_date(history):
    wind_down = "organisations that have never fine-tuned"
    add_events(history.db_path, at(D1), "openai_deprecations",
               [LifecycleEvent("openai", "gpt-4o-mini", "retired", date(2026, 9, 1), scope=wind_down)])
    add_events(history.db_path, at(D2), "litellm",   # synthetic: an aggregator with another date
               [LifecycleEvent("openai", "gpt-4o-mini", "retired", date(2026, 7, 1), scope=wind_down)])
    with read_connection(history.db_path) as con:
        events = load_snapshot(con, D3).events
    assert [(e.source, e.effective_date) for e in events] == [("openai_deprecations", date(2026, 9, 1))]


def test_a_changed_date_on_the_provider_page_supersedes_the_old_one_from_when_it_is_seen(history):
    add_events(history.db_path, at(D1), "openai_deprecations",
               [LifecycleEvent("openai", "gpt-4o-mini", "retired", date(2026, 9, 1))])
    add_events(history.db_path, at(D3), "openai_deprecations",
               [LifecycleEvent("openai", "gpt-4o-mini", "retired", date(2026, 10, 1))])
    with read_connection(history.db_path) as con:
        assert [e.effective_date for e in load_snapshot(con, D2).events] == [date(2026, 9, 1)]
        assert [e.effective_date for e in load_snapshot(con, D3).events] == [date(2026, 10, 1)]
