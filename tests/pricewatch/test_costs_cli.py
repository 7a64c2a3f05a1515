"""`pricewatch reprice`, `scenarios` and `estimate` through click's CliRunner."""
from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner

from pricewatch.cli import main
from tests.cost_engine.ce_history import A100_RUNPOD_COMMUNITY, A100_RUNPOD_SPOT, add_gpu, add_tokens, at, gpu, token

D1, D8 = date(2026, 6, 1), date(2026, 6, 8)


@pytest.fixture
def db(settings):
    add_gpu(settings.db_path, at(D1), [gpu("runpod", "A100 SXM 80GB", "community", A100_RUNPOD_COMMUNITY),
                                       gpu("runpod", "H100 SXM 80GB", "community_spot", 2.69)])
    add_tokens(settings.db_path, at(D1), "together_pricing",
               [token("together", "<=16B", "sft_lora", "training_per_1m_tokens", 0.48)])
    # RunPod's day-8 load still lists the H100 (an offering missing from a provider's last load is gone).
    add_gpu(settings.db_path, at(D8), [gpu("runpod", "A100 SXM 80GB", "community", A100_RUNPOD_SPOT),
                                       gpu("runpod", "H100 SXM 80GB", "community_spot", 2.69)])
    return str(settings.db_path)


def _run(*args):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result


def test_reprice_backfills_each_day_with_progress(db):
    result = _run("reprice", "--from", "2026-06-01", "--to", "2026-06-08", "--db", db)
    assert "[8/8] 2026-06-08" in result.stderr
    assert "2026-06-08" in result.stdout


def test_scenarios_json_shows_cheapest_route_and_change_vs_7_days(db):
    _run("reprice", "--from", "2026-06-01", "--to", "2026-06-08", "--db", db)
    rows = {r["scenario"]: r for r in json.loads(_run("scenarios", "--as-of", "2026-06-08", "--format", "json",
                                                       "--db", db).stdout)}
    qlora = rows["route_qlora_8b_1xa100"]
    assert qlora["cheapest_route"] == "gpu:A100 SXM 80GB:1"
    assert qlora["usd_low"] <= qlora["usd_mid"] <= qlora["usd_high"]
    # compute scales with the price: 1.30 / 1.64 - 1 = -20.73%
    assert qlora["change_7d_pct"] == pytest.approx((A100_RUNPOD_SPOT / A100_RUNPOD_COMMUNITY - 1) * 100, abs=1e-3)
    assert qlora["provenance"][0]["observed_at"].startswith("2026-06-08")
    assert qlora["usd_per_hour"] == A100_RUNPOD_SPOT and qlora["basis"] == "provider page"
    assert rows["hosted_50k_x_512"]["usd_mid"] == pytest.approx(12.288)
    assert rows["hosted_1k_x_500_3ep_70b"]["cheapest_route"] is None


def test_scenarios_without_stored_rows_are_computed_on_the_fly(db):
    result = _run("scenarios", "--format", "json", "--db", db)
    assert "priced on the fly" in result.stderr
    assert json.loads(result.stdout)[0]["as_of"] == "2026-06-08"


def test_scenarios_today_starts_with_the_freshness_warning(db):
    # The newest GPU price is from 2026-06-08; judged on the real date it is past the 30-day limit.
    result = _run("scenarios", "--format", "json", "--db", db)
    first = result.stderr.splitlines()[0]
    assert first.startswith("warning: prices older than the freshness limit on ") and "gpu_provider 2026-06-08" in first


def test_scenarios_table_lists_every_scenario(db):
    out = _run("scenarios", "--db", db).stdout
    assert "weekend_lora_7b" in out and "(14 rows)" in out


def test_scenario_detail_lists_routes_with_layers(db):
    rows = json.loads(_run("scenarios", "--scenario", "midmarket_lora_13b", "--format", "json", "--db", db).stdout)
    assert {"gpu:A100 SXM 80GB:2", "gpu:H100 SXM 80GB:1:runpod:community_spot"} <= {r["route"] for r in rows}
    assert all(r["serving_mid"] > 0 for r in rows if r["available"])


def test_estimate_json_for_a_gpu_and_a_hosted_route(db):
    out = json.loads(_run("estimate", "--params", "7e9", "--method", "qlora", "--examples", "10000",
                          "--tokens-per-example", "512", "--epochs", "3", "--route", "gpu:A100 SXM 80GB:1",
                          "--route", "hosted:together", "--route", "hosted:openai:gpt-4o-mini",
                          "--as-of", "2026-06-01", "--format", "json", "--db", db).stdout)
    by_route = {r["route"]: r for r in out}
    gpu_route = by_route["gpu:A100 SXM 80GB:1"]
    assert gpu_route["available"] and gpu_route["provenance"][0]["usd"] == A100_RUNPOD_COMMUNITY
    assert gpu_route["layers"]["compute"]["inputs"]["memory"]["fits"] is True
    assert by_route["hosted:together"]["layers"]["compute"]["usd_mid"] == pytest.approx(15.36 * 0.48)
    assert not by_route["hosted:openai:gpt-4o-mini"]["available"]


def test_estimate_rejects_an_unknown_gpu_in_one_line_with_close_matches(db):
    result = CliRunner().invoke(main, ["estimate", "--params", "7e9", "--method", "lora", "--examples", "10",
                                       "--tokens-per-example", "10", "--route", "gpu:A10O:1", "--db", db])
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "valid forms:" in result.stderr and "close matches: gpu:A10 24GB:1, gpu:A100" in result.stderr


@pytest.fixture
def empty_db(settings):
    from warehouse.db import write_connection

    with write_connection(settings.db_path):
        pass
    return str(settings.db_path)


def _priced_days(db):
    from warehouse.db import read_connection

    with read_connection(db) as con:
        return [r[0] for r in con.execute("SELECT DISTINCT as_of FROM scenario_costs ORDER BY 1").fetchall()]


def test_reprice_stops_at_the_newest_observation_with_a_warning(db):
    result = _run("reprice", "--from", "2026-06-07", "--to", "2026-06-30", "--db", db)
    assert "repricing up to 2026-06-08" in result.stderr
    assert _priced_days(db) == [date(2026, 6, 7), D8]


def test_reprice_after_the_newest_observation_prices_nothing(db):
    result = _run("reprice", "--from", "2026-07-01", "--db", db)
    assert "nothing to price" in result.stderr and _priced_days(db) == []


@pytest.mark.parametrize("args", [(), ("--from", "2026-06-01", "--to", "2026-06-08")])
def test_reprice_on_an_empty_warehouse_says_there_is_nothing_to_price(empty_db, args):
    result = _run("reprice", *args, "--db", empty_db)
    assert "nothing to price" in result.output
    assert _priced_days(empty_db) == []


def test_estimate_on_an_empty_warehouse_is_a_clear_error_like_scenarios(empty_db):
    for args in (["scenarios"], ["estimate", "--params", "7e9", "--method", "lora", "--examples", "10",
                                 "--tokens-per-example", "10", "--route", "gpu:A100 SXM 80GB:1"]):
        result = CliRunner().invoke(main, [*args, "--db", empty_db])
        assert result.exit_code == 2 and "no prices yet" in result.stderr, args
