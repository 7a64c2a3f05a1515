"""Shared helpers of the token-collector tests (payload bytes, ingest into a real DuckDB).

The real token payloads are the bundled snapshots (snapshots/<source>/, provenance in
snapshots/SOURCES.md): tests read that one copy."""
from __future__ import annotations

from datetime import datetime

from core.paths import BUNDLED_SNAPSHOTS
from core.settings import Settings
from scrapers.base import Source
from scrapers.records import FetchFailure, ParseResult, RawPayload
from warehouse.db import write_connection
from warehouse.ingest import SourceSummary, ingest_payloads

HTML_ERROR_PAGE = (b"<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
                   b"<body>Checking your browser before accessing the site.</body></html>")  # synthetic


def fixture(name: str) -> bytes:
    """A bundled snapshot by its path under snapshots/ (``<source>/<file>``)."""
    return (BUNDLED_SNAPSHOTS / name).read_bytes()


def parse_fixture(source: Source, name: str) -> ParseResult:
    ext = name.rsplit(".", 1)[-1]
    return source.parse(fixture(name), ext=ext, origin=f"snapshots/{name}")


def payload(source: str, body: bytes, *, url: str = "https://example.test/page", status: int = 200,
            ext: str = "md", when: datetime = datetime(2026, 8, 20)) -> RawPayload:
    return RawPayload(source, url, status, body, when, ext)


def ingest(settings: Settings, source: Source, items: list[RawPayload | FetchFailure],
           observed_at: datetime) -> SourceSummary:
    with write_connection(settings.db_path) as con:
        return ingest_payloads(con, settings.raw_dir, source, items, observed_at=observed_at, mode="live")


def query(settings: Settings, sql: str, params: list | dict | None = None) -> list[tuple]:
    with write_connection(settings.db_path) as con:
        return con.execute(sql, params or []).fetchall()
