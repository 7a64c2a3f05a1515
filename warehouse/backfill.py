"""Backfill price history from the SkyPilot catalogue's git history.

The catalogue repository (``skypilot-org/skypilot-catalog``) is rewritten by scheduled fetchers
and committed, so each commit touching ``catalogs/v8/<cloud>/vms.csv`` is a dated price list
(shadeform ~1,300 versions, aws ~900, verda ~830, runpod ~440, vast ~160). For each cloud:

1. list the commits touching the file since a date (GitHub REST API, ``scrapers.github_history``);
2. oldest first, skip the versions already loaded (a ``fetch_log`` row with that version's URL and
   outcome ok/empty): a rerun adds nothing and an interrupted backfill resumes where it stopped;
3. read the file at the commit from ``raw.githubusercontent.com`` and ingest it like any payload
   (archived first, parsed by ``scrapers.skypilot_catalog``, one transaction per version),
   observed at the commit time, ``mode = 'backfill'``.

A version that cannot be read or parsed (a 404, a truncated download) is recorded as a failed
fetch and retried by the next run; the other versions go on.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from core.settings import Settings
from scrapers import skypilot_catalog
from scrapers.errors import FetchError
from scrapers.github_history import Commit, RateLimited, list_commits
from scrapers.http import HttpClient
from warehouse.db import write_connection
from warehouse.ingest import SourceSummary, ingest_payloads

MODE = "backfill"


@dataclass
class CloudBackfill:
    cloud: str
    versions: int = 0  # commits found in the window
    already: int = 0  # versions loaded by an earlier run
    loaded: int = 0  # versions loaded now
    failed: int = 0
    rows: int = 0
    errors: list[str] = field(default_factory=list)


# (cloud, versions done, versions to do, the version just done or None before the first)
Progress = Callable[[str, int, int, Commit | None], None]


def loaded_urls(settings: Settings) -> set[str]:
    with write_connection(settings.db_path) as con:
        return {row[0] for row in con.execute(
            "SELECT url FROM fetch_log WHERE source = ? AND outcome IN ('ok', 'empty')",
            [skypilot_catalog.NAME]).fetchall()}


def versions(client: HttpClient, cloud: str, *, since: datetime, until: datetime | None, token: str | None,
             max_wait_s: float = 300.0) -> list[Commit]:
    """The commits touching the cloud's catalogue in the window, oldest first."""
    return sorted(set(list_commits(client, skypilot_catalog.REPOSITORY, skypilot_catalog.catalog_path(cloud),
                                   since=since, until=until, token=token, max_wait_s=max_wait_s)))


def backfill_cloud(settings: Settings, client: HttpClient, cloud: str, commits: list[Commit], *,
                   done: set[str], progress: Progress | None = None) -> CloudBackfill:
    """Load each not-yet-loaded version of one cloud's catalogue, oldest first."""
    report = CloudBackfill(cloud, versions=len(commits))
    source = skypilot_catalog.SOURCE
    todo = [c for c in commits if skypilot_catalog.raw_url(cloud, c.sha) not in done]
    report.already = len(commits) - len(todo)
    if progress:
        progress(cloud, 0, len(todo), None)
    for n, commit in enumerate(todo, 1):
        url = skypilot_catalog.raw_url(cloud, commit.sha)
        item = client.try_fetch(source.name, "GET", url, ext="csv", headers={"Accept": "text/plain"})
        with write_connection(settings.db_path) as con:
            summary: SourceSummary = ingest_payloads(con, settings.raw_dir, source, [item],
                                                     observed_at=commit.committed_at, mode=MODE)
        if summary.errors:
            report.failed += 1
            report.errors += summary.errors
        else:
            report.loaded += 1
            report.rows += summary.added
        if progress:
            progress(cloud, n, len(todo), commit)
    return report


@dataclass
class BackfillResult:
    clouds: list[CloudBackfill] = field(default_factory=list)
    stopped: str | None = None  # why the backfill stopped early (a spent rate limit)

    @property
    def ok(self) -> bool:
        return self.stopped is None and not any(c.errors for c in self.clouds)


def backfill_skypilot(settings: Settings, clouds: list[str], *, since: datetime, until: datetime | None = None,
                      max_wait_s: float = 300.0, progress: Progress | None = None,
                      client: HttpClient | None = None) -> BackfillResult:
    """Backfill every cloud in turn; a cloud whose versions cannot be listed is reported and the
    others go on; a spent rate limit stops the run (rerun later: it resumes)."""
    result = BackfillResult()
    own = client is None
    client = client or HttpClient(timeout_s=settings.http_timeout_s, retries=settings.http_retries,
                                  min_interval_s={skypilot_catalog.NAME: skypilot_catalog.SOURCE.min_interval_s})
    try:
        done = loaded_urls(settings)
        for cloud in clouds:
            try:
                commits = versions(client, cloud, since=since, until=until, token=settings.github_token,
                                   max_wait_s=max_wait_s)
            except RateLimited as exc:
                result.stopped = exc.reason
                break
            except FetchError as exc:
                result.clouds.append(CloudBackfill(cloud, errors=[f"could not list versions: {exc.reason}"]))
                continue
            result.clouds.append(backfill_cloud(settings, client, cloud, commits, done=done, progress=progress))
    finally:
        if own:
            client.close()
    return result
