"""`pricewatch replay` through the real console script, on the bundled snapshots."""
from __future__ import annotations

import json

import duckdb

from core.paths import BUNDLED_SNAPSHOTS
from scrapers.registry import GPU_SOURCES


def test_replaying_the_bundled_snapshots_gives_every_gpu_source(cli, settings):
    env = {"PRICEWATCH_DATA_DIR": str(settings.data_dir)}
    replayed = cli("replay", str(BUNDLED_SNAPSHOTS), "--db", str(settings.db_path), "--quiet", "--init", env=env)
    assert replayed.returncode == 0, replayed.stderr
    result = cli("sql", "select source, count(*) as n from gpu_price_history group by 1 order by 1",
                 "--format", "json", "--db", str(settings.db_path))
    assert [r["source"] for r in json.loads(result.stdout)] == sorted(GPU_SOURCES)


def test_replay_prints_progress_per_batch_a_summary_table_and_exits_1_when_a_file_failed(cli, settings, tmp_path):
    snaps = tmp_path / "snaps" / "runpod"
    snaps.mkdir(parents=True)
    bundled = BUNDLED_SNAPSHOTS / "runpod" / "2025-06-21T231800Z.json"
    (snaps / "2025-06-21T231800Z.json").write_bytes(bundled.read_bytes())
    (snaps / "2025-06-22T231800Z.json").write_text('{"data": {"somethingElse": []}}')
    result = cli("replay", str(tmp_path / "snaps"), "--db", str(settings.db_path), "--init",
                 env={"PRICEWATCH_DATA_DIR": str(settings.data_dir)})
    assert result.returncode == 1
    assert "1 failed file(s)" in result.stderr
    assert "[1/2] runpod 2025-06-21" in result.stderr and "[2/2] runpod 2025-06-22" in result.stderr
    assert "runpod: field" in result.stderr  # the bad file's reason, naming the field
    assert "runpod" in result.stdout and "already_loaded" in result.stdout


def test_replaying_twice_reports_everything_already_loaded(cli, settings):
    env = {"PRICEWATCH_DATA_DIR": str(settings.data_dir)}
    args = ("replay", str(BUNDLED_SNAPSHOTS), "--db", str(settings.db_path), "--quiet", "--source", "runpod",
            "--format", "json", "--init")
    first = json.loads(cli(*args, env=env).stdout)
    second = json.loads(cli(*args, env=env).stdout)
    assert first == [{"source": "runpod", "files": 1, "parsed": 1, "rows_added": 152, "already_loaded": 0, "errors": 0}]
    assert second == [{"source": "runpod", "files": 1, "parsed": 0, "rows_added": 0, "already_loaded": 1, "errors": 0}]


def test_replay_refuses_to_start_a_new_warehouse_without_init(cli, settings):
    result = cli("replay", str(BUNDLED_SNAPSHOTS), "--db", str(settings.db_path), "--quiet",
                 env={"PRICEWATCH_DATA_DIR": str(settings.data_dir)})
    assert result.returncode == 2
    assert f"no warehouse at {settings.db_path}" in result.stderr and "--init" in result.stderr
    assert not settings.db_path.exists()


def test_replay_publishes_a_read_only_copy_and_a_parquet_dataset(cli, settings):
    cli("replay", str(BUNDLED_SNAPSHOTS), "--db", str(settings.db_path), "--quiet", "--source", "runpod", "--init",
        env={"PRICEWATCH_DATA_DIR": str(settings.data_dir)})
    published = settings.db_path.parent / "published"
    assert (published / "pricewatch.duckdb").is_file()
    # the bundled RunPod snapshot: 152 offerings fetched 2025-06-21 (see snapshots/SOURCES.md)
    day = published / "pricewatch_parquet" / "gpu_price_history" / "day=2025-06-21"
    with duckdb.connect() as con:
        rows = con.execute("SELECT count(*) FROM read_parquet(?)", [str(day / "*.parquet")]).fetchone()
    assert rows == (152,)
