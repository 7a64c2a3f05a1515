"""Readers never block the writer (issue #10): readers open the published copy, which writers
replace atomically at the end of a write; the writer waits a configurable time for its own lock
and names the process that holds it."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb

from core.paths import BUNDLED_SNAPSHOTS
from tests.pricewatch.conftest import CONSOLE_SCRIPT
from tests.pricewatch.test_sql_and_status import load_toy
from tests.sql import scalar
from warehouse.publish import publish

READER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print("open", flush=True)
while True:   # a notebook re-running a cell: every query must keep working
    try:
        print(con.execute("select count(*) from gpu_price_history").fetchone()[0], flush=True)
    except Exception as exc:
        print("ERROR", exc, flush=True)
    time.sleep(0.05)
"""


def _start_reader(path: Path) -> subprocess.Popen:
    reader = subprocess.Popen([sys.executable, "-c", READER, str(path)], stdout=subprocess.PIPE, text=True)
    assert reader.stdout is not None and reader.stdout.readline().strip() == "open"
    return reader


def _stop(process: subprocess.Popen) -> str:
    process.kill()
    out, _ = process.communicate()
    return out or ""


def _hold(path: Path, seconds: float = 60) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(path)!r}); "
                               f"print('holding', flush=True); time.sleep({seconds}); c.close()"],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    return holder


def _count(path: Path, where: str = "true") -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return int(scalar(con.execute(f"select count(*) from gpu_price_history where {where}")))
    finally:
        con.close()


def test_a_reader_holding_the_published_copy_for_a_whole_write_makes_no_write_step_fail(cli, settings):
    load_toy(settings)  # 2 GPU rows
    publish(settings)
    reader = _start_reader(settings.published_db)
    try:
        env = {"PRICEWATCH_DATA_DIR": str(settings.data_dir), "PRICEWATCH_LOCK_WAIT_S": "5"}
        replayed = cli("replay", str(BUNDLED_SNAPSHOTS), "--db", str(settings.db_path), "--quiet", env=env)
        migrated = cli("migrate", "--db", str(settings.db_path), env=env)
        time.sleep(0.2)
    finally:
        seen = _stop(reader).split()
    assert replayed.returncode == 0, replayed.stderr
    assert migrated.returncode == 0, migrated.stderr
    assert len(seen) > 10 and "ERROR" not in seen  # it kept querying the whole time ...
    assert set(seen) == {"2"}  # ... its own snapshot, undisturbed
    # the toy's 2 rows and the bundled snapshots' RunPod 152 + Lambda 38 + Vast.ai 2 GPU rows, plus the
    # other sources' rows (the SkyPilot catalogue's): the published copy holds what the warehouse holds
    assert _count(settings.published_db, "source IN ('toy', 'runpod', 'lambda', 'vastai')") == 2 + 152 + 38 + 2
    assert _count(settings.published_db) == _count(settings.db_path) > 2 + 152 + 38 + 2


def test_writers_wait_for_the_lock_and_go_on_when_it_is_released(cli, settings):
    load_toy(settings)
    holder = _hold(settings.db_path, seconds=2)
    try:
        result = cli("migrate", "--db", str(settings.db_path), env={"PRICEWATCH_LOCK_WAIT_S": "30"})
    finally:
        _stop(holder)
    assert result.returncode == 0, result.stderr


def test_a_writer_that_gives_up_names_the_python_process_holding_the_lock(cli, settings):
    load_toy(settings)
    holder = _hold(settings.db_path)
    try:
        result = cli("migrate", "--db", str(settings.db_path), env={"PRICEWATCH_LOCK_WAIT_S": "1"})
    finally:
        _stop(holder)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: The warehouse {settings.db_path} is locked by a python process "
                                    f"(PID {holder.pid}: python")
    assert "waited 1 s" in result.stderr and result.stderr.count("\n") == 1


def test_a_writer_names_a_pricewatch_sql_holding_an_unpublished_warehouse(cli, settings):
    load_toy(settings)  # not published: `sql` falls back to the warehouse itself
    sql = subprocess.Popen([str(CONSOLE_SCRIPT), "sql", "--timeout", "60", "--db", str(settings.db_path),
                            "select count(*) from range(1000000000000)"], stderr=subprocess.PIPE, text=True)
    try:
        assert sql.stderr is not None and "no published copy" in sql.stderr.readline()
        result = cli("migrate", "--db", str(settings.db_path), env={"PRICEWATCH_LOCK_WAIT_S": "1"})
    finally:
        _stop(sql)
    assert result.returncode == 2
    assert f"is locked by `pricewatch sql` (PID {sql.pid})" in result.stderr
