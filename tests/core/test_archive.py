"""The raw archive keeps every payload compressed, hashed and replayable."""
from __future__ import annotations

import gzip
import hashlib
from datetime import datetime

from scrapers.records import RawPayload
from warehouse.archive import archive_payload, read_archived, read_meta

AT = datetime(2026, 11, 23, 6, 0, 0)


def payload(body: bytes = b'{"a": 1}') -> RawPayload:
    return RawPayload(source="runpod", url="https://api.runpod.io/graphql", status=200, body=body,
                      fetched_at=AT, ext="json", content_type="application/json")


def test_payload_is_written_gzip_compressed_under_its_source_with_timestamp_and_hash(tmp_path):
    archived = archive_payload(tmp_path, payload())
    digest = hashlib.sha256(b'{"a": 1}').hexdigest()
    assert archived.sha256 == digest
    assert archived.path == tmp_path / "runpod" / f"2026-11-23T060000Z__{digest[:12]}.json.gz"
    assert gzip.decompress(archived.path.read_bytes()) == b'{"a": 1}'


def test_metadata_sidecar_records_url_status_time_and_hash(tmp_path):
    archived = archive_payload(tmp_path, payload())
    meta = read_meta(archived.path)
    assert meta["url"] == "https://api.runpod.io/graphql"
    assert meta["status"] == 200
    assert meta["fetched_at"] == "2026-11-23T06:00:00"
    assert meta["sha256"] == archived.sha256
    assert meta["bytes"] == 8


def test_archiving_the_same_payload_twice_writes_one_file(tmp_path):
    first = archive_payload(tmp_path, payload())
    second = archive_payload(tmp_path, payload())
    assert first.path == second.path
    assert len(list((tmp_path / "runpod").glob("*.gz"))) == 1


def test_read_archived_round_trips_compressed_and_plain_files(tmp_path):
    archived = archive_payload(tmp_path, payload(b"<html>x</html>"))
    plain = tmp_path / "plain.html"
    plain.write_bytes(b"<html>y</html>")
    assert read_archived(archived.path) == b"<html>x</html>"
    assert read_archived(plain) == b"<html>y</html>"


def test_a_payload_file_left_without_metadata_gets_it_on_the_next_archive(tmp_path):
    archived = archive_payload(tmp_path, payload())
    meta = archived.path.with_name(archived.path.name[:-3] + ".meta.json")
    meta.unlink()  # as if a run died between the two writes
    archive_payload(tmp_path, payload())
    assert read_meta(archived.path)["url"] == "https://api.runpod.io/graphql"
