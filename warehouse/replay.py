"""Replay snapshot directories as if each file had been fetched at its timestamp.

Layout: ``DIR/<source>/<UTC timestamp>[__anything].<ext>[.zst|.gz]``, timestamp like
``2025-06-21T231857Z``. Files of one source with the same timestamp form one batch (Vast
pages). Batches are loaded in time order across all sources. ``.meta.json`` sidecars written by
the raw archive restore the original URL, status and fetch time, so ``data/raw`` itself is a
valid replay directory.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from pathlib import Path

from core.settings import Settings
from scrapers.records import RawPayload
from scrapers.registry import get_source, source_names
from warehouse.archive import parse_timestamp, read_archived, read_meta
from warehouse.db import write_connection
from warehouse.ingest import SourceSummary, ingest_payloads

_FILE = re.compile(r"^(?P<stamp>\d{4}-\d{2}-\d{2}T\d{6}Z)(?:__[^.]*)?\.(?P<ext>[a-z]+)(?:\.zst|\.gz)?$")


@dataclass(frozen=True)
class SnapshotFile:
    source: str
    observed_at: datetime
    path: Path
    ext: str


@dataclass
class Discovery:
    files: list[SnapshotFile]
    ignored: list[str]


def discover(directory: Path, sources: Iterable[str] | None = None) -> Discovery:
    """Find replayable files, sorted by time then source. Anything unrecognised is reported."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"replay directory {directory} does not exist")
    wanted = set(sources or source_names())
    files: list[SnapshotFile] = []
    ignored: list[str] = []
    for sub in sorted(p for p in directory.iterdir() if p.is_dir()):
        if sub.name not in source_names():
            ignored.append(f"{sub}: not a known source ({', '.join(source_names())})")
            continue
        if sub.name not in wanted:
            continue
        for path in sorted(sub.iterdir()):
            if path.name.endswith(".meta.json") or path.name.startswith("."):
                continue
            match = _FILE.match(path.name)
            if not match:
                ignored.append(f"{path}: name is not <UTC timestamp like 2025-06-21T231857Z>.<ext>")
                continue
            files.append(SnapshotFile(sub.name, parse_timestamp(match["stamp"]), path, match["ext"]))
    files.sort(key=lambda f: (f.observed_at, f.source, f.path.name))
    return Discovery(files, ignored)


def _payload(file: SnapshotFile) -> RawPayload:
    meta = read_meta(file.path) or {}
    fetched_at = datetime.fromisoformat(meta["fetched_at"]) if meta.get("fetched_at") else file.observed_at
    return RawPayload(
        source=file.source,
        url=meta.get("url") or f"replay:{file.source}/{file.path.name}",
        status=int(meta.get("status", 200)),
        body=read_archived(file.path),
        fetched_at=fetched_at.replace(tzinfo=None),
        ext=file.ext,
        content_type=meta.get("content_type"),
    )


def replay(
    settings: Settings,
    directory: Path,
    *,
    sources: Iterable[str] | None = None,
    progress: Callable[[str], None] | None = None,
    only_newer: bool = False,
) -> dict[str, SourceSummary]:
    """Load the directory in time order. ``only_newer`` skips files that are not newer than
    their source's last successful load (the offline fallback must never slip old snapshots
    under a live history)."""
    found = discover(directory, sources)
    summaries: dict[str, SourceSummary] = {}
    if progress:
        for note in found.ignored:
            progress(f"ignored {note}")
    batches = [
        (key, list(group))
        for key, group in groupby(found.files, key=lambda f: (f.observed_at, f.source))
    ]
    with write_connection(settings.db_path) as con:
        last_loaded = dict(con.execute(
            "SELECT source, max(observed_at) FROM fetch_log WHERE outcome IN ('ok', 'empty') GROUP BY source"
        ).fetchall()) if only_newer else {}
        for n, ((observed_at, source_name), files) in enumerate(batches, 1):
            if source_name in last_loaded and observed_at <= last_loaded[source_name]:
                summaries.setdefault(source_name, SourceSummary(source_name)).skipped += len(files)
                continue
            source = get_source(source_name)
            summary = ingest_payloads(
                con, settings.raw_dir, source, [_payload(f) for f in files],
                observed_at=observed_at, mode="replay",
            )
            summaries.setdefault(source_name, SourceSummary(source_name)).merge(summary)
            if progress:
                status = "ok" if summary.ok else f"{len(summary.errors)} error(s)"
                progress(f"[{n}/{len(batches)}] {source_name} {observed_at:%Y-%m-%d %H:%M:%S}: "
                         f"+{summary.added} rows, {status}")
    return summaries
