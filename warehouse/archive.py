"""Raw-first archive: every fetched payload is written gzip-compressed, with its sha256 and
fetch metadata, before anything parses it.

Layout (replayable as it stands: ``pricewatch replay data/raw``)::

    data/raw/<source>/<YYYY-MM-DDTHHMMSSZ>__<sha12>.<ext>.gz
    data/raw/<source>/<YYYY-MM-DDTHHMMSSZ>__<sha12>.<ext>.meta.json
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from scrapers.records import RawPayload

TIMESTAMP_FORMAT = "%Y-%m-%dT%H%M%SZ"


def format_timestamp(moment: datetime) -> str:
    return moment.strftime(TIMESTAMP_FORMAT)


def parse_timestamp(text: str) -> datetime:
    return datetime.strptime(text, TIMESTAMP_FORMAT)


def sha256_hex(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


@dataclass(frozen=True)
class ArchivedPayload:
    path: Path
    sha256: str
    bytes: int


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def archive_payload(raw_dir: Path, payload: RawPayload, *, observed_at: datetime | None = None) -> ArchivedPayload:
    """Write the payload and its metadata; idempotent for the same bytes at the same time."""
    digest = sha256_hex(payload.body)
    stamp = format_timestamp(observed_at or payload.fetched_at)
    stem = f"{stamp}__{digest[:12]}.{payload.ext}"
    path = raw_dir / payload.source / f"{stem}.gz"
    meta_path = path.with_name(f"{stem}.meta.json")
    # The metadata goes first: a payload file is never left without its URL and status, even
    # when a run dies between the two writes (the next run completes whichever is missing).
    if not meta_path.exists():
        meta = {
            "source": payload.source,
            "url": payload.url,
            "status": payload.status,
            "fetched_at": payload.fetched_at.isoformat(),
            "sha256": digest,
            "bytes": len(payload.body),
            "content_type": payload.content_type,
        }
        _atomic_write(meta_path, json.dumps(meta, indent=2).encode())
    if not path.exists():
        # mtime=0 keeps the gzip bytes a pure function of the payload.
        _atomic_write(path, gzip.compress(payload.body, compresslevel=6, mtime=0))
    return ArchivedPayload(path=path, sha256=digest, bytes=len(payload.body))


def read_archived(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def read_meta(path: Path) -> dict | None:
    """The sidecar metadata of an archived payload, if any."""
    name = path.name[:-3] if path.name.endswith(".gz") else path.name
    meta = path.with_name(f"{name}.meta.json")
    return json.loads(meta.read_text()) if meta.exists() else None
