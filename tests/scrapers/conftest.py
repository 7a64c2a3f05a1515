"""Helpers for the GPU collector tests: fixture files (a payload that is also a bundled snapshot
is read from snapshots/, its one copy), a real HttpClient that never waits, and a one-call ingest
into a real DuckDB file."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from core.paths import BUNDLED_SNAPSHOTS
from scrapers.base import Source
from scrapers.http import HttpClient
from scrapers.records import FetchFailure, RawPayload
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


def payload(source: str, body: bytes, *, ext: str = "json", at: datetime, status: int = 200,
            url: str = "https://example.invalid/") -> RawPayload:
    return RawPayload(source=source, url=url, status=status, body=body, fetched_at=at, ext=ext)
