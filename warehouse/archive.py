"""Raw-first archive: every fetched payload is written compressed, with its sha256 and fetch
metadata, before anything parses it.

Layout (replayable as it stands: ``pricewatch replay data/raw``)::

    data/raw/<source>/<YYYY-MM-DDTHHMMSSZ>__<sha12>.<ext>.zst
    data/raw/<source>/<YYYY-MM-DDTHHMMSSZ>__<sha12>.<ext>.meta.json

New payloads are zstd-compressed (``compress``: smaller than gzip -6 on the large daily market
payloads; ``python -m benchmarks archive`` prints both side by side and the growth per year).
Archives written before that are gzip (``.gz``) and stay readable: ``read_archived`` and replay
take both, and a payload already archived as ``.gz`` is not written again.
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

import zstandard

from scrapers.records import RawPayload

TIMESTAMP_FORMAT = "%Y-%m-%dT%H%M%SZ"
# Compressed suffixes read back, newest first; new payloads get the first.
COMPRESSED_SUFFIXES = (".zst", ".gz")
# Level 9 with long-distance matching over a 128 MiB window (the most a default decoder accepts):
# a market payload repeats each host's details in offers far apart, which a short window misses.
ZSTD_LEVEL = 9
ZSTD_WINDOW_LOG = 27


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


def compress(body: bytes) -> bytes:
    """zstd frame of ``body`` (content size recorded, no checksum: the sha256 is in the metadata).
    The bytes are a pure function of the payload."""
    params = zstandard.ZstdCompressionParameters.from_level(
        ZSTD_LEVEL, window_log=ZSTD_WINDOW_LOG, enable_ldm=True, write_content_size=True, write_checksum=False)
    return zstandard.ZstdCompressor(compression_params=params).compress(body)


def archive_payload(raw_dir: Path, payload: RawPayload, *, observed_at: datetime | None = None) -> ArchivedPayload:
    """Write the payload and its metadata; idempotent for the same bytes at the same time (a copy
    already archived in the older gzip format counts)."""
    digest = sha256_hex(payload.body)
    stamp = format_timestamp(observed_at or payload.fetched_at)
    stem = f"{stamp}__{digest[:12]}.{payload.ext}"
    folder = raw_dir / payload.source
    existing = [folder / f"{stem}{suffix}" for suffix in COMPRESSED_SUFFIXES]
    path = next((p for p in existing if p.exists()), existing[0])
    meta_path = folder / f"{stem}.meta.json"
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
        _atomic_write(path, compress(payload.body))
    return ArchivedPayload(path=path, sha256=digest, bytes=len(payload.body))


def read_archived(path: Path) -> bytes:
    """The payload bytes of an archived (``.zst`` or ``.gz``) or plain file."""
    data = path.read_bytes()
    if path.suffix == ".zst":
        # A stream decompressor also reads frames written without a content size.
        return zstandard.ZstdDecompressor().decompressobj().decompress(data)
    if path.suffix == ".gz":
        return gzip.decompress(data)
    return data


def payload_name(path: Path) -> str:
    """The file name without its compression suffix (``<stamp>__<sha12>.<ext>``)."""
    for suffix in COMPRESSED_SUFFIXES:
        if path.name.endswith(suffix):
            return path.name[: -len(suffix)]
    return path.name


def read_meta(path: Path) -> dict | None:
    """The sidecar metadata of an archived payload, if any."""
    meta = path.with_name(f"{payload_name(path)}.meta.json")
    return json.loads(meta.read_text()) if meta.exists() else None
