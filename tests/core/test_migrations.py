"""The warehouse creates its schema on first open and migrates each version once."""
from __future__ import annotations

import duckdb

from warehouse.db import read_connection, write_connection
from warehouse.migrate import migrate, migration_files

PUBLIC_VIEWS = {"gpu_price_history", "gpu_prices_latest", "token_price_history", "token_prices_latest",
                "model_lifecycle_events"}


def test_first_write_connection_applies_every_migration(settings):
    with write_connection(settings.db_path) as con:
        versions = [v for (v,) in con.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()]
    assert versions == [v for v, _ in migration_files()]


def test_migrating_again_applies_nothing(settings):
    with write_connection(settings.db_path) as con:
        assert migrate(con) == []


def test_public_views_and_fetch_log_exist(settings):
    with write_connection(settings.db_path):
        pass
    with read_connection(settings.db_path) as con:
        names = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert PUBLIC_VIEWS | {"fetch_log", "scenario_costs", "alerts"} <= names


def test_fetch_log_has_the_documented_columns(settings):
    with write_connection(settings.db_path) as con:
        cols = [r[0] for r in con.execute("DESCRIBE fetch_log").fetchall()]
    assert {"fetched_at", "source", "url", "status", "bytes", "sha256", "outcome", "error"} <= set(cols)


def test_gpu_price_history_has_the_documented_columns(settings):
    with write_connection(settings.db_path) as con:
        cols = [r[0] for r in con.execute("DESCRIBE gpu_price_history").fetchall()]
    assert cols[:10] == ["observed_at", "provider", "gpu_model", "gpu_raw_name", "gpu_count", "tier", "region",
                         "usd_per_gpu_hour", "usd_per_instance_hour", "source_fetch_id"]


def test_a_failing_migration_leaves_no_partial_schema(tmp_path, monkeypatch):
    bad_dir = tmp_path / "migrations"
    bad_dir.mkdir()
    (bad_dir / "001_ok.sql").write_text("CREATE TABLE a (x INT);")
    (bad_dir / "002_bad.sql").write_text("CREATE TABLE b (x INT); SELECT * FROM no_such_table;")
    monkeypatch.setattr("warehouse.migrate.MIGRATIONS_DIR", bad_dir)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        migrate(con)
    except duckdb.Error:
        pass
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert "a" in tables and "b" not in tables
    assert [v for (v,) in con.execute("SELECT version FROM schema_migrations").fetchall()] == [1]
