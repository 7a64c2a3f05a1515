"""Live collection of one source: fetch (network only), then hand the payloads to ingest.

``collect_source`` never raises: a source that fails in any way gives a summary with errors, so
one provider being down never stops the others. The Prefect task turns a summary with errors
into ``SourceFailed`` (so Prefect retries it and shows it Failed); ``Collected.transient`` says
whether another attempt could help.

Each source has a time budget: its fetch may not pass ``deadline`` (the earlier of the
source's own budget and the run's), after which it fails with a message naming the budget.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from core.clock import utcnow
from core.settings import Settings
from scrapers.base import Source
from scrapers.errors import FetchError
from scrapers.http import RETRY_STATUSES, HttpClient
from scrapers.records import FetchFailure, RawPayload
from scrapers.registry import get_source
from warehouse.archive import archive_payload
from warehouse.db import write_connection
from warehouse.ingest import SourceSummary, ingest_payloads


@dataclass(frozen=True)
class Deadline:
    """When a source must stop (a ``time.monotonic()`` value) and which budget says so."""

    at: float
    budget: str

    @classmethod
    def for_source(cls, settings: Settings, run_deadline: Deadline | None = None) -> Deadline:
        own = cls(time.monotonic() + settings.source_budget_s,
                  f"source time budget of {settings.source_budget_s:g} s (PRICEWATCH_SOURCE_BUDGET_S)")
        return own if run_deadline is None or own.at <= run_deadline.at else run_deadline

    @classmethod
    def for_run(cls, settings: Settings) -> Deadline:
        return cls(time.monotonic() + settings.run_budget_s,
                   f"run time budget of {settings.run_budget_s:g} s (PRICEWATCH_RUN_BUDGET_S)")


@dataclass(frozen=True)
class Collected:
    summary: SourceSummary
    transient: bool  # failed in a way another attempt may fix (5xx/429 answer, warehouse busy)


class SourceFailed(RuntimeError):
    """A source ended with errors (raised inside its Prefect task so retries and states work)."""

    def __init__(self, collected: Collected):
        self.collected = collected
        super().__init__("; ".join(collected.summary.errors)[:2000] or f"{collected.summary.source} failed")

    @property
    def summary(self) -> SourceSummary:
        return self.collected.summary


def make_client(settings: Settings, sources: list[Source] | None = None) -> HttpClient:
    intervals = {s.name: s.min_interval_s for s in (sources or []) if s.min_interval_s}
    return HttpClient(timeout_s=settings.http_timeout_s, retries=settings.http_retries, min_interval_s=intervals)


def fetch_source(source: Source, client: HttpClient, settings: Settings) -> list[RawPayload | FetchFailure]:
    """Run the source's fetch; any exception becomes a FetchFailure with a readable message."""
    started = utcnow()
    try:
        return source.fetch(client, settings)
    except FetchError as exc:
        return [FetchFailure(source.name, exc.url, str(exc), started)]
    except Exception as exc:  # noqa: BLE001 - a collector bug is reported, not raised
        return [FetchFailure(source.name, "", f"{source.name}: {type(exc).__name__}: {exc}", started)]


def collect(name: str, settings: Settings, *, client: HttpClient | None = None,
            deadline: Deadline | None = None) -> Collected:
    """Fetch within the deadline, archive (before touching the warehouse, so a locked or broken
    warehouse loses nothing: `pricewatch replay data/raw` loads it later), then ingest."""
    source = get_source(name)
    own_client = client is None
    client = client or make_client(settings, [source])
    deadline = deadline or Deadline.for_source(settings)
    observed_at = utcnow().replace(microsecond=0)
    client.set_deadline(name, deadline.at, deadline.budget)
    try:
        items = fetch_source(source, client, settings)
    finally:
        client.set_deadline(name, None)
        if own_client:
            client.close()
    answered_busy = any(isinstance(i, RawPayload) and i.status in RETRY_STATUSES for i in items)
    transient = answered_busy and name not in client.exhausted
    try:
        for item in items:
            if isinstance(item, RawPayload):
                archive_payload(settings.raw_dir, item, observed_at=observed_at)
        with write_connection(settings.db_path) as con:
            summary = ingest_payloads(con, settings.raw_dir, source, items, observed_at=observed_at, mode="live")
        return Collected(summary, transient)
    except Exception as exc:  # noqa: BLE001 - one source's trouble never stops the run
        summary = SourceSummary(name, fetched=sum(isinstance(i, RawPayload) for i in items))
        summary.errors.append(f"{name}: not loaded ({type(exc).__name__}: {exc}); fetched payloads are "
                              f"archived under {settings.raw_dir / name} and can be loaded with "
                              f"`pricewatch replay {settings.raw_dir}`")
        return Collected(summary, transient=True)


def collect_source(name: str, settings: Settings, client: HttpClient | None = None,
                   deadline: Deadline | None = None) -> SourceSummary:
    """``collect`` without the retry hint. Never raises."""
    return collect(name, settings, client=client, deadline=deadline).summary
