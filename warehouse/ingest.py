"""Fetched (or replayed) payloads → raw archive → parse → warehouse, one source at a time.

The order is fixed: archive first, so any payload can be re-parsed later; then parse (a pure
function); then one transaction writes the fetch log row and the records together, so a
failure leaves nothing half-loaded. A payload already loaded (same source, time and sha256)
adds nothing. A parse error is recorded with the source, field and archived file, and the
history is left untouched.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from scrapers.base import Source
from scrapers.errors import ParseError, SourceRetired
from scrapers.records import FetchFailure, ParseResult, RawPayload
from warehouse import load
from warehouse.archive import ArchivedPayload, archive_payload
from warehouse.db import transaction
from warehouse.market import aggregate_market, providers_of


@dataclass
class SourceSummary:
    source: str
    fetched: int = 0  # payloads received (any HTTP status)
    parsed: int = 0  # payloads parsed into records
    added: int = 0  # rows added to the history tables
    skipped: int = 0  # payloads already loaded earlier
    records: int = 0  # records parsed (loaded or already present)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def unreachable(self) -> bool:
        """Nothing came back at all: the source could not be reached."""
        return self.fetched == 0 and bool(self.errors)

    def merge(self, other: SourceSummary) -> None:
        self.fetched += other.fetched
        self.parsed += other.parsed
        self.added += other.added
        self.skipped += other.skipped
        self.records += other.records
        self.errors += other.errors
        self.warnings += other.warnings


def _load_records(con: duckdb.DuckDBPyConnection, source: str, result: ParseResult,
                  observed_at: datetime, fetch_id: int) -> int:
    return (
        load.load_gpu_offers(con, result.gpu_offers, observed_at, fetch_id)
        + load.load_market_offers(con, result.market_offers, observed_at, fetch_id)
        + load.load_token_prices(con, result.token_prices, observed_at, source, fetch_id)
        + load.load_lifecycle_events(con, result.lifecycle_events, observed_at, source, fetch_id)
    )


def _record_failure(con: duckdb.DuckDBPyConnection, entry: load.FetchLogEntry) -> None:
    if entry.mode == "replay" and load.already_failed(
        con, entry.source, entry.fetched_at, entry.url, entry.sha256, entry.outcome
    ):
        return
    load.insert_fetch_log(con, entry)


def _parse(source: Source, item: RawPayload, entry: load.FetchLogEntry, origin: str) -> ParseResult | None:
    """Parse, recording a parse error (never raising) on the log entry."""
    try:
        extra = {"url": item.url} if source.parse_takes_url else {}
        result = source.parse(item.body, ext=item.ext, origin=origin, **extra)
    except SourceRetired as exc:
        entry.outcome, entry.error = "retired", str(exc.at(origin))
        return None
    except ParseError as exc:
        entry.outcome, entry.error = "parse_error", str(exc.at(origin))
        return None
    except Exception as exc:  # noqa: BLE001 - a parser bug must not take the run down either
        entry.outcome = "parse_error"
        entry.error = f"{source.name}: unexpected {type(exc).__name__} parsing {origin}: {exc}"
        return None
    if result.record_count == 0:
        entry.outcome = "empty"
        entry.error = f"{source.name}: no records in {origin} (empty market or changed page?)"
    return result


def ingest_payloads(
    con: duckdb.DuckDBPyConnection,
    raw_dir: Path,
    source: Source,
    items: list[RawPayload | FetchFailure],
    *,
    observed_at: datetime,
    mode: str,
) -> SourceSummary:
    """Archive every payload of the batch, then load the batch in ONE transaction: a batch (all
    Vast pages of a run, say) is in the warehouse whole or not at all, so a half-loaded market
    never looks like delisted GPUs. A database error rolls the batch back and is raised."""
    archived = {id(item): archive_payload(raw_dir, item, observed_at=observed_at)
                for item in items if isinstance(item, RawPayload)}
    summary = SourceSummary(source.name)
    market: set[str] = set()  # providers whose marketplace offers this batch loaded
    with transaction(con):
        for item in items:
            if isinstance(item, FetchFailure):
                _ingest_failure(con, source.name, item, summary, observed_at=observed_at, mode=mode)
            else:
                market |= _ingest_payload(con, source, item, archived[id(item)], summary,
                                          observed_at=observed_at, mode=mode)
        _aggregate_market(con, source.name, market, summary, observed_at)
    if summary.parsed and not summary.records and not summary.skipped:
        summary.errors.append(f"{source.name}: no records in any of {summary.parsed} payload(s) "
                              "(empty market or changed page?)")
    return summary


def _ingest_failure(con: duckdb.DuckDBPyConnection, source: str, item: FetchFailure, summary: SourceSummary, *,
                    observed_at: datetime, mode: str) -> None:
    summary.errors.append(item.error)
    _record_failure(con, load.FetchLogEntry(
        source=source, url=item.url, fetched_at=item.fetched_at, observed_at=observed_at,
        mode=mode, outcome="network_error", error=item.error))


def _ingest_payload(con: duckdb.DuckDBPyConnection, source: Source, item: RawPayload, copy: ArchivedPayload,
                    summary: SourceSummary, *, observed_at: datetime, mode: str) -> set[str]:
    """One archived payload: an HTTP error or a parse error is logged, a payload already loaded is
    skipped, else its records are loaded. Returns the providers whose market offers it loaded."""
    summary.fetched += 1
    entry = load.FetchLogEntry(
        source=source.name, url=item.url, fetched_at=item.fetched_at, observed_at=observed_at, mode=mode,
        outcome="ok", status=item.status, bytes=copy.bytes, sha256=copy.sha256,
        archive_path=str(copy.path))

    if item.status >= 400:
        entry.outcome = "http_error"
        entry.error = f"{source.name}: HTTP {item.status} from {item.url} (body archived at {copy.path})"
        summary.errors.append(entry.error)
        _record_failure(con, entry)
        return set()

    result = _parse(source, item, entry, str(copy.path))
    if result is None:
        summary.errors.append(entry.error or "")
        _record_failure(con, entry)
        return set()

    if load.already_loaded(con, source.name, observed_at, copy.sha256, item.url) is not None:
        summary.skipped += 1
        return set()
    return _load_parsed(con, source.name, result, entry, summary, observed_at)


def _load_parsed(con: duckdb.DuckDBPyConnection, source: str, result: ParseResult, entry: load.FetchLogEntry,
                 summary: SourceSummary, observed_at: datetime) -> set[str]:
    """The fetch log row, then the records it brought; the summary counts them."""
    entry.records_parsed = result.record_count
    entry.warnings = result.warnings or None
    fetch_id = load.insert_fetch_log(con, entry)
    added = _load_records(con, source, result, observed_at, fetch_id)
    load.update_fetch_counts(con, fetch_id, added)
    summary.parsed += 1
    summary.added += added
    summary.records += result.record_count
    summary.warnings += result.warnings
    if entry.outcome == "empty":
        summary.warnings.append(entry.error or "")
    return providers_of(result.market_offers)


def _aggregate_market(con: duckdb.DuckDBPyConnection, source: str, market: set[str], summary: SourceSummary,
                      observed_at: datetime) -> None:
    """Per-model market statistics of the providers loaded, only when the batch was read whole."""
    if market and summary.errors:
        summary.warnings.append(f"{source}: per-model market statistics not computed for this load: "
                                "some pages failed, so the market was not read whole")
    elif market:
        summary.added += aggregate_market(con, observed_at, sorted(market))
