"""Live collection of one source: fetch (network only), then hand the payloads to ingest.

A source that fails in any way produces a summary with errors; it never raises, so one
provider being down never stops the others.
"""
from __future__ import annotations

from core.clock import utcnow
from core.settings import Settings
from scrapers.base import Source
from scrapers.errors import FetchError
from scrapers.http import HttpClient
from scrapers.records import FetchFailure, RawPayload
from scrapers.registry import get_source
from warehouse.archive import archive_payload
from warehouse.db import write_connection
from warehouse.ingest import SourceSummary, ingest_payloads


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


def collect_source(name: str, settings: Settings, client: HttpClient | None = None) -> SourceSummary:
    """Fetch, archive (before touching the warehouse, so a locked or broken warehouse loses
    nothing: `pricewatch replay data/raw` loads it later), then ingest. Never raises."""
    source = get_source(name)
    own_client = client is None
    client = client or make_client(settings, [source])
    observed_at = utcnow().replace(microsecond=0)
    try:
        items = fetch_source(source, client, settings)
    finally:
        if own_client:
            client.close()
    try:
        for item in items:
            if isinstance(item, RawPayload):
                archive_payload(settings.raw_dir, item, observed_at=observed_at)
        with write_connection(settings.db_path) as con:
            return ingest_payloads(con, settings.raw_dir, source, items, observed_at=observed_at, mode="live")
    except Exception as exc:  # noqa: BLE001 - one source's trouble never stops the run
        summary = SourceSummary(name, fetched=sum(isinstance(i, RawPayload) for i in items))
        summary.errors.append(f"{name}: not loaded ({type(exc).__name__}: {exc}); fetched payloads are "
                              f"archived under {settings.raw_dir / name} and can be loaded with "
                              f"`pricewatch replay {settings.raw_dir}`")
        return summary
