"""Incremental evaluation: a history evaluated day by day, each run reading only the new loads,
stores exactly the alerts (and queues exactly the notifications) that a full evaluation of the
whole history stores each day.

SYNTHETIC HISTORY: the real RunPod capture of 2025-06-21 replayed on 12 days with prices edited
per day (tests/drift/conftest.py), plus invented token prices of one Together line.
"""
from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from core.settings import Settings
from drift import daily
from drift.evaluate import evaluate_incremental
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
    def evaluation(con, rules, now, impact=None):  # type: ignore[no-untyped-def]
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
