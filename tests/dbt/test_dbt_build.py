"""dbt build and docs generate over a replayed history (dbt runs in a subprocess; two dbt
invocations for the whole suite, shared through a module-scoped fixture)."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from core.settings import Settings
from drift.dbt_runner import DbtFailed, DbtResult, build_models, failure_message, run_dbt, summarise
from scrapers.records import GpuOffer, LifecycleEvent, TokenPrice
from tests.drift.conftest import H100_SXM, h100_secure, write_runpod_days
from warehouse.db import write_connection
from warehouse.load import FetchLogEntry, insert_fetch_log, load_gpu_offers, load_lifecycle_events, load_token_prices
from warehouse.replay import replay

# synthetic multi-cloud catalogue rows for RunPod, loaded after RunPod's own last load (2025-06-25)
CATALOGUE_H100 = "runpod/1x_H100_SXM 80GB@CA-MTL-1|secure"
CATALOGUE_A100 = "runpod/1x_A100_SXM 80GB@CA-MTL-1|secure"


def _fetch(con, source: str, at: datetime) -> int:
    return insert_fetch_log(con, FetchLogEntry(source, f"https://{source}.example/", at, at, "replay", "ok"))


def _catalogue_offer(key: str, gpu_model: str, usd: float) -> GpuOffer:
    return GpuOffer("runpod", key, gpu_model, gpu_model, 1, "secure", usd, usd, region="CA-MTL-1",
                    source="skypilot_catalog", catalog="runpod")


def _load_catalogue_and_tokens(con) -> None:
    # the catalogue's RunPod folder lists two offerings, then only one (the A100 vanished from it)
    for at, offers in ((datetime(2025, 6, 26, 6), [_catalogue_offer(CATALOGUE_H100, "H100 SXM 80GB", 2.69),
                                                   _catalogue_offer(CATALOGUE_A100, "A100 SXM 80GB", 1.39)]),
                       (datetime(2025, 6, 27, 6), [_catalogue_offer(CATALOGUE_H100, "H100 SXM 80GB", 2.69)])):
        load_gpu_offers(con, offers, at, _fetch(con, "skypilot_catalog", at))
    # the curated sheet, read once through its loader: each row keeps its own as_of date
    at = datetime(2026, 4, 1)
    load_token_prices(con, [
        TokenPrice("together", "llama-8b", "sft_lora", "min_charge", 0, as_of=date(2026, 1, 1)),
        TokenPrice("fireworks", "llama-8b", "sft_lora", "training_per_1m_tokens", 0.5, as_of=date(2026, 3, 1)),
    ], at, "curated_sheet", _fetch(con, "curated_sheet", at))
    # a fetched collector lists two lines, then only one (the DPO line is gone)
    sft = TokenPrice("together", "llama-8b", "sft_lora", "training_per_1m_tokens", 0.48)
    dpo = TokenPrice("together", "llama-8b", "dpo_lora", "training_per_1m_tokens", 1.2)
    for at, prices in ((datetime(2026, 4, 1, 6), [sft, dpo]), (datetime(2026, 4, 2, 6), [sft])):
        load_token_prices(con, prices, at, "together_pricing", _fetch(con, "together_pricing", at))


def _load_lifecycle(con) -> None:
    load_lifecycle_events(con, [LifecycleEvent("openai", "*", "training_unavailable", None)],
                          datetime(2026, 5, 7), "openai_deprecations", None)
    # the same retirement from the provider's page and from an aggregator (ranked below it)
    retired = LifecycleEvent("openai", "gpt-x", "retired", date(2026, 9, 1))
    load_lifecycle_events(con, [retired], datetime(2026, 5, 7), "openai_deprecations", None)
    load_lifecycle_events(con, [retired], datetime(2026, 5, 7), "litellm", None)
    # a published date that changed: the new row supersedes the old one
    load_lifecycle_events(con, [LifecycleEvent("openai", "gpt-y", "retired", date(2026, 7, 1))],
                          datetime(2026, 5, 7), "openai_deprecations", None)
    load_lifecycle_events(con, [LifecycleEvent("openai", "gpt-y", "retired", date(2026, 8, 1))],
                          datetime(2026, 5, 8), "openai_deprecations", None)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Settings, str, DbtResult]:
    root = tmp_path_factory.mktemp("dbt")
    settings = Settings(db_path=root / "pricewatch.duckdb", data_dir=root / "data")
    write_runpod_days(root / "snap", [{}, {}, h100_secure(2.09), {H100_SXM: None}, h100_secure(2.09)])
    replay(settings, root / "snap")
    with write_connection(settings.db_path) as con:
        _load_catalogue_and_tokens(con)
        _load_lifecycle(con)
        con.execute("INSERT INTO scenario_costs (as_of, scenario, route, layer, usd_mid, available, computed_at) "
                    "VALUES ('2026-05-01', 's', 'r', 'total', 10, true, now()), "
                    "('2026-06-01', 's', 'r', 'total', 8, true, now())")
        # synthetic: two routes of scenario 'tie' cost the same mid price on one day
        con.execute("INSERT INTO scenario_costs (as_of, scenario, route, layer, usd_low, usd_mid, usd_high, "
                    "available, computed_at) VALUES "
                    "('2026-05-01', 'tie', 'b-route', 'total', 9, 10, 11, true, now()), "
                    "('2026-05-01', 'tie', 'a-route', 'total', 5, 10, 20, true, now())")
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
    # RunPod's five days but the one the type was missing, and the catalogue's two
    assert days == [(6,)]
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
def test_a_line_its_collector_stopped_publishing_is_gone_in_the_offerings_and_the_intervals(built):
    settings, _, _ = built
    offerings = _query(settings, "SELECT method, is_current FROM intermediate.int_token_offerings "
                                 "WHERE source = 'together_pricing' ORDER BY method")
    assert offerings == [("dpo_lora", False), ("sft_lora", True)]
    intervals = _query(settings, "SELECT method, valid_to FROM marts.token_price_intervals "
                                 "WHERE source = 'together_pricing' ORDER BY method")
    assert intervals == [("dpo_lora", datetime(2026, 4, 2, 6)), ("sft_lora", None)]


@pytest.mark.slow
def test_gpu_offerings_are_current_per_feed_as_in_gpu_prices_latest(built):
    settings, _, _ = built
    rows = _query(settings, "SELECT offering_key, feed, is_current FROM intermediate.int_gpu_offerings "
                            f"WHERE offering_id IN ('runpod:{H100_SXM}|secure', 'runpod:{CATALOGUE_H100}', "
                            f"'runpod:{CATALOGUE_A100}') ORDER BY offering_key")
    # RunPod's own load (2025-06-25) is older than the catalogue's last RunPod load (2025-06-27),
    # which does not list RunPod's own offerings: another feed's load says nothing about them
    assert rows == [(H100_SXM + "|secure", "", True), (CATALOGUE_A100, "runpod", False),
                    (CATALOGUE_H100, "runpod", True)]
    view = _query(settings, "SELECT offering_key, is_current FROM main.gpu_prices_latest "
                            f"WHERE offering_key IN ('{H100_SXM}|secure', '{CATALOGUE_H100}', '{CATALOGUE_A100}') "
                            "ORDER BY offering_key")
    assert view == [(key, current) for key, _, current in rows]
    gone = _query(settings, "SELECT valid_to, is_current FROM marts.gpu_price_intervals "
                            f"WHERE offering_id = 'runpod:{CATALOGUE_A100}'")
    assert gone == [(datetime(2025, 6, 27, 6), False)]


@pytest.mark.slow
def test_one_current_lifecycle_event_per_identity_from_the_best_ranked_source(built):
    settings, _, _ = built
    rows = _query(settings, "SELECT model, source, effective_date, is_current FROM staging.stg_lifecycle_events "
                            "WHERE model IN ('gpt-x', 'gpt-y') ORDER BY model, source, effective_date")
    assert rows == [
        ("gpt-x", "litellm", date(2026, 9, 1), False),  # the aggregator repeats the provider's page
        ("gpt-x", "openai_deprecations", date(2026, 9, 1), True),
        ("gpt-y", "openai_deprecations", date(2026, 7, 1), False),  # superseded by the changed date
        ("gpt-y", "openai_deprecations", date(2026, 8, 1), True),
    ]


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
