"""The daily job without Prefect (flows.pipeline): outcome and exit code of a run, after-load
steps (failures, partial failures, timeouts), concurrent collection, retries and time budgets.
Real DuckDB files; HTTP through respx."""
from __future__ import annotations

import threading
import time
from dataclasses import replace

import httpx
import pytest
import respx

from core.outcome import StepOutcome
from core.paths import BUNDLED_SNAPSHOTS
from flows import pipeline
from flows.collect import Deadline
from flows.pipeline import ExitCode, RunSummary, Step, StepResult, collect_live, collect_with_retries, run_step
from tests.sql import scalar
from warehouse.db import read_connection
from warehouse.ingest import SourceSummary

RUNPOD = "https://api.runpod.io/graphql"
OPENROUTER = "https://openrouter.ai/api/v1/models"
RUNPOD_OFFERS = 152  # offerings in the bundled RunPod capture (tests/scrapers/test_runpod.py)


def ok_source(name: str) -> SourceSummary:
    return SourceSummary(name, fetched=1, parsed=1, added=3)


def failed_source(name: str) -> SourceSummary:
    return SourceSummary(name, errors=[f"{name}: could not fetch https://x: connection failed"])


@pytest.mark.parametrize(("sources", "steps", "fell_back", "status", "code"), [
    ([ok_source("runpod")], [StepResult("dbt", True, "PASS=59")], False, "ok", ExitCode.OK),
    ([ok_source("runpod"), failed_source("vastai")], [], False, "failed", ExitCode.FAILED),
    ([ok_source("runpod")], [StepResult("alerts", False, "1 delivery failed")], False, "failed", ExitCode.FAILED),
    ([ok_source("runpod")], [StepResult("dbt", True, "PASS=59")], True, "fell_back", ExitCode.FELL_BACK),
    ([ok_source("runpod")], [StepResult("report", False, "OSError")], True, "failed", ExitCode.FAILED),
])
def test_a_runs_status_and_exit_code(sources, steps, fell_back, status, code):
    summary = RunSummary({s.source: s for s in sources}, steps, fell_back_to_snapshots=fell_back)
    assert (summary.status, summary.exit_code) == (status, code)
    assert summary.ok is (status == "ok")


def test_the_exit_codes_are_the_documented_ones():
    assert [(c.name, int(c)) for c in ExitCode] == [("OK", 0), ("FAILED", 1), ("USAGE", 2), ("FELL_BACK", 3),
                                                     ("LOCKED", 4)]


def test_the_headline_names_what_failed():
    summary = RunSummary({"runpod": ok_source("runpod"), "vastai": failed_source("vastai")},
                         [StepResult("dbt", False, "x"), StepResult("report", True, "y")])
    assert summary.headline() == "1 of 2 sources failed (vastai); step failed: dbt"


def test_after_a_fallback_the_summary_keeps_the_live_errors():
    summary = RunSummary({"runpod": ok_source("runpod")}, fell_back_to_snapshots=True,
                         live_errors={"runpod": ["runpod: could not fetch https://api.runpod.io/graphql: refused"]})
    markdown = summary.to_markdown()
    assert "**fell back**: no provider reachable (1 sources failed live)" in markdown
    assert "| runpod | runpod: could not fetch https://api.runpod.io/graphql: refused |" in markdown


def _boom(settings):
    raise OSError("reports dir is not writable")


def test_a_step_that_raises_is_reported_with_its_error(settings):
    assert run_step(Step("report", _boom, 60), settings) == StepResult(
        "report", False, "OSError: reports dir is not writable")


def test_a_step_reporting_problems_fails_with_its_summary(settings):
    step = Step("alerts", lambda s: StepOutcome("3 new alerts, 1 delivered, 2 deliveries failed", ("hook down",)), 60)
    assert run_step(step, settings) == StepResult("alerts", False, "3 new alerts, 1 delivered, 2 deliveries failed")


def test_a_step_returning_a_clean_outcome_succeeds(settings):
    assert run_step(Step("alerts", lambda s: StepOutcome("0 new alerts"), 60), settings).ok


def _sleeps(settings):
    time.sleep(20)
    return "never"


def test_a_step_over_its_timeout_is_stopped_and_reported(settings):
    started = time.monotonic()
    result = run_step(Step("dbt", _sleeps, 0.5), settings)
    assert result == StepResult("dbt", False, "step dbt timed out after 0.5 s")
    assert time.monotonic() - started < 10


def test_a_failing_step_does_not_stop_the_next(settings, monkeypatch):
    monkeypatch.setattr(pipeline, "POST_LOAD_STEPS", (Step("a", _boom, 60), Step("b", lambda s: "done", 60)))
    monkeypatch.setattr(pipeline, "load_sources", lambda **kwargs: RunSummary())
    summary = pipeline.run_daily(settings, offline=True)
    assert [(s.name, s.ok) for s in summary.steps][1:-1] == [("a", False), ("b", True)]


def test_the_no_prefect_run_fetches_the_sources_at_the_same_time(settings):
    two_at_once = threading.Barrier(2, timeout=10)

    def meet(request):
        two_at_once.wait()  # breaks (and the source fails) unless two sources are in flight together
        return httpx.Response(503)

    with respx.mock(assert_all_called=False) as mock:
        mock.post(RUNPOD).mock(side_effect=meet)
        mock.get(OPENROUTER).mock(side_effect=meet)
        mock.route().mock(return_value=httpx.Response(500))
        summaries = collect_live(replace(settings, http_retries=0, source_retries=0))
    for name in ("runpod", "openrouter"):
        assert "HTTP 503" in summaries[name].errors[0], summaries[name].errors


def test_a_transient_failure_is_collected_again_and_can_succeed(settings):
    payload = (BUNDLED_SNAPSHOTS / "runpod" / "2025-06-21T231800Z.json").read_bytes()
    waits: list[float] = []
    with respx.mock() as mock:
        route = mock.post(RUNPOD).mock(side_effect=[httpx.Response(503), httpx.Response(200, content=payload)])
        summary = collect_with_retries("runpod", replace(settings, http_retries=0, source_retries=2,
                                                         source_retry_delay_s=10), sleep=waits.append)
    assert route.call_count == 2 and waits == [10]
    assert summary.added == RUNPOD_OFFERS and summary.ok


def test_an_unreachable_source_is_not_collected_again(settings):
    waits: list[float] = []
    with respx.mock() as mock:
        route = mock.post(RUNPOD).mock(side_effect=httpx.ConnectError("refused"))
        summary = collect_with_retries("runpod", replace(settings, http_retries=0, source_retries=2),
                                       sleep=waits.append)
    assert route.call_count == 1 and waits == [] and summary.unreachable


def test_the_retry_delays_grow_sixfold():
    assert pipeline.retry_delays(replace(pipeline.Settings(), source_retries=2, source_retry_delay_s=10)) == [10, 60]


def test_a_source_over_its_time_budget_fails_saying_so_and_the_others_are_still_collected(settings):
    payload = (BUNDLED_SNAPSHOTS / "runpod" / "2025-06-21T231800Z.json").read_bytes()

    def slow_and_busy(request):
        time.sleep(1.2)  # more than the whole 1 s budget, then a 503 that may not be retried
        return httpx.Response(503)

    with respx.mock(assert_all_called=False) as mock:
        mock.post(RUNPOD).mock(return_value=httpx.Response(200, content=payload))
        mock.get(OPENROUTER).mock(side_effect=slow_and_busy)
        mock.route().mock(return_value=httpx.Response(404))
        summaries = collect_live(replace(settings, http_retries=3, source_retries=0, source_budget_s=1))
    assert summaries["openrouter"].errors == [
        f"openrouter: could not fetch {OPENROUTER}: source time budget of 1 s (PRICEWATCH_SOURCE_BUDGET_S) "
        "ran out; the source was stopped"]
    assert summaries["runpod"].ok and summaries["runpod"].added == RUNPOD_OFFERS
    assert len(summaries) == len(pipeline.available_sources())


def test_a_source_gets_the_earlier_of_its_own_and_the_runs_deadline(settings):
    run = Deadline(time.monotonic() + 5, "run time budget of 5 s")
    assert Deadline.for_source(replace(settings, source_budget_s=300), run) == run
    own = Deadline.for_source(replace(settings, source_budget_s=2), run)
    assert own.at < run.at and own.budget == "source time budget of 2 s (PRICEWATCH_SOURCE_BUDGET_S)"


def _prints(settings):
    import sys

    print("alert [critical] H100 SXM 80GB fell 12%")
    print("alert ... and 3 more", file=sys.stderr)
    return "2 new alerts"


def test_what_a_step_prints_becomes_the_runs_progress_lines(settings, monkeypatch):
    monkeypatch.setattr(pipeline, "POST_LOAD_STEPS", (Step("alerts", _prints, 60),))
    monkeypatch.setattr(pipeline, "load_sources", lambda **kwargs: RunSummary())
    lines: list[str] = []
    pipeline.run_daily(settings, offline=True, progress=lines.append)
    assert lines[lines.index("alerts ..."):lines.index("republish ...")] == [
        "alerts ...", "alert [critical] H100 SXM 80GB fell 12%", "alert ... and 3 more"]


def test_snapshots_that_cannot_be_loaded_are_a_failed_entry_and_the_run_goes_on(settings, monkeypatch):
    def locked(*args, **kwargs):
        raise RuntimeError("The warehouse is locked by another process\nDuckDB said: ...")

    monkeypatch.setattr(pipeline, "replay", locked)
    monkeypatch.setattr(pipeline, "POST_LOAD_STEPS", (Step("report", lambda s: "written", 60),))
    summary = pipeline.run_daily(settings, offline=True)
    assert summary.sources["bundled snapshots"].errors == [
        "bundled snapshots not loaded: RuntimeError: The warehouse is locked by another process"]
    assert summary.status == "failed" and [s.name for s in summary.steps] == ["publish", "report", "republish"]


def test_readers_get_a_fresh_published_copy_after_loading_and_after_the_steps(settings, monkeypatch):
    seen: list[int] = []

    def count_rows(s):
        with read_connection(s.published_db) as con:
            seen.append(scalar(con.execute("select count(*) from gpu_price_history")))
        return "counted"

    monkeypatch.setattr(pipeline, "POST_LOAD_STEPS", (Step("count", count_rows, 60),))
    summary = pipeline.run_daily(settings, offline=True)
    assert [(s.name, s.ok) for s in summary.steps] == [("publish", True), ("count", True), ("republish", True)]
    with read_connection(settings.db_path) as con:
        loaded = scalar(con.execute("select count(*) from gpu_price_history"))
    assert seen == [loaded]  # the step read the copy published right after loading: the whole load
    assert "published" in summary.steps[0].message


def test_collect_only_publishes_once(settings):
    summary = pipeline.run_daily(settings, offline=True, post_steps=False)
    assert [s.name for s in summary.steps] == ["publish"] and summary.ok


def test_progress_that_itself_prints_to_stderr_still_gets_each_printed_line_once(settings, monkeypatch, capsys):
    import sys

    monkeypatch.setattr(pipeline, "POST_LOAD_STEPS", (Step("alerts", _prints, 60),))
    monkeypatch.setattr(pipeline, "load_sources", lambda **kwargs: RunSummary())
    pipeline.run_daily(settings, offline=True, progress=lambda line: print(f"[dated] {line}", file=sys.stderr))
    err = capsys.readouterr().err.splitlines()
    assert err.count("[dated] alert [critical] H100 SXM 80GB fell 12%") == 1
    assert err.count("[dated] alert ... and 3 more") == 1
