"""dbt build and docs generate over a replayed history (dbt runs in a subprocess; two dbt
invocations for the whole suite, shared through a module-scoped fixture)."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from core.settings import Settings
from drift.dbt_runner import DbtFailed, DbtResult, build_models, failure_message, run_dbt, summarise
from scrapers.records import LifecycleEvent
from tests.drift.conftest import H100_SXM, h100_secure, write_runpod_days
from warehouse.db import write_connection
from warehouse.load import load_lifecycle_events
from warehouse.replay import replay


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Settings, str, DbtResult]:
    root = tmp_path_factory.mktemp("dbt")
    settings = Settings(db_path=root / "pricewatch.duckdb", data_dir=root / "data")
    write_runpod_days(root / "snap", [{}, {}, h100_secure(2.09), {H100_SXM: None}, h100_secure(2.09)])
    replay(settings, root / "snap")
    with write_connection(settings.db_path) as con:
        load_lifecycle_events(con, [LifecycleEvent("openai", "*", "training_unavailable", None)],
                              datetime(2026, 5, 7), "openai_deprecations", None)
        con.execute("INSERT INTO scenario_costs (as_of, scenario, route, layer, usd_mid, available, computed_at) "
                    "VALUES ('2026-05-01', 's', 'r', 'total', 10, true, now()), "
                    "('2026-06-01', 's', 'r', 'total', 8, true, now())")
        # synthetic: two routes of scenario 'tie' cost the same mid price on one day
        con.execute("INSERT INTO scenario_costs (as_of, scenario, route, layer, usd_low, usd_mid, usd_high, "
                    "available, computed_at) VALUES "
                    "('2026-05-01', 'tie', 'b-route', 'total', 9, 10, 11, true, now()), "
                    "('2026-05-01', 'tie', 'a-route', 'total', 5, 10, 20, true, now())")
        # synthetic curated-sheet rows: each carries its own as_of date as observed_at, no fetch
        con.execute("INSERT INTO token_observations (observed_at, source, provider, model, method, price_kind, "
                    "usd, source_fetch_id) VALUES "
                    "('2026-01-01', 'curated_sheet', 'together', 'llama-8b', 'sft_lora', 'min_charge', 0, NULL), "
                    "('2026-03-01', 'curated_sheet', 'fireworks', 'llama-8b', 'sft_lora', 'train_per_1m', 0.5, NULL)")
    summary = build_models(settings)
    docs = run_dbt(settings, ["docs", "generate"])
    return settings, summary, docs


def _query(settings: Settings, sql: str) -> list[tuple]:
    con = duckdb.connect(str(settings.db_path), read_only=True)  # dbt has exited: the lock is free
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.mark.slow
def test_dbt_build_passes_on_a_replayed_history(built):
    _, summary, _ = built
    assert summary.startswith("dbt build: PASS=") and "ERROR=0" in summary and "WARN=0" in summary


@pytest.mark.slow
def test_intervals_are_scd2_with_an_open_current_row(built):
    settings, _, _ = built
    rows = _query(settings, "SELECT price, valid_from, valid_to FROM marts.gpu_price_intervals "
                            f"WHERE offering_id = 'runpod:{H100_SXM}|secure' ORDER BY valid_from")
    assert [(r[0], r[1].day, r[2] and r[2].day) for r in rows] == [(2.99, 21, 23), (2.09, 23, None)]


@pytest.mark.slow
def test_price_changes_and_daily_prices_are_built(built):
    settings, _, _ = built
    changes = _query(settings, "SELECT old_price, new_price, round(pct_change, 1) FROM marts.price_changes "
                               f"WHERE offering_id = 'runpod:{H100_SXM}|secure'")
    assert changes == [(2.99, 2.09, -30.1)]
    days = _query(settings, "SELECT count(DISTINCT day) FROM marts.gpu_prices_daily WHERE gpu_model = 'H100 SXM 80GB'")
    assert days == [(4,)]  # the day the type was missing has no row
    trend = _query(settings, "SELECT change_30d_pct FROM marts.scenario_cost_trend WHERE as_of = '2026-06-01'")
    assert trend == [(-20.0,)]


@pytest.mark.slow
def test_docs_generate_writes_the_catalog_outside_the_repository(built):
    settings, _, docs = built
    assert docs.ok, docs.output[-2000:]
    assert (Path(settings.data_dir) / "dbt" / "target" / "catalog.json").exists()


def test_a_dbt_failure_is_one_clear_line():
    output = ("12:00:00  Failure in test no_overlapping_intervals_gpu_price_intervals_offering_id (models/x.yml)\n"
              "12:00:01  Done. PASS=50 WARN=0 ERROR=1 SKIP=0 NO-OP=0 TOTAL=51\n")
    message = failure_message(DbtResult(("build",), 1, output), Settings(data_dir=Path("/tmp/pw")))
    assert message.startswith("dbt build: PASS=50 WARN=0 ERROR=1 SKIP=0 TOTAL=51 (exit 1).")
    assert "failing: no_overlapping_intervals_gpu_price_intervals_offering_id." in message
    assert summarise(DbtResult(("build",), 0, "")) == "dbt build: no summary line"


def test_build_is_skipped_when_there_is_no_warehouse(tmp_path):
    assert build_models(Settings(db_path=tmp_path / "none.duckdb")).startswith("dbt build skipped")
    assert issubclass(DbtFailed, RuntimeError)


@pytest.mark.slow
def test_curated_sheet_lines_with_older_dates_are_current_not_vanished(built):
    settings, _, _ = built
    rows = _query(settings, "SELECT provider, valid_to, is_current FROM marts.token_price_intervals "
                            "WHERE source = 'curated_sheet' ORDER BY provider")
    assert rows == [("fireworks", None, True), ("together", None, True)]
    offerings = _query(settings, "SELECT provider, is_current FROM intermediate.int_token_offerings "
                                 "WHERE source = 'curated_sheet' ORDER BY provider")
    assert offerings == [("fireworks", True), ("together", True)]


@pytest.mark.slow
def test_on_a_cost_tie_the_cheapest_route_and_its_range_come_from_one_row(built):
    settings, _, _ = built
    rows = _query(settings, "SELECT cheapest_route, usd_low, usd_mid, usd_high FROM marts.scenario_cost_trend "
                            "WHERE scenario = 'tie'")
    assert rows == [("a-route", 5.0, 10.0, 20.0)]


MARTS = ("gpu_price_intervals", "token_price_intervals", "gpu_prices_daily", "price_changes")


def _marts(settings: Settings) -> dict[str, list[tuple]]:
    """Every mart's rows (without the build bookkeeping column last_fetch_id)."""
    con = duckdb.connect(str(settings.db_path), read_only=True)
    try:
        return {t: con.execute(f"SELECT * EXCLUDE (last_fetch_id) FROM marts.{t} ORDER BY ALL" if t != "price_changes"
                               else f"SELECT * FROM marts.{t} ORDER BY ALL").fetchall() for t in MARTS}
    finally:
        con.close()


def _token_day(settings: Settings, day: datetime, usd: float, source: str = "together_pricing") -> None:
    from scrapers.records import TokenPrice
    from warehouse.load import FetchLogEntry, insert_fetch_log, load_token_prices

    with write_connection(settings.db_path) as con:
        fetch_id = insert_fetch_log(con, FetchLogEntry(source, "https://together.example/pricing", day, day,
                                                       "replay", "ok", records_parsed=1))
        as_of = day.date() if source == "curated_sheet" else None
        load_token_prices(con, [TokenPrice("together", "llama-8b", "sft_lora", "training_per_1m_tokens", usd,
                                           as_of=as_of)], day, source, fetch_id)


@pytest.mark.slow
def test_an_incremental_build_after_new_and_late_loads_equals_a_full_refresh(tmp_path):
    settings = Settings(db_path=tmp_path / "pricewatch.duckdb", data_dir=tmp_path / "data")
    write_runpod_days(tmp_path / "first", [{}, {}, h100_secure(2.09)])
    replay(settings, tmp_path / "first")
    for day, usd in ((21, 0.5), (22, 0.5), (23, 0.45)):
        _token_day(settings, datetime(2025, 6, day, 23, 30), usd)
    _token_day(settings, datetime(2025, 6, 10), 0.6, source="curated_sheet")
    assert build_models(settings).startswith("dbt build: PASS=")

    # new days (a type gone for two loads and back at a new price, prices changing and not) and
    # a curated row dated before the built ones: each kind of change the incremental path
    # handles (new loads continue each offering's last interval; the late row rebuilds its
    # source whole)
    write_runpod_days(tmp_path / "later", [{H100_SXM: None}, {H100_SXM: None}, h100_secure(2.5), {}], start=3)
    replay(settings, tmp_path / "later")
    for day, usd in ((25, 0.45), (26, 0.6)):
        _token_day(settings, datetime(2025, 6, day, 23, 30), usd)
    _token_day(settings, datetime(2025, 6, 5), 0.55, source="curated_sheet")
    assert build_models(settings).startswith("dbt build: PASS=")
    incremental = _marts(settings)

    assert run_dbt(settings, ["build", "--full-refresh"]).ok
    assert incremental == _marts(settings)
    assert len(incremental["gpu_price_intervals"]) > 39 and len(incremental["price_changes"]) >= 3
