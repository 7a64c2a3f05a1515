"""The daily flow on a real Prefect server, as an operator runs it: `pricewatch serve` on a
schedule (the server's scheduler must create the run, not a person), and `prefect deploy` from
prefect.yaml to a process work pool with one run through a real `prefect worker`.

Both use the session's `prefect server start` (tests/flows/conftest.py) and keep the runs
cheap: offline (bundled snapshots) into a temporary warehouse, no after-load steps.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from tests.conftest import REPO_ROOT
from tests.flows.conftest import PREFECT_CLI, _die_with_pytest, stop_group
from tests.sql import scalar
from warehouse.db import read_connection

pytestmark = pytest.mark.slow

CONSOLE_SCRIPT = str(Path(sys.executable).parent / "pricewatch")


def data_env(tmp_path: Path) -> dict[str, str]:
    return {"PRICEWATCH_DB": str(tmp_path / "pw.duckdb"), "PRICEWATCH_DATA_DIR": str(tmp_path / "data"),
            "PRICEWATCH_REPORTS_DIR": str(tmp_path / "reports")}


def deployment(server, name: str, timeout: float = 90) -> dict:
    give_up = time.monotonic() + timeout
    while True:
        try:
            return server.api("GET", f"/deployments/name/daily-prices/{name}").json()
        except httpx.HTTPStatusError:
            if time.monotonic() > give_up:
                raise
            time.sleep(0.5)


def flow_runs(server, deployment_id: str) -> list[dict]:
    body = {"flow_runs": {"deployment_id": {"any_": [deployment_id]}}}
    return server.api("POST", "/flow_runs/filter", json=body).json()


def wait_for_completed_run(server, deployment_id: str, process: subprocess.Popen, timeout: float) -> dict:
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        done = [r for r in flow_runs(server, deployment_id) if r["state_type"] in ("COMPLETED", "FAILED", "CRASHED")]
        if done:
            return done[0]
        assert process.poll() is None, "the serving process exited"
        time.sleep(1)
    pytest.fail(f"no run of the deployment finished within {timeout} s: {flow_runs(server, deployment_id)}")


def run_artifacts(server, flow_run_id: str) -> set[str]:
    body = {"artifacts": {"flow_run_id": {"any_": [flow_run_id]}}}
    return {a["key"] for a in server.api("POST", "/artifacts/filter", json=body).json()}


def gpu_rows(db: str) -> int:
    with read_connection(db) as con:
        return scalar(con.execute("select count(*) from gpu_price_history"))


def test_a_served_schedule_really_fires_and_the_scheduled_run_completes(prefect_server, tmp_path, bundled):
    env = {**prefect_server.env, **data_env(tmp_path)}
    serve = subprocess.Popen(
        [CONSOLE_SCRIPT, "serve", "--interval", "5", "--offline", "--collect-only", "--name", "scheduled-test"],
        env=env, cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=(tmp_path / "serve.log").open("wb"),
        stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_pytest)
    try:
        found = deployment(prefect_server, "scheduled-test")
        run = wait_for_completed_run(prefect_server, found["id"], serve, timeout=150)
    finally:
        stop_group(serve)
    log = (tmp_path / "serve.log").read_text(errors="replace")
    assert run["state_type"] == "COMPLETED", log[-3000:]
    # made by the server's scheduler from the deployment's schedule, not by a person or the API
    assert run["auto_scheduled"] is True and run["idempotency_key"].startswith("scheduled ")
    [schedule] = found["schedules"]
    assert run["created_by"]["type"] == "SCHEDULE" and run["created_by"]["id"] == schedule["id"]
    assert schedule["schedule"]["interval"] == 5.0 and found["global_concurrency_limit"]["limit"] == 1
    assert "daily-prices-summary" in run_artifacts(prefect_server, run["id"])
    # the run loaded the whole bundled history, as an offline collect-only run without Prefect does
    assert gpu_rows(env["PRICEWATCH_DB"]) == gpu_rows(str(bundled.db_path))


def test_prefect_deploy_from_prefect_yaml_and_one_run_through_a_process_worker(prefect_server, tmp_path, bundled):
    env = {**prefect_server.env, **data_env(tmp_path)}
    config = yaml.safe_load((REPO_ROOT / "prefect.yaml").read_text())
    [spec] = config["deployments"]
    assert "prefect.deployments.steps.git_clone" in config["pull"][0]
    # The worker runs this checkout instead of a clone (no network, uncommitted code).
    config["pull"] = [{"prefect.deployments.steps.set_working_directory": {"directory": str(REPO_ROOT)}}]
    spec.update(name="worker-test", schedules=[], parameters={"offline": True, "post_steps": False})
    spec["work_pool"]["name"] = "pricewatch-test"
    prefect_file = tmp_path / "prefect.yaml"
    prefect_file.write_text(yaml.safe_dump(config))

    created = prefect_server.prefect("work-pool", "create", "pricewatch-test", "--type", "process")
    assert created.returncode == 0, created.stdout + created.stderr
    deployed = prefect_server.prefect("--no-prompt", "deploy", "--prefect-file", str(prefect_file), "--name",
                                      "worker-test", cwd=REPO_ROOT)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    found = deployment(prefect_server, "worker-test")
    assert found["global_concurrency_limit"]["limit"] == 1 and found["work_pool_name"] == "pricewatch-test"
    assert found["concurrency_options"]["collision_strategy"] == "ENQUEUE"
    assert found["entrypoint"] == "flows/daily.py:daily_prices"
    flow_run = prefect_server.api("POST", f"/deployments/{found['id']}/create_flow_run", json={}).json()

    worker = subprocess.Popen(
        [PREFECT_CLI, "worker", "start", "--pool", "pricewatch-test", "--run-once"],
        env=env, cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=(tmp_path / "worker.log").open("wb"),
        stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_pytest)
    try:
        run = wait_for_completed_run(prefect_server, found["id"], worker, timeout=150)
        worker.wait(timeout=60)
    finally:
        stop_group(worker)
    log = (tmp_path / "worker.log").read_text(errors="replace")
    assert run["id"] == flow_run["id"] and run["state_type"] == "COMPLETED", log[-3000:]
    assert run["work_pool_name"] == "pricewatch-test"
    assert "daily-prices-summary" in run_artifacts(prefect_server, run["id"])
    assert gpu_rows(env["PRICEWATCH_DB"]) == gpu_rows(str(bundled.db_path))
    assert not os.path.exists(REPO_ROOT / "data" / "pw.duckdb")
