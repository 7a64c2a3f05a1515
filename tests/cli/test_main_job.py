"""The main job through the real console script, as `make run` does it (offline here)."""
from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ran(tmp_path_factory, cli):
    home = tmp_path_factory.mktemp("job")
    env = {"PRICEWATCH_DB": str(home / "pw.duckdb"), "PRICEWATCH_DATA_DIR": str(home / "data"),
           "PRICEWATCH_REPORTS_DIR": str(home / "reports")}
    result = cli("run", "--offline", "--no-prefect", env=env, cwd=home)
    return home, env, result


def test_offline_run_succeeds_and_prints_a_summary_for_every_source(ran):
    _, _, result = ran
    assert result.returncode == 0, result.stderr[-2000:]
    for source in ("runpod", "vastai", "lambda", "skypilot_catalog", "openai_deprecations", "curated_sheet"):
        assert f"| {source} |" in result.stdout
    for step in ("reprice", "dbt", "alerts", "report"):
        assert f"| {step} | yes |" in result.stdout


def test_after_the_run_the_gpu_market_spans_15_providers_and_50_models_each_row_with_its_source(ran, cli):
    _, env, _ = ran
    result = cli("sql", "select count(distinct provider) as providers, count(distinct gpu_model) as models, "
                        "count(*) filter (where source is null or provider is null) as unlabelled "
                        "from gpu_prices_latest", "--format", "json", env=env)
    [row] = json.loads(result.stdout)
    assert row["providers"] >= 15 and row["models"] >= 50 and row["unlabelled"] == 0


def test_after_the_run_the_providers_own_collectors_and_the_catalogue_are_both_there(ran, cli):
    _, env, _ = ran
    result = cli("sql", "select distinct source from gpu_price_history order by 1", "--format", "json", env=env)
    assert [row["source"] for row in json.loads(result.stdout)] == ["lambda", "runpod", "skypilot_catalog", "vastai"]


def test_after_the_run_scenarios_lists_the_catalogue_with_cheapest_routes(ran, cli):
    _, env, _ = ran
    rows = json.loads(cli("scenarios", "--format", "json", env=env).stdout)
    names = {r["scenario"] for r in (rows["scenarios"] if isinstance(rows, dict) else rows)}
    assert {"weekend_lora_7b", "midmarket_lora_13b", "enterprise_full_70b", "startup_sft_7b_hosted"} <= names


def test_after_the_run_alerts_show_the_openai_wind_down(ran, cli):
    _, env, _ = ran
    alerts = json.loads(cli("alerts", "--format", "json", env=env).stdout)
    wind_down = [a for a in alerts if a["key"].startswith("openai|*|training_unavailable")]
    assert {a["rule"] for a in wind_down} >= {"lifecycle_announced"}
    assert any("2027-01-06" in a["message"] for a in wind_down)


def test_after_the_run_the_report_is_written(ran):
    home, _, _ = ran
    assert (home / "reports" / "latest.html").stat().st_size > 100_000


def test_serve_without_a_prefect_server_explains_what_to_do(cli):
    result = cli("serve", env={"PREFECT_API_URL": ""})
    assert result.returncode == 2
    assert "prefect server start" in result.stderr and "cron" in result.stderr


def test_a_run_with_a_failing_source_exits_1_after_finishing_the_rest(cli, tmp_path):
    env = {"PRICEWATCH_DB": str(tmp_path / "pw.duckdb"), "PRICEWATCH_DATA_DIR": str(tmp_path / "data"),
           "PRICEWATCH_REPORTS_DIR": str(tmp_path / "reports")}
    snaps = tmp_path / "snaps" / "runpod"
    snaps.mkdir(parents=True)
    (snaps / "2025-06-21T231800Z.json").write_text("<html><body>503</body></html>")
    # the bundled snapshots are the offline data; point them at a folder with one broken file
    result = cli("run", "--offline", "--no-prefect", env={**env, "PRICEWATCH_SNAPSHOTS_DIR": str(tmp_path / "snaps")},
                 cwd=tmp_path)
    assert result.returncode == 1
    assert "| runpod | 1 | 0 | 0 | 0 | runpod: field" in result.stdout
    assert "finished with errors" in result.stderr
