"""The warehouse's expected failures are one-line WarehouseErrors that say what to do."""
from __future__ import annotations

import shutil

import duckdb
import pytest

from warehouse import db
from warehouse.db import (
    WarehouseInvalid,
    WarehouseOutdated,
    WarehouseUnwritable,
    describe_process,
    read_connection,
    upgrade,
    write_connection,
)
from warehouse.migrate import migration_files


def a_warehouse(settings):
    with write_connection(settings.db_path):
        pass
    return settings.db_path


@pytest.fixture(params=["text", "empty", "truncated"])
def not_a_warehouse(request, settings, tmp_path):
    path = tmp_path / f"{request.param}.duckdb"
    if request.param == "text":
        path.write_text("gpu,usd\nH100,2.5\n")
    elif request.param == "empty":
        path.write_bytes(b"")
    else:
        real = a_warehouse(settings)
        path.write_bytes(real.read_bytes()[: real.stat().st_size // 2])
    return path


def test_reading_a_file_that_is_not_a_warehouse_says_so(not_a_warehouse):
    with pytest.raises(WarehouseInvalid, match="is not a pricewatch warehouse"):
        with read_connection(not_a_warehouse):
            pass


def test_writing_to_a_file_that_is_not_a_warehouse_refuses_and_leaves_it_alone(not_a_warehouse):
    before = not_a_warehouse.read_bytes()
    with pytest.raises(WarehouseInvalid, match="is not a pricewatch warehouse"):
        with write_connection(not_a_warehouse):
            pass
    assert not_a_warehouse.read_bytes() == before


def test_a_duckdb_file_without_pricewatch_schema_is_refused_where_a_warehouse_is_required(tmp_path):
    path = tmp_path / "other.duckdb"
    duckdb.connect(str(path)).close()
    with pytest.raises(WarehouseInvalid, match="without pricewatch's schema_migrations"):
        with read_connection(path, require_warehouse=True):
            pass
    with read_connection(path):  # library readers may read bare files (the report handles them)
        pass


def test_a_warehouse_missing_a_migration_says_run_pricewatch_migrate(settings):
    path = a_warehouse(settings)
    newest_version, newest = migration_files()[-1]
    con = duckdb.connect(str(path))
    con.execute("DELETE FROM schema_migrations WHERE version = ?", [newest_version])
    con.close()
    with pytest.raises(WarehouseOutdated, match=f"older schema \\(missing {newest.name}\\): run `pricewatch migrate`"):
        with read_connection(path):
            pass


def test_views_from_another_version_say_run_pricewatch_migrate(settings):
    path = a_warehouse(settings)
    con = duckdb.connect(str(path))
    con.execute("UPDATE semantic_layer SET fingerprint = 'from-an-older-release'")
    con.close()
    with pytest.raises(WarehouseOutdated, match="another pricewatch version: run `pricewatch migrate`"):
        with read_connection(path):
            pass


def test_upgrade_applies_what_is_missing_and_then_nothing(settings):
    path = a_warehouse(settings)
    version, newest = migration_files()[-1]
    con = duckdb.connect(str(path))
    con.execute("DELETE FROM schema_migrations WHERE version = ?", [version])
    if newest.name == "040_semantic_layer.sql":
        con.execute("DROP TABLE semantic_layer")
    con.close()
    assert upgrade(path) == [newest.name]
    assert upgrade(path) == []
    with read_connection(path, require_warehouse=True):
        pass


def test_an_unwritable_folder_is_a_clear_error():
    with pytest.raises(WarehouseUnwritable, match="cannot create the warehouse folder /sys/pricewatch"):
        with write_connection("/sys/pricewatch/pw.duckdb"):
            pass


def test_a_writer_that_cannot_get_the_lock_waits_then_names_the_holder(settings, monkeypatch):
    import subprocess
    import sys
    import time

    path = a_warehouse(settings)
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(path)!r}); "
                               "print('holding', flush=True); time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        started = time.monotonic()
        with pytest.raises(db.WarehouseLocked) as caught:
            with write_connection(path, lock_wait_s=1):
                pass
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert waited >= 1
    assert f"locked by a python process (PID {holder.pid}: python" in str(caught.value)


@pytest.mark.parametrize("argv, expected", [
    (["/opt/venv/bin/python3", "/opt/venv/bin/pricewatch", "sql", "select 1"], "`pricewatch sql` (PID 42)"),
    (["/opt/venv/bin/python3", "/opt/venv/bin/pricewatch", "--help"], "`pricewatch` (PID 42)"),
    (["/usr/bin/python3", "-m", "ipykernel_launcher", "-f", "/tmp/kernel-1.json"],
     "a Jupyter kernel (PID 42: python3 -m ipykernel_launcher -f /tmp/kernel-1.json)"),
    (["/opt/venv/bin/python3", "/opt/venv/bin/dbt", "build"], "dbt (PID 42)"),
    (["/usr/local/bin/duckdb", "data/pricewatch.duckdb"], "the duckdb CLI (PID 42)"),
    (["/usr/bin/python3.11", "notebook.py"], "a python process (PID 42: python3.11 notebook.py)"),
    (["/usr/bin/dbeaver"], "a dbeaver process (PID 42: dbeaver)"),
    ([], "process 42 (its command line is not readable here)"),
])
def test_the_lock_holder_is_described_by_its_command_line(monkeypatch, argv, expected):
    monkeypatch.setattr(db, "_cmdline", lambda pid: argv)
    assert describe_process(42) == expected


def test_the_lock_holder_is_read_from_duckdbs_message(monkeypatch):
    monkeypatch.setattr(db, "_cmdline", lambda pid: ["/usr/bin/python3", "-c", "x"] if pid == 4242 else [])
    message = ('IO Error: Could not set lock on file "/w.duckdb": Conflicting lock is held in /usr/bin/python3.11 '
               '(PID 4242). See also https://duckdb.org/docs/current/connect/concurrency')
    assert db.lock_holder(RuntimeError(message)) == "a python process (PID 4242: python3 -c x)"


def test_copying_a_published_style_file_keeps_it_readable(settings, tmp_path):
    # the publisher copies the checkpointed file; the copy must open on its own
    path = a_warehouse(settings)
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(path, copy)
    with read_connection(copy, require_warehouse=True):
        pass


def test_writers_given_a_path_honour_PRICEWATCH_LOCK_WAIT_S(monkeypatch):
    monkeypatch.setenv("PRICEWATCH_LOCK_WAIT_S", "7.5")
    assert db._target("/x/pw.duckdb", None) == (db.Path("/x/pw.duckdb"), 7.5)
    monkeypatch.delenv("PRICEWATCH_LOCK_WAIT_S")
    assert db._target("/x/pw.duckdb", None)[1] == db.DEFAULT_LOCK_WAIT_S


def test_writers_given_the_settings_use_its_lock_wait(settings):
    from dataclasses import replace

    assert db._target(replace(settings, lock_wait_s=3.0), None) == (settings.db_path, 3.0)
