"""The `daily-prices` Prefect flow: thin wiring over flows.pipeline.

One task per source (run concurrently; writes are serialised by the warehouse), a fallback to
the bundled snapshots when nothing is reachable, then the after-load steps. Ends with a summary
printed and published as a markdown artifact (key ``daily-prices-summary``).
"""
from __future__ import annotations

import os

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from prefect import flow, get_run_logger, task  # noqa: E402
from prefect.artifacts import create_markdown_artifact  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402

from core.settings import settings_for  # noqa: E402
from flows import pipeline  # noqa: E402
from flows.collect import collect_source  # noqa: E402
from scrapers.registry import available_sources  # noqa: E402
from warehouse.ingest import SourceSummary  # noqa: E402


@task(name="collect-source", task_run_name="collect-{name}", retries=2, retry_delay_seconds=[10, 60],
      timeout_seconds=900, cache_policy=NO_CACHE)
def collect_task(name: str, db: str | None) -> SourceSummary:
    summary = collect_source(name, settings_for(db))
    logger = get_run_logger()
    for error in summary.errors:
        logger.warning(error)
    logger.info("%s: fetched %d, parsed %d, added %d", name, summary.fetched, summary.parsed, summary.added)
    return summary


@task(name="replay-bundled-snapshots", cache_policy=NO_CACHE, timeout_seconds=900)
def replay_bundled_task(db: str | None, with_local_sources: bool = True) -> dict[str, SourceSummary]:
    return pipeline.replay_bundled(settings_for(db), with_local_sources=with_local_sources)


@task(name="post-load-step", task_run_name="{name}", cache_policy=NO_CACHE, timeout_seconds=1800)
def post_step_task(name: str, target: str, db: str | None) -> pipeline.StepResult:
    result = pipeline.run_post_step(name, target, settings_for(db))
    if not result.ok:
        get_run_logger().warning("%s failed: %s", name, result.message)
    return result


@flow(name="daily-prices", log_prints=True)
def daily_prices(offline: bool = False, db: str | None = None, post_steps: bool = True) -> pipeline.RunSummary:
    """Collect all sources, reprice the scenarios, evaluate drift, render the report.

    Returns the run summary (its markdown is printed and published as an artifact)."""
    def collect_all() -> dict[str, SourceSummary]:
        futures = {s.name: collect_task.submit(s.name, db) for s in available_sources()}
        return {name: future.result() for name, future in futures.items()}

    summary = pipeline.load_sources(
        offline=offline,
        collect=collect_all,
        replay_snapshots=lambda local: replay_bundled_task(db, with_local_sources=local),
        warn=get_run_logger().warning,
    )
    if post_steps:
        for name, target in pipeline.POST_LOAD_STEPS:
            summary.steps.append(post_step_task(name, target, db))
    markdown = summary.to_markdown()
    print(markdown)
    create_markdown_artifact(key="daily-prices-summary", markdown=markdown,
                             description="pricewatch daily run: per-source results and after-load steps")
    if post_steps:
        publish_report_summary(db, summary.steps)
    return summary


def publish_report_summary(db: str | None, steps: list[pipeline.StepResult]) -> None:
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
        report_md = latest_summary(settings_for(db))
    except OSError as exc:  # the run's own summary is already published
        get_run_logger().warning("report summary not published: %s", exc)
        return
    if report_md is None:
        get_run_logger().warning("report summary not published: the report step wrote no summary")
        return
    create_markdown_artifact(key="daily-report-summary", markdown=report_md,
                             description="pricewatch daily report: alerts, changes, cheapest GPUs, scenarios")


if __name__ == "__main__":  # pragma: no cover - `python -m flows.daily` for cron
    daily_prices()
