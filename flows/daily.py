"""The `daily-prices` Prefect flow: thin wiring over flows.pipeline.

One task per source, run concurrently (the warehouse serialises the writes); a source with
errors raises inside its task, so Prefect retries it (when another attempt can help) and shows
it Failed, and the flow goes on with the others. A fallback to the bundled snapshots when no
provider is reachable, then one task per after-load step, each with its own timeout. The
summary is published as a markdown artifact (key ``daily-prices-summary``) and the flow ends:

* ``Completed`` when every source and step succeeded;
* ``Failed`` when any source, step or alert delivery failed (the message names them);
* ``Failed`` named ``FellBackToSnapshots`` when no provider was reachable and the bundled
  snapshots were loaded instead;
* ``Cancelled`` named ``RunInProgress`` when another run held the warehouse's run lock.

The run's ``RunSummary`` is the final state's result.
"""
from __future__ import annotations

import functools
import os
from contextlib import ExitStack
from typing import Any, cast

from flows import prefect_env

# Prefect reads its settings and sets up logging on import, so the environment comes first and
# every import below follows a statement on purpose (each line's `noqa: E402`).
prefect_env.configure()

from prefect import flow, get_run_logger, task  # noqa: E402
from prefect.artifacts import create_markdown_artifact  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402
from prefect.client.schemas.objects import TaskRun  # noqa: E402
from prefect.events.worker import EventsWorker  # noqa: E402
from prefect.futures import PrefectFuture, wait  # noqa: E402
from prefect.logging.handlers import APILogWorker  # noqa: E402
from prefect.settings import PREFECT_API_URL, PREFECT_UI_URL, temporary_settings  # noqa: E402
from prefect.states import Cancelled, Failed, State  # noqa: E402
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner  # noqa: E402
from prefect.tasks import Task  # noqa: E402

from core.settings import Settings, settings_for  # noqa: E402
from flows import pipeline  # noqa: E402
from flows.collect import Deadline, SourceFailed, collect  # noqa: E402
from flows.runlock import RunInProgress, run_lock  # noqa: E402
from scrapers.registry import available_sources  # noqa: E402
from warehouse.ingest import SourceSummary  # noqa: E402

SUMMARY_ARTIFACT = "daily-prices-summary"
REPORT_ARTIFACT = "daily-report-summary"
FELL_BACK_STATE = "FellBackToSnapshots"
LOCKED_STATE = "RunInProgress"


def transient_failure(task: Task[..., Any], task_run: TaskRun, state: State[Any]) -> bool:
    """Retry a failed source only when another attempt can help (a 5xx/429 answer, a busy
    warehouse); not when it was unreachable (the HTTP client already retried), out of time or
    sent a payload that does not parse."""
    exc = state.data
    return isinstance(exc, SourceFailed) and exc.collected.transient


# No timeout_seconds here: these tasks run in worker threads, where Prefect cannot interrupt a
# blocking call (it would only warn). The source's time budget is enforced where the time is
# spent, by the HTTP client (flows.collect.Deadline).
@task(name="collect-source", task_run_name="collect-{name}", cache_policy=NO_CACHE,
      retry_condition_fn=transient_failure)
def collect_task(name: str, db: str | None, run_deadline: Deadline | None = None) -> SourceSummary:
    settings = settings_for(db)
    collected = collect(name, settings, deadline=Deadline.for_source(settings, run_deadline))
    summary = collected.summary
    logger = get_run_logger()
    for warning in summary.warnings:
        logger.warning(warning)
    if not summary.ok:
        for error in summary.errors:
            logger.error(error)
        raise SourceFailed(collected)
    logger.info("%s: fetched %d, parsed %d, added %d", name, summary.fetched, summary.parsed, summary.added)
    return summary


@task(name="replay-bundled-snapshots", cache_policy=NO_CACHE, timeout_seconds=900)
def replay_bundled_task(db: str | None, with_local_sources: bool = True) -> dict[str, SourceSummary]:
    return pipeline.replay_bundled(settings_for(db), with_local_sources=with_local_sources)


@functools.cache
def step_task(step: pipeline.Step) -> Task[[str | None], str]:
    """The Prefect task of one after-load step (made once per step). Steps run one after
    another in the flow's own thread, where Prefect's timeout interrupts them (SIGALRM)."""
    def run_step(db: str | None) -> str:
        return pipeline.perform_step(step, settings_for(db))

    run_step.__name__ = run_step.__qualname__ = f"step_{step.name}"
    # log_prints: what a step prints (the console alert channel) goes to the run's log, dated.
    return task(name=step.name, task_run_name=step.name, timeout_seconds=step.timeout_s, log_prints=True,
                cache_policy=NO_CACHE)(run_step)



def source_result(name: str, state: State[Any]) -> SourceSummary:
    """A collect task's final state as the source's summary (its errors when it failed)."""
    if state.is_completed():
        return state.result()
    exc = state.result(raise_on_failure=False)
    if isinstance(exc, SourceFailed):
        return exc.summary
    return SourceSummary(name, errors=[f"{name}: task ended {state.name}: {state.message or exc}"])


def step_result(step: pipeline.Step, state: State[Any]) -> pipeline.StepResult:
    if state.is_completed():
        return pipeline.StepResult(step.name, True, str(state.result()))
    exc = state.result(raise_on_failure=False)
    if isinstance(exc, TimeoutError):
        message = f"timed out after {step.timeout_s:g} s"
    elif isinstance(exc, BaseException):
        message = pipeline.step_failure(exc)
    else:
        message = f"ended {state.name}: {state.message}"
    return pipeline.StepResult(step.name, False, message)


def collect_all(settings: Settings, db: str | None) -> dict[str, SourceSummary]:
    run_deadline = Deadline.for_run(settings)
    delays = pipeline.retry_delays(settings)
    collector = collect_task.with_options(retries=settings.source_retries, retry_delay_seconds=delays or 0)
    futures = {s.name: collector.submit(s.name, db, run_deadline) for s in available_sources()}
    wait(list(futures.values()))
    return {name: source_result(name, future.state) for name, future in futures.items()}


def final_state(summary: pipeline.RunSummary) -> pipeline.RunSummary | State[pipeline.RunSummary]:
    if summary.status == "ok":
        return summary
    name = FELL_BACK_STATE if summary.status == "fell_back" else "Failed"
    return Failed(name=name, message=summary.headline(), data=summary)


# Prefect's flow() is typed for TaskRunner[PrefectFuture] but its thread runner is a
# TaskRunner[PrefectConcurrentFuture] (invariant): the cast only restates what Prefect accepts.
COLLECT_RUNNER = cast("TaskRunner[PrefectFuture[Any]]", ThreadPoolTaskRunner(max_workers=pipeline.MAX_COLLECT_THREADS))


@flow(name="daily-prices", task_runner=COLLECT_RUNNER)
def daily_prices(offline: bool = False, db: str | None = None,
                 post_steps: bool = True) -> pipeline.RunSummary | State[Any]:
    """Collect all sources, reprice the scenarios, evaluate drift, render the report.

    Ends Completed only when every source and step succeeded; the RunSummary is the result."""
    settings = settings_for(db)
    logger = get_run_logger()
    with ExitStack() as stack:
        try:
            stack.enter_context(run_lock(settings.db_path, wait_s=settings.run_wait_s, command="daily-prices flow",
                                         on_wait=logger.info))
        except RunInProgress as exc:
            logger.warning(str(exc))
            return Cancelled(name=LOCKED_STATE, message=str(exc))
        summary = pipeline.load_sources(
            offline=offline,
            collect=lambda: collect_all(settings, db),
            replay_snapshots=lambda local: replay_bundled_task(db, with_local_sources=local),
            warn=logger.warning,
        )
        for step in pipeline.run_steps(post_steps):
            summary.steps.append(step_result(step, step_task(step)(db, return_state=True)))
    create_markdown_artifact(key=SUMMARY_ARTIFACT, markdown=summary.to_markdown(),
                             description="pricewatch daily run: per-source results and after-load steps")
    if post_steps:
        publish_report_summary(settings, summary.steps)
    (logger.info if summary.ok else logger.error)("daily run %s: %s", summary.status.replace("_", " "),
                                                  summary.headline())
    return final_state(summary)


def publish_report_summary(settings: Settings, steps: list[pipeline.StepResult]) -> None:
    """The daily report's headline as a markdown artifact (the HTML file has the full report).

    The "report" step of this run wrote it beside latest.html from the same build as the page
    (``reports.daily.render_latest``), so nothing is queried again here. When that step failed,
    nothing is published: an older summary would pass for today's."""
    from reports.daily import latest_summary

    report = next((s for s in steps if s.name == "report"), None)
    if report is None or not report.ok:
        get_run_logger().warning("report summary not published: the report step %s",
                                 "did not run" if report is None else f"failed ({report.message})")
        return
    try:
        report_md = latest_summary(settings)
    except OSError as exc:  # the run's own summary is already published
        get_run_logger().warning("report summary not published: %s", exc)
        return
    if report_md is None:
        get_run_logger().warning("report summary not published: the report step wrote no summary")
        return
    create_markdown_artifact(key=REPORT_ARTIFACT, markdown=report_md,
                             description="pricewatch daily report: alerts, changes, cheapest GPUs, scenarios")


def run_summary(state: State[Any]) -> pipeline.RunSummary | None:
    """The RunSummary a finished flow run returned (None when it did not get that far)."""
    result = state.result(raise_on_failure=False)
    return result if isinstance(result, pipeline.RunSummary) else None


def run_once(api_url: str | None, **parameters: Any) -> tuple[State[Any], pipeline.RunSummary | None]:
    """One flow run in this process against ``api_url`` (None: whatever Prefect is configured
    with); its final state and summary."""
    if api_url is None:
        state = daily_prices(**parameters, return_state=True)
    else:
        os.environ["PREFECT_API_URL"] = api_url  # for anything that reads the environment later
        # No "View at <url>" line: a temporary API serves no UI and is gone after the run.
        with temporary_settings(updates={PREFECT_API_URL: api_url, PREFECT_UI_URL: ""}):
            state = daily_prices(**parameters, return_state=True)
            drain_to_api()
    return state, run_summary(state)


def drain_to_api(timeout_s: float = 10.0) -> None:
    """Send the logs and events still queued to the API now: after the temporary API stops
    they would fail ("Error logging to API") and hold up the exit while retrying."""
    APILogWorker.drain_all(timeout=timeout_s)
    EventsWorker.drain_all(timeout=timeout_s)


def serve_daily(*, cron: str | None = None, interval: float | None = None, parameters: dict[str, Any] | None = None,
                name: str = "daily-prices") -> None:
    """Serve the flow on a schedule (needs a real Prefect server), one run at a time: the
    deployment's concurrency limit is 1 (a run due while one is going waits for it)."""
    daily_prices.serve(name=name, cron=cron, interval=interval, parameters=parameters or {}, global_limit=1,
                       limit=1)


if __name__ == "__main__":  # pragma: no cover - `python -m flows.daily` for cron
    daily_prices()
