"""Helpers for the GPU collector tests: fixture files (a payload that is also a bundled snapshot
is read from snapshots/, its one copy), a real HttpClient that never waits, and a one-call ingest
into a real DuckDB file."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from core.paths import BUNDLED_SNAPSHOTS
from scrapers.base import Source
from scrapers.http import HttpClient
from scrapers.records import FetchFailure, ParseResult, RawPayload
from warehouse.db import write_connection
from warehouse.ingest import SourceSummary, ingest_payloads

GPU_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "gpu"


def gpu_fixture(name: str) -> bytes:
    """A file of tests/fixtures/gpu/ (payloads only the tests use)."""
    return (GPU_FIXTURES / name).read_bytes()


def snapshot(relpath: str) -> bytes:
    """A bundled snapshot, ``<source>/<file>`` under snapshots/ (provenance: snapshots/SOURCES.md)."""
    return (BUNDLED_SNAPSHOTS / relpath).read_bytes()


class RecordingSleep:
    """Stands in for time.sleep: records the requested waits, never waits."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def client(sleeps: RecordingSleep):
    with HttpClient(retries=2, backoff_s=1.0, sleep=sleeps) as http:
        yield http


def ingest(settings, source: Source, items: list[RawPayload | FetchFailure], at: datetime) -> SourceSummary:
    with write_connection(settings.db_path) as con:
        return ingest_payloads(con, settings.raw_dir, source, items, observed_at=at, mode="live")


def query(settings, sql: str) -> list[tuple]:
    with write_connection(settings.db_path) as con:
        return con.execute(sql).fetchall()


def payloads(items: Sequence[RawPayload | FetchFailure]) -> list[RawPayload]:
    """The fetched payloads, failing the test if any fetch failed (the failures are the message)."""
    failures = [i for i in items if isinstance(i, FetchFailure)]
    assert failures == [], failures
    return [i for i in items if isinstance(i, RawPayload)]


def failure(item: RawPayload | FetchFailure) -> FetchFailure:
    """The fetch failure the test expects ``item`` to be."""
    assert isinstance(item, FetchFailure), item
    return item


def gpu_table(result: ParseResult) -> Any:
    """The GPU offers as the ``pyarrow.Table`` a columnar parser returns (not a list)."""
    assert not isinstance(result.gpu_offers, list)
    return result.gpu_offers


def market_table(result: ParseResult) -> Any:
    """The market offers as the ``pyarrow.Table`` a columnar parser returns (not a list)."""
    assert not isinstance(result.market_offers, list)
    return result.market_offers


def payload(source: str, body: bytes, *, ext: str = "json", at: datetime, status: int = 200,
            url: str = "https://example.invalid/") -> RawPayload:
    return RawPayload(source=source, url=url, status=status, body=body, fetched_at=at, ext=ext)
