"""Incremental evaluation: a history evaluated day by day, each run reading only the new loads,
stores exactly the alerts (and queues exactly the notifications) that a full evaluation of the
whole history stores each day.

SYNTHETIC HISTORY: the real RunPod capture of 2025-06-21 replayed on 12 days with prices edited
per day (tests/drift/conftest.py), plus invented token prices of one Together line.
"""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from core.settings import Settings
from cost_engine.loader import replace_scenario_costs
from drift import daily
from drift.detect_scenarios import evaluate_scenarios
from drift.evaluate import evaluate_incremental, load_state
from drift.rules import load_rules, parse_rules
from scrapers.records import TokenPrice
from tests.drift.conftest import H100_SXM, DayEdit, h100_secure, stamp, write_runpod_days
from warehouse.db import write_connection
from warehouse.load import FetchLogEntry, insert_fetch_log, load_token_prices
from warehouse.replay import replay

A100 = "NVIDIA A100-SXM4-80GB"
# Day by day: a drop, a suspect fall that returns, a type gone for two loads and back, a type new
# after two loads, a later drop superseding the first, a suspect price whose offering vanishes.
DAYS: list[DayEdit] = [
    {A100: None}, {A100: None}, {}, h100_secure(2.5), h100_secure(0.25), h100_secure(2.5),
    {H100_SXM: None}, {H100_SXM: None}, h100_secure(2.0), {A100: {"securePrice": 0.1}, **h100_secure(2.0)},
    {A100: None}, {A100: None},
]
TOKEN_USD = [0.5, 0.5, 0.45, 0.45, 0.05, 0.45, 0.6, 0.6, 0.6, 0.3, 0.3, 0.3]


def load_day(settings: Settings, day: int, tmp: Path) -> None:
    directory = tmp / f"day{day}"
    if not directory.exists():
        write_runpod_days(directory, [DAYS[day]], start=day)
    replay(settings, directory)
    at = stamp(day) + timedelta(minutes=5)
    with write_connection(settings.db_path) as con:
        fetch_id = insert_fetch_log(con, FetchLogEntry("together_pricing", "https://together.example/pricing", at, at,
                                                       "replay", "ok", records_parsed=1))
        load_token_prices(con, [TokenPrice("together", "llama-8b", "sft_lora", "training_per_1m_tokens",
                                           TOKEN_USD[day])], at, "together_pricing", fetch_id)


def drift_run(settings: Settings, day: int, *, full: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    def evaluation(con, rules, now, impact=None):
        return evaluate_incremental(con, rules, now, impact, full=full)

    monkeypatch.setattr(daily, "evaluate_incremental", evaluation)
    daily.run_drift(settings, rules=load_rules(), now=stamp(day) + timedelta(hours=1), stream=io.StringIO())


def table(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(settings.db_path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


ALERTS = ("SELECT alert_id, rule, key, severity, first_seen_at, last_seen_at, state, resolved_at, message, "
          "evidence, kind, trigger_ref, resolution FROM alerts ORDER BY alert_id")
DELIVERIES = "SELECT alert_id, channel, event, delivered FROM alert_deliveries ORDER BY ALL"


@pytest.fixture
def two_warehouses(tmp_path: Path) -> tuple[Settings, Settings]:
    def settings(name: str) -> Settings:
        return Settings(db_path=tmp_path / name / "w.duckdb", data_dir=tmp_path / name / "data",
                        reports_dir=tmp_path / name / "reports")
    return settings("incremental"), settings("full")


def test_day_by_day_incremental_runs_store_what_daily_full_runs_store(two_warehouses, tmp_path, monkeypatch):
    incremental, full = two_warehouses
    for day in range(len(DAYS)):
        for settings, is_full in ((incremental, False), (full, True)):
            load_day(settings, day, tmp_path)
            drift_run(settings, day, full=is_full, monkeypatch=monkeypatch)

    stored = table(full, ALERTS)
    assert table(incremental, ALERTS) == stored
    assert table(incremental, DELIVERIES) == table(full, DELIVERIES)
    rules = {r[1] for r in stored}  # the history exercises every price rule
    assert {"h100_price_drop", "suspect_price_jump", "gpu_offering_vanished", "gpu_offering_new",
            "gpu_cheapest_price_change", "token_price_change"} <= rules
    assert any(r[1] == "suspect_price_jump" and (r[12] or "").startswith("offering no longer listed") for r in stored)


def test_loads_in_several_days_at_once_give_what_a_full_evaluation_gives(two_warehouses, tmp_path, monkeypatch):
    incremental, full = two_warehouses
    for day in range(len(DAYS)):
        load_day(incremental, day, tmp_path)
        load_day(full, day, tmp_path)
        if day in (2, 5, 9, len(DAYS) - 1):  # evaluations after 3, 3, 4 and 2 new days
            drift_run(incremental, day, full=False, monkeypatch=monkeypatch)
            drift_run(full, day, full=True, monkeypatch=monkeypatch)

    assert table(incremental, ALERTS) == table(full, ALERTS)


def test_an_incremental_run_reads_only_the_new_loads(settings, tmp_path):
    for day in range(3):
        load_day(settings, day, tmp_path)
    rules = load_rules()
    with write_connection(settings.db_path) as con:
        first = evaluate_incremental(con, rules, stamp(3))
        from drift.evaluate import store_alerts
        store_alerts(con, first.alerts, [], stamp(3), state=first.state)
    load_day(settings, 3, tmp_path)
    with write_connection(settings.db_path) as con:
        second = evaluate_incremental(con, rules, stamp(4))
    assert first.full == ["no saved state"]
    assert second.full == []
    assert second.state["last_fetch_id"] > first.state["last_fetch_id"]


def test_rows_loaded_behind_the_loaders_back_make_the_next_run_a_full_one(settings, tmp_path, monkeypatch):
    load_day(settings, 0, tmp_path)
    drift_run(settings, 0, full=False, monkeypatch=monkeypatch)
    with write_connection(settings.db_path) as con:
        con.execute("INSERT INTO gpu_observations (observed_at, provider, offering_key, gpu_raw_name, gpu_count, tier, "
                    "usd_per_gpu_hour, usd_per_instance_hour, source_fetch_id) "
                    "VALUES ('2025-06-20', 'runpod', 'x|secure', 'x', 1, 'secure', 1.0, 1.0, 0)")
        evaluation = evaluate_incremental(con, load_rules(), stamp(1))
    assert evaluation.full == ["gpu: row count does not add up (rows loaded or deleted outside the loader)"]


def test_an_older_snapshot_replayed_later_re_evaluates_its_provider_like_a_full_run(two_warehouses, tmp_path,
                                                                                    monkeypatch):
    incremental, full = two_warehouses
    for day in (0, 1, 3, 4):
        for settings, is_full in ((incremental, False), (full, True)):
            load_day(settings, day, tmp_path)
            drift_run(settings, day, full=is_full, monkeypatch=monkeypatch)
    for settings, is_full in ((incremental, False), (full, True)):
        load_day(settings, 2, tmp_path)  # day 2 arrives late
        drift_run(settings, 4, full=is_full, monkeypatch=monkeypatch)
    assert table(incremental, ALERTS) == table(full, ALERTS)
    with write_connection(incremental.db_path) as con:
        state = con.execute("SELECT state FROM drift_state").fetchall()[0][0]
    assert '"last_load":"2025-06-25' in state


def test_changed_rules_start_over_from_the_whole_history(settings, tmp_path, monkeypatch):
    load_day(settings, 0, tmp_path)
    drift_run(settings, 0, full=False, monkeypatch=monkeypatch)
    stricter = parse_rules("rules:\n  - {name: h100_price_drop, type: gpu_offering_price_change, threshold_pct: 5}\n")
    with write_connection(settings.db_path) as con:
        evaluation = evaluate_incremental(con, stricter, datetime(2025, 7, 1))
    assert evaluation.full == ["the rules (or the state format) changed"]


# --- scenario cost series ------------------------------------------------------------------------
# SYNTHETIC scenario_costs days written by the cost engine's own writer (replace_scenario_costs):
# one scenario with a GPU route whose H100 price moves (cost = 6 GPU-hours) and a flat API route.
SCENARIO, H100_ROUTE, API_ROUTE = "llama8b-lora-10m", "runpod:H100 SXM 80GB", "openai:sft"
DAY_ONE = date(2026, 5, 1)
# (H100 $/GPU-h, usable): +12.5% on day 2; unusable on day 3 (route change), back on day 4
# (route change), -33% on day 5, -3% on day 6 (repriced later as unusable: a route change).
SCENARIO_DAYS: list[tuple[float, bool]] = [
    (2.00, True), (2.10, True), (2.25, True), (2.25, False), (2.25, True), (1.50, True), (1.45, True),
    (1.45, True), (1.70, True), (1.70, True), (1.20, True), (1.20, True), (1.25, True),
]


def scenario_rows(day: int, h100: float, usable: bool, computed_at: datetime) -> list[dict[str, Any]]:
    as_of = DAY_ONE + timedelta(days=day)

    def row(route: str, layer: str, usd: float, available: bool, prov: list[dict[str, Any]]) -> dict[str, Any]:
        return {"as_of": as_of, "scenario": SCENARIO, "route": route, "layer": layer, "usd_low": usd,
                "usd_mid": usd, "usd_high": usd, "available": available, "reason": None,
                "inputs": {"provenance": prov, "catalogue_version": 3}, "computed_at": computed_at}

    gpu = [{"kind": "gpu", "provider": "runpod", "offering": "H100|secure", "tier": "secure", "gpus_rented": 1,
            "gpu_model": "H100 SXM 80GB", "usd": h100}]
    return [row(H100_ROUTE, "total", 6 * h100, usable, gpu), row(H100_ROUTE, "compute", 6 * h100, usable, gpu),
            row(API_ROUTE, "total", 30.0, True, []), row(API_ROUTE, "compute", 25.0, True, [])]


def write_scenario_day(settings: Settings, day: int, *, usable: bool | None = None, rerun: int = 0) -> None:
    price, usable_that_day = SCENARIO_DAYS[day]
    usable = usable_that_day if usable is None else usable
    computed = datetime(2026, 6, 1) + timedelta(days=day, minutes=rerun)
    with write_connection(settings.db_path) as con:
        replace_scenario_costs(con, DAY_ONE + timedelta(days=day), scenario_rows(day, price, usable, computed))


def scenario_run(settings: Settings, day: int, full: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    drift_run(settings, day, full=full, monkeypatch=monkeypatch)


def test_scenario_alerts_evaluated_day_by_day_store_what_full_evaluations_store(two_warehouses, monkeypatch):
    incremental, full = two_warehouses

    def both(writes: list[tuple[int, dict[str, Any]]], run_day: int) -> None:
        """Write ``writes`` (day, options) into both warehouses, then run drift on ``run_day`` in each."""
        for settings, is_full in ((incremental, False), (full, True)):
            for day, options in writes:
                write_scenario_day(settings, day, **options)
            scenario_run(settings, run_day, is_full, monkeypatch)

    for day in range(7):  # one day, one run
        both([(day, {})], day)
    # the newest day repriced again the same day: unchanged, then its H100 route unusable
    both([(6, {"rerun": 1})], 6)
    both([(6, {"usable": False, "rerun": 2})], 6)
    # three days in one run; then day 11 before day 10 (a gap filled later: read whole again)
    both([(7, {}), (8, {}), (9, {})], 9)
    both([(11, {})], 11)
    both([(10, {})], 11)
    both([(12, {})], 12)

    stored = table(full, ALERTS)
    assert table(incremental, ALERTS) == stored
    assert table(incremental, DELIVERIES) == table(full, DELIVERIES)
    assert {r[1] for r in stored} == {"scenario_cost_change", "scenario_route_change"}
    # the repriced day 6 switches from the H100 route as day 5 priced it (6 x $1.50), not as the
    # first pricing of day 6 did (6 x $1.45)
    switch = [r for r in stored if r[1] == "scenario_route_change" and r[4] == datetime(2026, 5, 7)]
    assert [r[2] for r in switch] == [f"{SCENARIO}|compute", f"{SCENARIO}|total"]
    assert "(was runpod:H100 SXM 80GB at $9; runpod:H100 SXM 80GB is no longer usable)" in switch[1][8]


def test_a_run_reads_only_the_scenario_days_not_yet_evaluated(settings, monkeypatch):
    for day in range(5):
        write_scenario_day(settings, day)
    scenario_run(settings, 4, False, monkeypatch)
    write_scenario_day(settings, 5)  # -33%: a cost alert on the new day
    with write_connection(settings.db_path) as con:
        saved = load_state(con)
        assert saved is not None
        again = evaluate_scenarios(con, load_rules(), saved["scenarios"])
        evaluation = evaluate_incremental(con, load_rules(), datetime(2026, 6, 1))

    assert not again.whole and again.why_whole is None
    assert [(a.rule, a.first_seen_at) for a in again.alerts] == [("scenario_cost_change", datetime(2026, 5, 6)),
                                                                  ("scenario_cost_change", datetime(2026, 5, 6))]
    assert evaluation.full == []


def test_an_earlier_scenario_day_filled_in_later_makes_the_series_read_whole(settings, monkeypatch):
    for day in (0, 1, 3):
        write_scenario_day(settings, day)
    scenario_run(settings, 3, False, monkeypatch)
    write_scenario_day(settings, 2)
    with write_connection(settings.db_path) as con:
        evaluation = evaluate_incremental(con, load_rules(), datetime(2026, 6, 1))
    assert evaluation.full == ["scenario_costs of 2026-05-03 changed (the newest evaluated day was 2026-05-04)"]
