"""The raw archive keeps every payload compressed, hashed and replayable."""
from __future__ import annotations

import gzip
import hashlib
import json
from datetime import datetime

import zstandard

from scrapers.records import RawPayload
from warehouse.archive import archive_payload, read_archived, read_meta

AT = datetime(2026, 11, 23, 6, 0, 0)


def payload(body: bytes = b'{"a": 1}') -> RawPayload:
    return RawPayload(source="runpod", url="https://api.runpod.io/graphql", status=200, body=body,
                      fetched_at=AT, ext="json", content_type="application/json")


def test_payload_is_written_zstd_compressed_under_its_source_with_timestamp_and_hash(tmp_path):
    archived = archive_payload(tmp_path, payload())
    digest = hashlib.sha256(b'{"a": 1}').hexdigest()
    assert archived.sha256 == digest
    assert archived.path == tmp_path / "runpod" / f"2026-11-23T060000Z__{digest[:12]}.json.zst"
    assert zstandard.ZstdDecompressor().decompress(archived.path.read_bytes()) == b'{"a": 1}'


def test_metadata_sidecar_records_url_status_time_and_hash(tmp_path):
    archived = archive_payload(tmp_path, payload())
    meta = read_meta(archived.path)
    assert meta is not None
    assert meta["url"] == "https://api.runpod.io/graphql"
    assert meta["status"] == 200
    assert meta["fetched_at"] == "2026-11-23T06:00:00"
    assert meta["sha256"] == archived.sha256
    assert meta["bytes"] == 8


def test_archiving_the_same_payload_twice_writes_one_file(tmp_path):
    first = archive_payload(tmp_path, payload())
    second = archive_payload(tmp_path, payload())
    assert first.path == second.path
    assert len(list((tmp_path / "runpod").glob("*.zst"))) == 1


def test_a_payload_already_archived_as_gzip_is_not_written_again(tmp_path):
    digest = hashlib.sha256(b'{"a": 1}').hexdigest()
    old = tmp_path / "runpod" / f"2026-11-23T060000Z__{digest[:12]}.json.gz"
    old.parent.mkdir(parents=True)
    old.write_bytes(gzip.compress(b'{"a": 1}'))
    archived = archive_payload(tmp_path, payload())
    assert archived.path == old
    assert [p.name for p in (tmp_path / "runpod").iterdir() if not p.name.endswith(".meta.json")] == [old.name]


def test_old_gzip_archives_stay_readable_with_their_metadata(tmp_path):
    old = tmp_path / "runpod" / "2026-11-23T060000Z__abc.json.gz"
    old.parent.mkdir(parents=True)
    old.write_bytes(gzip.compress(b'{"b": 2}'))
    old.with_name("2026-11-23T060000Z__abc.json.meta.json").write_text(json.dumps({"url": "u"}))
    assert read_archived(old) == b'{"b": 2}'
    assert read_meta(old) == {"url": "u"}


def test_a_zstd_frame_without_a_content_size_is_read_too(tmp_path):
    path = tmp_path / "2026-11-23T060000Z.json.zst"
    path.write_bytes(zstandard.ZstdCompressor(write_content_size=False).compress(b'{"c": 3}'))
    assert read_archived(path) == b'{"c": 3}'


def test_read_archived_round_trips_compressed_and_plain_files(tmp_path):
    archived = archive_payload(tmp_path, payload(b"<html>x</html>"))
    plain = tmp_path / "plain.html"
    plain.write_bytes(b"<html>y</html>")
    assert read_archived(archived.path) == b"<html>x</html>"
    assert read_archived(plain) == b"<html>y</html>"


def test_a_payload_file_left_without_metadata_gets_it_on_the_next_archive(tmp_path):
    archived = archive_payload(tmp_path, payload())
    meta = archived.path.with_name(archived.path.name.removesuffix(".zst") + ".meta.json")
    meta.unlink()  # as if a run died between the two writes
    archive_payload(tmp_path, payload())
    rewritten = read_meta(archived.path)
    assert rewritten is not None and rewritten["url"] == "https://api.runpod.io/graphql"
