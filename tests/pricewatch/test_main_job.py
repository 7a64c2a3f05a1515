"""The main job through the real console script, as `make run` and cron run it: what it prints,
its exit codes (README, "Quick start") and one run at a time per warehouse.

Live runs here never reach the network: every provider request goes to a proxy on a closed
loopback port (connection refused), as on a machine without network.
"""
from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import pytest

from flows.runlock import lock_path
from scrapers.registry import GPU_SOURCES
from tests.conftest import REPO_ROOT
from tests.pricewatch.conftest import CONSOLE_SCRIPT
from tests.sql import one_row, scalar
from warehouse.db import read_connection

pytestmark = pytest.mark.slow

NO_NETWORK = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
              "https_proxy": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9",
              "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
              "PRICEWATCH_HTTP_RETRIES": "0"}
DATED = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


def job_env(home: Path) -> dict[str, str]:
    return {"PRICEWATCH_DB": str(home / "pw.duckdb"), "PRICEWATCH_DATA_DIR": str(home / "data"),
            "PRICEWATCH_REPORTS_DIR": str(home / "reports")}


@pytest.fixture(scope="module")
def ran(tmp_path_factory, cli):
    home = tmp_path_factory.mktemp("job")
    env = job_env(home)
    result = cli("run", "--offline", "--no-prefect", env=env, cwd=home)
    return home, env, result


def test_offline_run_succeeds_and_prints_a_summary_for_every_source(ran):
    _, _, result = ran
    assert result.returncode == 0, result.stderr[-2000:]
    for source in ("runpod", "vastai", "lambda", "skypilot_catalog", "openai_deprecations", "curated_sheet"):
        assert f"| {source} |" in result.stdout
    for step in ("publish", "reprice", "dbt", "alerts", "report", "republish"):
        assert f"| {step} | yes |" in result.stdout


def test_the_runs_own_lines_are_dated_and_the_summary_is_printed_once(ran):
    _, _, result = ran
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    # what the alerts step printed (one summary line, issue #10 item 7) is dated too
    assert len([line for line in lines if "alerts: " in line and "details: pricewatch alerts" in line]) == 1
    assert lines and [line for line in lines if not DATED.match(line)] == []
    assert (result.stdout + result.stderr).count("# pricewatch daily run") == 1


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
    # every GPU collector of the registry, the providers' own and the catalogue
    assert [row["source"] for row in json.loads(result.stdout)] == sorted(GPU_SOURCES)


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
    snaps = tmp_path / "snaps" / "runpod"
    snaps.mkdir(parents=True)
    (snaps / "2025-06-21T231800Z.json").write_text("<html><body>503</body></html>")
    # the bundled snapshots are the offline data; point them at a folder with one broken file
    result = cli("run", "--offline", "--no-prefect", "--collect-only", cwd=tmp_path,
                 env={**job_env(tmp_path), "PRICEWATCH_SNAPSHOTS_DIR": str(tmp_path / "snaps")})
    assert result.returncode == 1
    assert "| runpod | 1 | 0 | 0 | 0 | runpod: field" in result.stdout
    assert "finished with errors" in result.stderr and "1 of" in result.stderr


def test_a_bad_limit_in_the_environment_is_one_line_and_exit_code_2(cli, tmp_path):
    result = cli("run", "--offline", "--no-prefect", env={**job_env(tmp_path), "PRICEWATCH_SOURCE_BUDGET_S": "-5"})
    assert result.returncode == 2
    assert result.stderr.strip() == "error: PRICEWATCH_SOURCE_BUDGET_S='-5' is out of range; valid: 1 to 86400"


def test_with_no_provider_reachable_the_run_falls_back_and_exits_3_keeping_the_live_errors(cli, tmp_path):
    result = cli("run", "--no-prefect", "--collect-only", env={**job_env(tmp_path), **NO_NETWORK}, cwd=tmp_path)
    assert result.returncode == 3, result.stderr[-2000:]
    assert "No provider was reachable; loaded the bundled snapshots" in result.stdout
    assert "Live attempt before the fallback" in result.stdout
    assert "| runpod | runpod: could not fetch https://api.runpod.io/graphql: connection failed" in result.stdout
    assert "exit code 3" in result.stderr.splitlines()[-1]
    with read_connection(tmp_path / "pw.duckdb") as con:  # the offline demo history is there: the three
        # direct GPU sources and the SkyPilot catalogue's clouds (issue #12: at least 15 providers)
        assert scalar(con.execute("select count(distinct provider) from gpu_price_history")) >= 15


def test_make_run_treats_the_offline_fallback_as_a_demo_with_a_warning(tmp_path):
    env = {**job_env(tmp_path), **NO_NETWORK, "RUN_ARGS": "--no-prefect --collect-only"}
    result = subprocess.run(["make", "--no-print-directory", "run"], cwd=REPO_ROOT, env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "warning: no provider was reachable: this was an offline demo" in result.stderr


def test_the_flow_run_falls_back_the_same_way_with_dated_prefect_logs_and_no_noise(cli, tmp_path):
    env = {**job_env(tmp_path), **NO_NETWORK, "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_API_URL": ""}
    result = cli("run", "--collect-only", env=env, cwd=tmp_path)
    assert result.returncode == 3, result.stderr[-3000:]
    assert "Finished in state FellBackToSnapshots" in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines and [line for line in lines if not DATED.match(line)] == []
    for noise in ("worker thread", "Error logging to API", "telemetry", "Traceback", "View at"):
        assert noise not in result.stderr
    assert (result.stdout + result.stderr).count("# pricewatch daily run") == 1


def _wait_until_locked_by(process: subprocess.Popen, db: Path, timeout: float = 120) -> None:
    give_up = time.monotonic() + timeout
    while f'"pid": {process.pid},' not in (lock_path(db).read_text() if lock_path(db).exists() else ""):
        assert process.poll() is None and time.monotonic() < give_up, "the first run never took the lock"
        time.sleep(0.05)


def _tables(db: Path) -> dict[str, object]:
    queries = {
        "gpu": "select count(*), count(distinct (provider, gpu_raw_name, tier, region, observed_at)) "
               "from gpu_price_history",
        "tokens": "select count(*), sum(usd) from token_price_history",
        "lifecycle": "select count(*) from model_lifecycle_events",
        "scenarios": "select count(*), round(sum(usd_mid), 2) from scenario_costs",
        "alerts": "select count(*), count(distinct alert_id), count(*) filter (state = 'open') from alerts",
        # the fetch log logs attempts (the second run's look at the curated sheet too); what was loaded:
        "fetches": "select count(distinct sha256), sum(records_added) from fetch_log",
    }
    with read_connection(db) as con:
        return {name: one_row(con.execute(sql)) for name, sql in queries.items()}


def test_overlapping_runs_one_runs_one_exits_4_another_waits_and_the_data_equals_one_clean_run(ran, tmp_path):
    clean_home, _, clean = ran
    assert clean.returncode == 0
    env = job_env(tmp_path)
    first = subprocess.Popen([CONSOLE_SCRIPT, "run", "--offline", "--no-prefect"], env=env, cwd=tmp_path,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_until_locked_by(first, tmp_path / "pw.duckdb")
        second = subprocess.run([CONSOLE_SCRIPT, "run", "--offline", "--no-prefect"], env=env, cwd=tmp_path,
                                capture_output=True, text=True, timeout=120)
        waiter = subprocess.Popen([CONSOLE_SCRIPT, "run", "--offline", "--no-prefect", "--collect-only", "--wait",
                                   "600"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
        assert first.poll() is None  # the second run really overlapped the first
        first_out, first_err = first.communicate(timeout=600)
        waiter_out, waiter_err = waiter.communicate(timeout=600)
    finally:
        for process in (first, locals().get("waiter")):
            if process is not None and process.poll() is None:
                process.kill()
    assert first.returncode == 0, first_err[-2000:]
    assert second.returncode == 4 and second.stdout == ""
    [line] = second.stderr.strip().splitlines()
    assert f"another pricewatch run is using this warehouse: pid {first.pid} (pricewatch run" in line
    assert "waiting up to 600 s for the run holding" in waiter_err
    assert waiter.returncode == 0, waiter_err[-2000:]
    assert _tables(tmp_path / "pw.duckdb") == _tables(clean_home / "pw.duckdb")
