"""Bad input at the edge (issue #14 items 5/7): every case below, driven through the console
script, ends with exit code 2 and ONE line on stderr naming the bad value (and the valid range
where there is one) — never a traceback, never a silent exit 0.

The cost commands (estimate, scenarios, reprice) add their own cases elsewhere."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from core.paths import BUNDLED_SNAPSHOTS
from warehouse.db import write_connection

SNAPSHOTS = str(BUNDLED_SNAPSHOTS)


@dataclass
class Case:
    args: tuple[str, ...]
    says: tuple[str, ...]                      # fragments the one error line must contain
    env: dict[str, str] = field(default_factory=dict)


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout[-500:], result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


# ------------------------------------------------------------- files that are not a warehouse

@pytest.fixture(params=["text", "empty", "truncated"])
def bad_file(request, tmp_path, settings) -> Path:
    path = tmp_path / f"{request.param}.duckdb"
    if request.param == "text":
        path.write_text("provider,usd\nrunpod,2.49\n")
    elif request.param == "empty":
        path.touch()
    else:
        with write_connection(settings.db_path):
            pass
        path.write_bytes(settings.db_path.read_bytes()[: settings.db_path.stat().st_size // 2])
    return path


@pytest.mark.parametrize("command", [
    ("sql", "select 1"), ("status",), ("alerts",), ("migrate",), ("replay", SNAPSHOTS, "--quiet"),
    ("report", "--out", "r.html"),
])
def test_a_file_that_is_not_a_warehouse_is_named_as_such(cli, bad_file, tmp_path, command):
    before = bad_file.read_bytes()
    result = cli(*command, "--db", str(bad_file), cwd=tmp_path)
    assert_one_line_error(result, str(bad_file), "not a pricewatch warehouse")
    assert bad_file.read_bytes() == before


def test_a_duckdb_file_of_something_else_is_named_as_such(cli, tmp_path):
    import duckdb

    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("create table customers (id int)")
    con.close()
    for command in (("sql", "select 1"), ("status",), ("migrate",)):
        assert_one_line_error(cli(*command, "--db", str(other)), "not a pricewatch warehouse")


# --------------------------------------------------------------------------------- settings

SETTINGS_CASES = {
    "retries not a number": Case(("status",), ("PRICEWATCH_HTTP_RETRIES='abc'", "valid: 0 to 10"),
                                 {"PRICEWATCH_HTTP_RETRIES": "abc"}),
    "retries negative": Case(("status",), ("PRICEWATCH_HTTP_RETRIES='-1'", "out of range", "valid: 0 to 10"),
                             {"PRICEWATCH_HTTP_RETRIES": "-1"}),
    "retries negative, run": Case(("run", "--offline", "--no-prefect"), ("PRICEWATCH_HTTP_RETRIES='-1'",),
                                  {"PRICEWATCH_HTTP_RETRIES": "-1"}),
    "retries not a number, run": Case(("run", "--offline", "--no-prefect"), ("PRICEWATCH_HTTP_RETRIES='abc'",),
                                      {"PRICEWATCH_HTTP_RETRIES": "abc"}),
    "lock wait not a number": Case(("status",), ("PRICEWATCH_LOCK_WAIT_S='soon'", "valid: 0 to 3600"),
                                   {"PRICEWATCH_LOCK_WAIT_S": "soon"}),
    "sql memory not a size": Case(("sql", "select 1"), ("PRICEWATCH_SQL_MEMORY_LIMIT='lots'", "e.g. 2GB"),
                                  {"PRICEWATCH_SQL_MEMORY_LIMIT": "lots"}),
    "sql timeout zero": Case(("sql", "select 1"), ("PRICEWATCH_SQL_TIMEOUT_S='0'", "valid: 1 to 86400"),
                             {"PRICEWATCH_SQL_TIMEOUT_S": "0"}),
    "missing snapshots dir": Case(("run", "--offline", "--no-prefect"), ("PRICEWATCH_SNAPSHOTS_DIR=", "/nope",
                                                                         "is not a folder"),
                                  {"PRICEWATCH_SNAPSHOTS_DIR": "/nope"}),
    "unwritable db dir, replay": Case(("replay", SNAPSHOTS, "--init"), ("/sys/pricewatch", "Operation not permitted"),
                                      {"PRICEWATCH_DB": "/sys/pricewatch/pw.duckdb"}),
    "unwritable db dir, migrate": Case(("migrate", "--init"), ("/sys/pricewatch", "Operation not permitted"),
                                       {"PRICEWATCH_DB": "/sys/pricewatch/pw.duckdb"}),
    "unwritable db dir, run": Case(("run", "--offline", "--no-prefect"), ("/sys/pricewatch",),
                                   {"PRICEWATCH_DB": "/sys/pricewatch/pw.duckdb"}),
}


@pytest.mark.parametrize("case", list(SETTINGS_CASES.values()), ids=list(SETTINGS_CASES))
def test_a_bad_setting_is_one_line_naming_it(cli, tmp_path, case):
    assert_one_line_error(cli(*case.args, cwd=tmp_path, env=case.env), *case.says)


@pytest.mark.parametrize("command", [("status",), ("run", "--offline", "--no-prefect"), ("replay", SNAPSHOTS)])
def test_a_data_dir_that_is_a_file_is_named(cli, tmp_path, command):
    (tmp_path / "data").write_text("not a folder")
    result = cli(*command, cwd=tmp_path, env={"PRICEWATCH_DATA_DIR": str(tmp_path / "data")})
    assert_one_line_error(result, "PRICEWATCH_DATA_DIR", str(tmp_path / "data"), "is a file, not a directory")


def test_a_home_that_is_a_file_is_named(cli, tmp_path):
    (tmp_path / "home").write_text("x")
    assert_one_line_error(cli("status", env={"PRICEWATCH_HOME": str(tmp_path / "home")}),
                          "PRICEWATCH_HOME=", "is a file, not a directory")


# ------------------------------------------------------------------------------- arguments

@pytest.fixture
def db(settings) -> str:
    with write_connection(settings.db_path):
        pass
    return str(settings.db_path)


ARGUMENT_CASES = {
    "replay unknown source": Case(("replay", SNAPSHOTS, "--source", "bogus"),
                                  ("'bogus' is not a source", "valid: runpod, vastai, lambda")),
    "replay misspelt source": Case(("replay", SNAPSHOTS, "--source", "runpd"), ("did you mean 'runpod'?",)),
    "replay missing dir": Case(("replay", "/no/such/snapshots"), ("/no/such/snapshots", "does not exist")),
    "alerts since year 1": Case(("alerts", "--since", "0001-01-01"),
                                ("0001-01-01 is out of range", "valid: 2000-01-01 to 2099-12-31")),
    "alerts since year 9999": Case(("alerts", "--since", "9999-12-31"), ("9999-12-31 is out of range",)),
    "alerts since not a date": Case(("alerts", "--since", "yesterday"), ("'yesterday' is not a date",)),
    "alerts bad severity": Case(("alerts", "--severity", "urgent"),
                                ("'urgent' is not a severity", "valid: info, warning, critical")),
    "report year 1": Case(("report", "--as-of", "0001-01-01"), ("0001-01-01 is out of range",)),
    "report year 9999": Case(("report", "--as-of", "9999-12-31"), ("9999-12-31 is out of range",)),
    "sql timeout negative": Case(("sql", "--timeout", "-1", "select 1"), ("-1 is out of range", "more than 0")),
    "sql timeout not a number": Case(("sql", "--timeout", "abc", "select 1"), ("'abc' is not a number",)),
    "sql max rows negative": Case(("sql", "--max-rows", "-5", "select 1"), ("-5 is out of range",)),
    "sql no query": Case(("sql",), ("give a QUERY or --file",)),
    "status stale-after zero": Case(("status", "--stale-after", "0"), ("0 is out of range",)),
    "status stale-after nan": Case(("status", "--stale-after", "nan"), ("nan is out of range",)),
}


@pytest.mark.parametrize("case", list(ARGUMENT_CASES.values()), ids=list(ARGUMENT_CASES))
def test_a_bad_argument_is_one_line_naming_it(cli, db, tmp_path, case):
    assert_one_line_error(cli(*case.args, "--db", db, cwd=tmp_path), *case.says)


def test_a_binary_sql_file_is_refused(cli, db, tmp_path):
    binary = tmp_path / "q.sql"
    binary.write_bytes(bytes(range(256)) * 4)
    assert_one_line_error(cli("sql", "--file", str(binary), "--db", db), str(binary), "not a UTF-8 text file")


def test_a_sql_file_with_nul_bytes_is_refused(cli, db, tmp_path):
    query = tmp_path / "q.sql"
    query.write_bytes(b"select 1;\0\0")
    assert_one_line_error(cli("sql", "--file", str(query), "--db", db), "NUL bytes")


def test_a_huge_sql_file_is_refused(cli, db, tmp_path):
    query = tmp_path / "q.sql"
    query.write_text("select 1;" + " " * 2_000_000)
    assert_one_line_error(cli("sql", "--file", str(query), "--db", db), "at most 1,000,000 bytes")


def test_an_unknown_option_is_one_line_too(cli, db):
    assert_one_line_error(cli("status", "--colour", "--db", db), "No such option '--colour'",
                          "see `pricewatch status --help`")
