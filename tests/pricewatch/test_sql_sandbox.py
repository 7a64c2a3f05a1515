"""`pricewatch sql` cannot touch the machine (issue #14): through the console script, every
statement below fails with one line, writes nothing anywhere, and leaves the warehouse and its
published copy byte-identical."""
from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from tests.pricewatch.test_sql_and_status import load_toy
from warehouse.publish import publish

ESCAPES = [
    "copy (select 1) to 'x.csv'",
    "export database 'd'",
    "select * from read_csv('/etc/passwd')",
    "attach 'n.duckdb' (read_write)",
    "load json",
    "install httpfs",
    "select * from read_blob('/proc/self/environ')",
    "select * from glob('/etc/*')",
    "set memory_limit='100GB'",
    "create temp table t as select 1",
    "pragma enable_profiling",
    "explain analyze copy (select 1) to 'y.csv'",
]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): _digest(p) if p.is_file() else "dir" for p in sorted(root.rglob("*"))}


@pytest.fixture
def warehouse(settings, tmp_path):
    """A published warehouse under tmp_path; the commands run with tmp_path/cwd as working directory."""
    load_toy(settings)
    publish(settings)
    (tmp_path / "cwd").mkdir()
    return settings


@pytest.mark.parametrize("statement", ESCAPES)
def test_an_escape_fails_with_one_line_and_changes_no_file(cli, warehouse, tmp_path, statement):
    before = _tree(tmp_path)
    result = cli("sql", statement, "--db", str(warehouse.db_path), cwd=tmp_path / "cwd")
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert "Nothing was run" in result.stderr and result.stdout == ""
    assert _tree(tmp_path) == before  # no x.csv, no d/, no n.duckdb, warehouse and copy byte-identical


def test_a_statement_type_refusal_names_the_statement(cli, warehouse):
    result = cli("sql", "load json", "--db", str(warehouse.db_path))
    assert "only runs queries" in result.stderr and "got LOAD" in result.stderr


def test_a_file_access_refusal_names_the_file(cli, warehouse):
    result = cli("sql", "select * from read_csv('/etc/passwd')", "--db", str(warehouse.db_path))
    assert '"/etc/passwd"' in result.stderr and "no files, network or extensions" in result.stderr


def test_a_long_query_stops_at_the_timeout_with_one_line(cli, warehouse, tmp_path):
    before = _tree(tmp_path)
    started = time.monotonic()
    result = cli("sql", "--timeout", "2", "select count(*) from range(1000000000000)", "--db", str(warehouse.db_path))
    elapsed = time.monotonic() - started
    assert result.returncode == 1
    assert result.stderr == "error: query stopped after 2 s (--timeout 2); narrow it down or raise --timeout / " \
                            "PRICEWATCH_SQL_TIMEOUT_S\n"
    assert elapsed < 20  # the count alone would run for many minutes; 2 s plus start-up is expected
    assert _tree(tmp_path) == before


def test_the_timeout_defaults_to_PRICEWATCH_SQL_TIMEOUT_S(cli, warehouse):
    result = cli("sql", "select count(*) from range(1000000000000)", "--db", str(warehouse.db_path),
                 env={"PRICEWATCH_SQL_TIMEOUT_S": "1"})
    assert result.returncode == 1 and "query stopped after 1 s" in result.stderr


def test_the_issue_literal_range_1e12_is_refused_by_duckdb_at_once(cli, warehouse):
    # DuckDB 2.0 has no range(DOUBLE): the query from the issue fails when bound, before running
    result = cli("sql", "--timeout", "2", "select count(*) from range(1e12)", "--db", str(warehouse.db_path))
    assert result.returncode == 1
    assert result.stderr.startswith("error: Binder Error") and result.stderr.count("\n") == 1


def test_memory_is_capped_and_nothing_spills_to_disk(cli, warehouse):
    result = cli("sql", "select current_setting('memory_limit') as m, current_setting('temp_directory') as t, "
                        "current_setting('max_temp_directory_size') as s", "--format", "json",
                 "--db", str(warehouse.db_path), env={"PRICEWATCH_SQL_MEMORY_LIMIT": "100MiB"})
    assert result.stdout.replace(" ", "").replace("\n", "") == '[{"m":"100.0MiB","t":"","s":"0bytes"}]'


def test_a_query_over_the_memory_limit_fails_with_one_line(cli, warehouse, tmp_path):
    before = _tree(tmp_path)
    result = cli("sql", "select max(s) from (select range::varchar || repeat('x', 40) as s from range(30000000) "
                        "order by s)", "--db", str(warehouse.db_path), env={"PRICEWATCH_SQL_MEMORY_LIMIT": "100MiB"})
    assert result.returncode == 1
    assert result.stderr.startswith("error: query needs more than the 100 MiB memory limit")
    assert _tree(tmp_path) == before


def test_the_default_memory_limit_is_a_quarter_of_the_ram(cli, warehouse):
    from core.settings import physical_memory_mb

    result = cli("sql", "select current_setting('memory_limit') as m", "--format", "csv",
                 "--db", str(warehouse.db_path))
    limit = result.stdout.splitlines()[1]
    value, unit = limit.split()
    mib = float(value) * {"MiB": 1, "GiB": 1024}[unit]
    assert abs(mib - physical_memory_mb() / 4) < 0.01 * physical_memory_mb()


def test_queries_describe_and_explain_still_work(cli, warehouse):
    for statement in ("describe gpu_price_history", "show tables", "summarize gpu_price_history",
                      "explain select * from gpu_prices_latest", "with x as (select 1 as a) select a from x"):
        result = cli("sql", statement, "--db", str(warehouse.db_path))
        assert result.returncode == 0, (statement, result.stderr)
