"""The `daily-prices` Prefect flow end to end: real flow and tasks on the session's Prefect
server, real DuckDB, HTTP through respx. What Prefect records (states, task runs, retries,
logs, artifacts) is read back from the server's REST API."""
from __future__ import annotations

import subprocess
import sys
import time

import httpx
import pytest
import respx

from core.outcome import StepOutcome
from core.paths import BUNDLED_SNAPSHOTS
from flows.pipeline import Step
from scrapers.registry import GPU_SOURCES, available_sources
from warehouse.db import read_connection

pytestmark = pytest.mark.slow

ALL_PROVIDERS = set(GPU_SOURCES)  # the GPU sources (collectors)
# every source read over the network (all but the curated sheet, read from the repository)
NETWORK_SOURCES = {s.name for s in available_sources() if s.network}


def providers_mock() -> respx.MockRouter:
    """A respx router for provider hosts that lets the local Prefect server through."""
    mock = respx.mock(assert_all_called=False)
    mock.route(host="127.0.0.1").pass_through()
    mock.route(host="localhost").pass_through()
    return mock


def provider_counts(settings) -> dict[str, int]:
    with read_connection(settings.db_path) as con:
        return dict(con.execute("SELECT source, count(*) FROM gpu_price_history GROUP BY 1").fetchall())


def run_flow(**parameters):
    from flows.daily import daily_prices, drain_to_api, run_summary

    state = daily_prices(**parameters, return_state=True)
    drain_to_api()
    return state, run_summary(state)


def task_runs(server, state) -> dict[str, dict]:
    body = {"task_runs": {"flow_run_id": {"any_": [str(state.state_details.flow_run_id)]}}}
    return {t["name"]: t for t in server.api("POST", "/task_runs/filter", json=body).json()}


def flow_logs(server, state) -> list[str]:
    body = {"logs": {"flow_run_id": {"any_": [str(state.state_details.flow_run_id)]}}}
    return [log["message"] for log in server.api("POST", "/logs/filter", json=body).json()]


def artifacts(server, state) -> dict[str, str]:
    body = {"artifacts": {"flow_run_id": {"any_": [str(state.state_details.flow_run_id)]}}}
    return {a["key"]: a["data"] for a in server.api("POST", "/artifacts/filter", json=body).json() if a["key"]}


def test_an_offline_run_does_the_whole_day_publishes_its_summaries_and_ends_completed(flow_env, prefect_api):
    state, summary = run_flow(offline=True)
    assert state.is_completed(), state.message
    assert set(provider_counts(flow_env)) == ALL_PROVIDERS
    assert [(s.name, s.ok) for s in summary.steps] == [
        (n, True) for n in ("publish", "reprice", "alerts", "report", "dbt", "republish")]
    assert (flow_env.published_db).exists()
    assert (flow_env.reports_dir / "latest.html").exists()
    published = artifacts(prefect_api, state)
    assert "| source | fetched | parsed | rows added" in published["daily-prices-summary"]
    assert published["daily-report-summary"]
    runs = task_runs(prefect_api, state)
    assert {"reprice", "dbt", "alerts", "report"} <= runs.keys()
    assert not [m for m in flow_logs(prefect_api, state) if "worker thread" in m]


def test_when_no_provider_answers_the_flow_falls_back_and_ends_failed_named_so(flow_env, prefect_api):
    with providers_mock() as mock:
        mock.route().mock(side_effect=httpx.ConnectError("no route to host"))
        state, summary = run_flow(offline=False, post_steps=False)
    assert state.is_failed() and state.name == "FellBackToSnapshots"
    assert summary.status == "fell_back" and set(summary.live_errors) == NETWORK_SOURCES
    assert set(provider_counts(flow_env)) == ALL_PROVIDERS  # the bundled snapshots were loaded
    published = artifacts(prefect_api, state)["daily-prices-summary"]
    assert "Live attempt before the fallback" in published
    assert "| runpod | runpod: could not fetch https://api.runpod.io/graphql: connection failed" in published


def test_a_failing_source_fails_its_task_is_retried_when_that_can_help_and_fails_the_flow(
        flow_env, prefect_api, monkeypatch):
    monkeypatch.setenv("PRICEWATCH_SOURCE_RETRIES", "1")
    monkeypatch.setenv("PRICEWATCH_SOURCE_RETRY_DELAY_S", "0")
    runpod_payload = (BUNDLED_SNAPSHOTS / "runpod" / "2025-06-21T231800Z.json").read_bytes()
    with providers_mock() as mock:
        mock.post("https://api.runpod.io/graphql").mock(return_value=httpx.Response(200, content=runpod_payload))
        mock.get(host="raw.githubusercontent.com").mock(side_effect=httpx.ConnectError("no route to host"))
        openrouter = mock.get("https://openrouter.ai/api/v1/models").mock(return_value=httpx.Response(503))
        mock.route().mock(return_value=httpx.Response(500, text="internal error"))
        state, summary = run_flow(offline=False, post_steps=False)
    assert state.is_failed() and state.name == "Failed"
    assert "runpod" not in state.message and "openrouter" in state.message
    assert provider_counts(flow_env).keys() == {"runpod"}
    assert not summary.fell_back_to_snapshots and "HTTP 500" in " ".join(summary.sources["vastai"].errors)
    runs = task_runs(prefect_api, state)
    assert runs["collect-runpod"]["state_type"] == "COMPLETED"
    assert runs["collect-vastai"]["state_type"] == "FAILED"
    assert runs["collect-openrouter"]["run_count"] == 2 and openrouter.call_count == 2  # a 503: tried again
    assert runs["collect-litellm"]["run_count"] == 1  # unreachable: the HTTP client already retried
    assert not [m for m in flow_logs(prefect_api, state) if "worker thread" in m]


def _raises(settings):
    raise RuntimeError("disk full")


def _sleeps(settings):
    time.sleep(30)
    return "never"


def test_each_step_is_its_own_task_with_its_own_timeout_and_any_failure_fails_the_flow(
        flow_env, prefect_api, monkeypatch):
    steps = (Step("first", lambda s: "done", 60),
             Step("partial", lambda s: StepOutcome("2 of 3 alerts delivered", ("hook: refused",)), 60),
             Step("broken", _raises, 60),
             Step("hangs", _sleeps, 1),
             Step("last", lambda s: "still ran", 60))
    monkeypatch.setattr("flows.pipeline.POST_LOAD_STEPS", steps)
    state, summary = run_flow(offline=True)
    assert state.is_failed() and "steps failed: partial, broken, hangs" in state.message
    assert [(s.name, s.ok, s.message) for s in summary.steps[1:-1]] == [
        ("first", True, "done"), ("partial", False, "2 of 3 alerts delivered"),
        ("broken", False, "RuntimeError: disk full"), ("hangs", False, "timed out after 1 s"),
        ("last", True, "still ran")]
    assert [s.name for s in summary.steps] == ["publish", "first", "partial", "broken", "hangs", "last", "republish"]
    runs = task_runs(prefect_api, state)
    assert runs["hangs"]["state_name"] == "TimedOut" and runs["broken"]["state_type"] == "FAILED"
    assert runs["last"]["state_type"] == "COMPLETED"
    assert not [m for m in flow_logs(prefect_api, state) if "worker thread" in m]


def test_an_alert_delivery_that_fails_fails_the_alerts_step_and_the_flow(flow_env, prefect_api, monkeypatch):
    from flows.pipeline import POST_LOAD_STEPS

    monkeypatch.setattr("flows.pipeline.POST_LOAD_STEPS", tuple(s for s in POST_LOAD_STEPS if s.name == "alerts"))
    monkeypatch.setenv("PRICEWATCH_ALERT_URLS", "json://127.0.0.1:9/hook")  # nothing listens on port 9
    state, summary = run_flow(offline=True)
    assert state.is_failed() and "alerts" in state.message
    alerts = {s.name: s for s in summary.steps}["alerts"]
    assert not alerts.ok and "deliveries failed" in alerts.message
    assert task_runs(prefect_api, state)["alerts"]["state_type"] == "FAILED"


def test_a_run_while_another_holds_the_warehouse_ends_cancelled_and_touches_nothing(flow_env, prefect_api):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom flows.runlock import run_lock\n"
         f"with run_lock({str(flow_env.db_path)!r}, command='test holder'):\n"
         "    print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        state, summary = run_flow(offline=True, post_steps=False)
    finally:
        holder.kill()
        holder.wait()
    assert state.is_cancelled() and state.name == "RunInProgress"
    assert f"pid {holder.pid} (test holder" in state.message
    assert summary is None and not flow_env.db_path.exists()
