"""Publishing: the read-only DuckDB copy and the hive-partitioned Parquet dataset."""
from __future__ import annotations

import os
import stat
from datetime import datetime

import duckdb
import pyarrow.dataset as ds
import pytest

from scrapers.records import RawPayload
from tests.warehouse.conftest import TOY, toy_body
from warehouse import publish as publish_module
from warehouse.db import WarehouseMissing, write_connection
from warehouse.ingest import ingest_payloads
from warehouse.publish import publish, read_source


def load(settings, day: int, **prices: float) -> None:
    at = datetime(2026, 11, day, 6)
    with write_connection(settings.db_path) as con:
        ingest_payloads(con, settings.raw_dir, TOY, [RawPayload("toy", "https://toy.example", 200, toy_body(**prices),
                                                                at, "json")], observed_at=at, mode="live")


def rows(path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_the_published_copy_has_the_data_and_the_views(settings):
    load(settings, 1, H100=2.5, A100=1.25)
    result = publish(settings)
    assert result.db == settings.db_path.parent / "published" / "pricewatch.duckdb"
    assert rows(result.db, "select gpu_model, usd_per_gpu_hour from gpu_prices_latest order by 1") == [
        ("A100", 1.25), ("H100", 2.5)]


def test_the_published_copy_is_marked_read_only(settings):
    load(settings, 1, H100=2.5)
    copy = publish(settings).db
    assert stat.S_IMODE(os.stat(copy).st_mode) == 0o444


def test_the_history_is_a_hive_partitioned_parquet_dataset_by_day(settings):
    load(settings, 1, H100=2.5, A100=1.25)
    load(settings, 2, H100=2.4)
    folder = publish(settings).parquet_dir / "gpu_price_history"
    assert sorted(p.name for p in folder.iterdir()) == ["day=2026-11-01", "day=2026-11-02"]
    table = ds.dataset(folder, format="parquet", partitioning="hive").to_table()
    got = sorted(zip(table["gpu_model"].to_pylist(), table["usd_per_gpu_hour"].to_pylist(),
                     [str(d) for d in table["day"].to_pylist()], strict=True))
    assert got == [("A100", 1.25, "2026-11-01"), ("H100", 2.4, "2026-11-02"), ("H100", 2.5, "2026-11-01")]


def test_duckdb_reads_the_dataset_with_hive_partitioning(settings):
    load(settings, 1, H100=2.5)
    folder = publish(settings).parquet_dir
    con = duckdb.connect()
    got = con.execute(f"select day::varchar, count(*) from read_parquet('{folder}/fetch_log/*/*.parquet', "
                      f"hive_partitioning = true) group by all").fetchall()
    assert got == [("2026-11-01", 1)]


def test_every_published_view_has_a_folder_even_when_empty(settings):
    load(settings, 1, H100=2.5)
    folder = publish(settings).parquet_dir
    assert {p.name for p in folder.iterdir()} == {view for view, _ in publish_module.PARQUET_VIEWS}
    assert list((folder / "scenario_costs").iterdir()) == []


def test_republishing_swaps_the_dataset_and_keeps_only_the_previous_version(settings):
    load(settings, 1, H100=2.5)
    first = os.readlink(publish(settings).parquet_dir)
    load(settings, 2, H100=2.4)
    second = os.readlink(publish(settings).parquet_dir)
    load(settings, 3, H100=2.3)
    third = os.readlink(publish(settings).parquet_dir)
    versions = {p.name for p in settings.published_dir.glob(".pricewatch_parquet.v*")}
    assert len({first, second, third}) == 3 and versions == {second, third}
    assert sorted(p.name for p in (settings.published_parquet_dir / "gpu_price_history").iterdir()) == [
        "day=2026-11-01", "day=2026-11-02", "day=2026-11-03"]


def test_a_failed_publish_keeps_the_previous_copies_and_leaves_no_temporary_file(settings, monkeypatch):
    load(settings, 1, H100=2.5)
    publish(settings)
    before = sorted(p.name for p in settings.published_dir.iterdir())
    load(settings, 2, H100=2.4)

    def broken(db_file, target):
        target.mkdir(parents=True)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(publish_module, "_export_parquet", broken)
    with pytest.raises(OSError, match="No space left"):
        publish(settings)
    assert sorted(p.name for p in settings.published_dir.iterdir()) == before
    assert rows(settings.published_db, "select count(*) from gpu_price_history") == [(1,)]


def test_publish_never_creates_a_warehouse(settings):
    with pytest.raises(WarehouseMissing):
        publish(settings)
    assert not settings.db_path.exists()


def test_readers_use_the_published_copy_when_there_is_one(settings):
    load(settings, 1, H100=2.5)
    unpublished = read_source(settings)
    assert unpublished.path == settings.db_path and unpublished.note is not None
    assert "no published copy" in unpublished.note
    publish(settings)
    source = read_source(settings)
    assert (source.path, source.published, source.note) == (settings.published_db, True, None)


def test_readers_are_told_when_the_warehouse_changed_after_publishing(settings):
    load(settings, 1, H100=2.5)
    publish(settings)
    load(settings, 2, H100=2.4)
    note = read_source(settings).note
    assert note is not None and "the warehouse has changed since" in note


def test_readers_of_a_missing_warehouse_get_a_clear_error(settings):
    with pytest.raises(WarehouseMissing, match="pricewatch run"):
        read_source(settings)
