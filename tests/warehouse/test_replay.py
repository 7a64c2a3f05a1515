"""Replay loads DIR/<source>/<timestamp>.<ext> files in time order as if fetched then."""
from __future__ import annotations

import gzip
from datetime import datetime

import pytest
import zstandard

from tests.warehouse.conftest import TOY, toy_body
from warehouse import replay as replay_module
from warehouse.db import write_connection
from warehouse.replay import discover, replay


@pytest.fixture(autouse=True)
def toy_registry(monkeypatch):
    monkeypatch.setattr(replay_module, "source_names", lambda: ("toy",))
    monkeypatch.setattr(replay_module, "get_source", lambda name: TOY)


def write(directory, name, body: bytes):
    path = directory / "toy" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    return path


def rows(settings, sql):
    with write_connection(settings.db_path) as con:
        return con.execute(sql).fetchall()


def test_files_are_discovered_in_time_order_whatever_their_names_sort_as(tmp_path):
    write(tmp_path, "2026-11-02T060000Z.json", toy_body(H100=2.0))
    write(tmp_path, "2026-11-01T060000Z__page2.json.gz", gzip.compress(toy_body(A100=1.0)))
    found = discover(tmp_path)
    assert [(f.observed_at, f.ext) for f in found.files] == [
        (datetime(2026, 11, 1, 6), "json"), (datetime(2026, 11, 2, 6), "json")]


def test_zstd_and_gzip_files_replay_alike(settings, tmp_path):
    snaps = tmp_path / "snaps"
    write(snaps, "2026-11-01T060000Z.json.gz", gzip.compress(toy_body(H100=2.0)))
    write(snaps, "2026-11-02T060000Z.json.zst", zstandard.ZstdCompressor().compress(toy_body(H100=1.8)))
    replay(settings, snaps)
    assert rows(settings, "SELECT observed_at::DATE::VARCHAR, usd_per_gpu_hour FROM gpu_price_history ORDER BY 1") == [
        ("2026-11-01", 2.0), ("2026-11-02", 1.8)]


def test_unrecognised_names_and_folders_are_reported_not_loaded(tmp_path):
    write(tmp_path, "yesterday.json", b"{}")
    (tmp_path / "nosuchsource").mkdir()
    found = discover(tmp_path)
    assert found.files == []
    assert any("yesterday.json" in note for note in found.ignored)
    assert any("nosuchsource" in note for note in found.ignored)


def test_multi_day_replay_dates_observations_on_the_file_timestamps(settings, tmp_path):
    snaps = tmp_path / "snaps"
    write(snaps, "2026-11-01T060000Z.json", toy_body(H100=2.0))
    write(snaps, "2026-11-02T060000Z.json", toy_body(H100=1.8))
    write(snaps, "2026-11-03T060000Z.json", toy_body(H100=1.8))
    replay(settings, snaps)
    assert rows(settings, "SELECT observed_at::DATE::VARCHAR, usd_per_gpu_hour FROM gpu_price_history ORDER BY 1") == [
        ("2026-11-01", 2.0), ("2026-11-02", 1.8), ("2026-11-03", 1.8)]


def test_files_sharing_a_timestamp_are_one_batch_with_one_observation_time(settings, tmp_path):
    snaps = tmp_path / "snaps"
    write(snaps, "2026-11-01T060000Z__h100.json", toy_body(H100=2.0))
    write(snaps, "2026-11-01T060000Z__a100.json", toy_body(A100=1.0))
    replay(settings, snaps)
    assert rows(settings, "SELECT count(DISTINCT observed_at), count(*) FROM gpu_price_history") == [(1, 2)]


def test_a_malformed_file_is_a_failed_fetch_and_the_replay_goes_on(settings, tmp_path):
    snaps = tmp_path / "snaps"
    write(snaps, "2026-11-01T060000Z.json", toy_body(H100=2.0))
    write(snaps, "2026-11-02T060000Z.json", b'{"schema": "changed"}')
    write(snaps, "2026-11-03T060000Z.json", toy_body(H100=1.5))
    summaries = replay(settings, snaps)
    assert summaries["toy"].parsed == 2 and len(summaries["toy"].errors) == 1
    assert rows(settings, "SELECT outcome, count(*) FROM fetch_log GROUP BY 1 ORDER BY 1") == [
        ("ok", 2), ("parse_error", 1)]


def test_replaying_the_same_directory_twice_adds_nothing(settings, tmp_path):
    snaps = tmp_path / "snaps"
    write(snaps, "2026-11-01T060000Z.json", toy_body(H100=2.0))
    write(snaps, "2026-11-02T060000Z.json", b"not json")
    replay(settings, snaps)
    before = rows(settings, "SELECT (SELECT count(*) FROM fetch_log), (SELECT count(*) FROM gpu_observations)")
    second = replay(settings, snaps)
    assert second["toy"].added == 0
    assert rows(settings, "SELECT (SELECT count(*) FROM fetch_log), (SELECT count(*) FROM gpu_observations)") == before


def test_the_raw_archive_is_itself_a_replay_directory(settings, tmp_path):
    snaps = tmp_path / "snaps"
    write(snaps, "2026-11-01T060000Z.json", toy_body(H100=2.0))
    replay(settings, snaps)
    fresh = settings.__class__(db_path=tmp_path / "other.duckdb", data_dir=tmp_path / "otherdata")
    replay(fresh, settings.raw_dir)
    assert rows(fresh, "SELECT observed_at::VARCHAR, usd_per_gpu_hour FROM gpu_price_history") == [
        ("2026-11-01 06:00:00", 2.0)]


def test_only_newer_never_slips_old_snapshots_under_a_newer_history(settings, tmp_path):
    live = tmp_path / "live"
    write(live, "2026-11-20T060000Z.json", toy_body(H100=1.5))
    replay(settings, live)
    bundled = tmp_path / "bundled"
    write(bundled, "2026-11-01T060000Z.json", toy_body(H100=2.0))
    write(bundled, "2026-11-21T060000Z.json", toy_body(H100=1.4))
    summaries = replay(settings, bundled, only_newer=True)
    assert summaries["toy"].skipped == 1
    assert rows(settings, "SELECT observed_at::DATE::VARCHAR FROM gpu_price_history ORDER BY 1") == [
        ("2026-11-20",), ("2026-11-21",)]


def test_a_fallback_keeps_the_local_sources_already_collected_and_adds_the_replay():
    from flows.pipeline import fall_back
    from warehouse.ingest import SourceSummary

    live = {"runpod": SourceSummary("runpod", errors=["unreachable"]),
            "curated_sheet": SourceSummary("curated_sheet", parsed=1)}
    bundled = {"runpod": SourceSummary("runpod", parsed=1)}
    merged = fall_back(live, bundled)
    assert merged["curated_sheet"].parsed == 1 and merged["runpod"].ok
