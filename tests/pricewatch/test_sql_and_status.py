"""`pricewatch sql` and `pricewatch status` through the real console script."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta

from core.clock import utcnow
from scrapers.records import FetchFailure, RawPayload
from scrapers.registry import source_names
from tests.warehouse.conftest import TOY, toy_body
from warehouse.db import write_connection
from warehouse.ingest import ingest_payloads
from warehouse.load import FetchLogEntry, insert_fetch_log
from warehouse.publish import publish


def load_toy(settings):
    at = datetime(2026, 11, 1, 6)
    with write_connection(settings.db_path) as con:
        ingest_payloads(con, settings.raw_dir, TOY, [RawPayload("toy", "https://toy.example", 200,
                        toy_body(H100=2.5, A100=1.25), at, "json")], observed_at=at, mode="live")
        ingest_payloads(con, settings.raw_dir, TOY, [FetchFailure("toy", "https://toy.example", "toy: timed out",
                        datetime(2026, 11, 2, 6))], observed_at=datetime(2026, 11, 2, 6), mode="live")


def log_fetches(settings, outcomes: dict[str, str], age: timedelta = timedelta(hours=1)) -> None:
    """One fetch per source, ``age`` ago, with the given outcome."""
    at = (utcnow() - age).replace(microsecond=0)
    with write_connection(settings.db_path) as con:
        for source, outcome in outcomes.items():
            insert_fetch_log(con, FetchLogEntry(source, f"https://{source}.example", at, at, "live", outcome,
                                                error=None if outcome == "ok" else f"{source}: HTTP 503"))


def test_sql_prints_a_table_with_a_row_count(cli, settings):
    load_toy(settings)
    result = cli("sql", "select gpu_model, usd_per_gpu_hour from gpu_price_history order by 1",
                 "--db", str(settings.db_path))
    assert result.returncode == 0, result.stderr
    assert "A100" in result.stdout and "2.5" in result.stdout and "(2 rows)" in result.stdout


def test_sql_formats_csv_and_json(cli, settings):
    load_toy(settings)
    query = "select gpu_model, usd_per_gpu_hour from gpu_price_history order by 1"
    as_csv = cli("sql", query, "--format", "csv", "--db", str(settings.db_path))
    as_json = cli("sql", query, "--format", "json", "--db", str(settings.db_path))
    assert as_csv.stdout.splitlines() == ["gpu_model,usd_per_gpu_hour", "A100,1.25", "H100,2.5"]
    assert json.loads(as_json.stdout) == [{"gpu_model": "A100", "usd_per_gpu_hour": 1.25},
                                          {"gpu_model": "H100", "usd_per_gpu_hour": 2.5}]


def test_sql_reads_a_query_file(cli, settings, tmp_path):
    load_toy(settings)
    query = tmp_path / "q.sql"
    query.write_text("select count(*) as n from gpu_price_history")
    result = cli("sql", "--file", str(query), "--format", "csv", "--db", str(settings.db_path))
    assert result.stdout.splitlines() == ["n", "2"]


def test_sql_file_with_several_statements_prints_every_result(cli, settings, tmp_path):
    load_toy(settings)
    query = tmp_path / "q.sql"
    query.write_text("select count(*) as gpus from gpu_price_history;\nselect 'x' as letter;\n")
    result = cli("sql", "--file", str(query), "--format", "json", "--db", str(settings.db_path))
    assert json.loads(result.stdout) == [
        {"statement": "select count(*) as gpus from gpu_price_history;", "rows": [{"gpus": 2}]},
        {"statement": "select 'x' as letter;", "rows": [{"letter": "x"}]},
    ]


def test_sql_refuses_a_file_with_a_write_among_its_statements_and_runs_none(cli, settings, tmp_path):
    load_toy(settings)
    query = tmp_path / "q.sql"
    query.write_text("select 1;\ndelete from gpu_observations;\n")
    result = cli("sql", "--file", str(query), "--db", str(settings.db_path))
    assert result.returncode == 2
    assert "statement 2 is DELETE" in result.stderr and result.stdout == ""


def test_sql_refuses_two_statements_without_file(cli, settings):
    load_toy(settings)
    result = cli("sql", "select 1; select 2", "--db", str(settings.db_path))
    assert result.returncode == 2 and "one statement per call (got 2)" in result.stderr


def test_sql_uses_PRICEWATCH_DB_when_no_db_flag(cli, settings):
    load_toy(settings)
    result = cli("sql", "select count(*) from fetch_log", "--format", "csv",
                 env={"PRICEWATCH_DB": str(settings.db_path)})
    assert result.stdout.splitlines()[1] == "2"


def test_sql_refuses_writes(cli, settings):
    load_toy(settings)
    result = cli("sql", "delete from gpu_observations", "--db", str(settings.db_path))
    assert result.returncode == 2 and "only runs queries" in result.stderr and "got DELETE" in result.stderr


def test_sql_caps_printed_rows_and_says_so(cli, settings):
    load_toy(settings)
    result = cli("sql", "select * from range(5)", "--max-rows", "3", "--format", "csv", "--db", str(settings.db_path))
    assert result.stdout.splitlines() == ["range", "0", "1", "2"]
    assert "only the first 3 rows" in result.stderr


def _hold(path, read_only: bool) -> subprocess.Popen:
    """Another process holding the DuckDB file open, as a notebook would."""
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(path)!r}, read_only={read_only}); "
                               "print('holding', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    return holder


def test_sql_reads_the_published_copy_while_a_writer_holds_the_warehouse(cli, settings):
    load_toy(settings)
    publish(settings)
    holder = _hold(settings.db_path, read_only=False)
    try:
        result = cli("sql", "select count(*) from gpu_price_history", "--format", "csv", "--db", str(settings.db_path))
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["count_star()", "2"]


def test_sql_on_a_locked_unpublished_warehouse_names_the_holder_without_a_traceback(cli, settings):
    load_toy(settings)
    holder = _hold(settings.db_path, read_only=False)
    try:
        result = cli("sql", "select 1", "--db", str(settings.db_path))
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 2
    assert f"is locked by a python process (PID {holder.pid}: " in result.stderr
    assert "Traceback" not in result.stderr


def test_sql_on_a_missing_warehouse_says_how_to_create_it(cli, tmp_path):
    result = cli("sql", "select 1", "--db", str(tmp_path / "none.duckdb"))
    assert result.returncode == 2 and "pricewatch run" in result.stderr and "Traceback" not in result.stderr


def test_sql_reports_a_bad_query_as_an_error_line(cli, settings):
    load_toy(settings)
    result = cli("sql", "select * from no_such_view", "--db", str(settings.db_path))
    assert result.returncode == 1 and "no_such_view" in result.stderr and "Traceback" not in result.stderr


def test_sql_notes_when_the_warehouse_changed_after_the_published_copy(cli, settings):
    load_toy(settings)
    publish(settings)
    log_fetches(settings, {"toy": "ok"})
    result = cli("sql", "select count(*) from fetch_log", "--format", "csv", "--db", str(settings.db_path))
    assert result.stdout.splitlines()[1] == "2"  # the copy: the third fetch came after it
    assert "the warehouse has changed since" in result.stderr


def test_status_shows_last_success_and_recent_failures_per_source(cli, settings):
    load_toy(settings)
    result = cli("status", "--format", "json", "--db", str(settings.db_path))
    toy = next(row for row in json.loads(result.stdout) if row["source"] == "toy")
    assert toy["last_success"] == "2026-11-01T06:00:00"
    assert toy["attempts"] == 2 and "timed out" in toy["last_error"]
    assert toy["state"] == "failing"  # its latest batch (2026-11-02) failed


def test_status_lists_every_registered_source_never_fetched_as_never(cli, settings):
    load_toy(settings)
    rows = json.loads(cli("status", "--format", "json", "--db", str(settings.db_path)).stdout)
    states = {row["source"]: row["state"] for row in rows}
    assert {name: states[name] for name in source_names()} == {name: "never" for name in source_names()}


def test_status_exits_0_when_every_source_fetched_fine_recently(cli, settings):
    log_fetches(settings, {name: "ok" for name in source_names()})
    result = cli("status", "--db", str(settings.db_path))
    assert result.returncode == 0, result.stderr


def test_status_exits_1_and_names_a_stale_source(cli, settings):
    log_fetches(settings, {name: "ok" for name in source_names()})
    with write_connection(settings.db_path) as con:  # vastai's only success: 3 days old
        con.execute("UPDATE fetch_log SET fetched_at = fetched_at - INTERVAL 3 DAY WHERE source = 'vastai'")
    result = cli("status", "--db", str(settings.db_path))
    assert result.returncode == 1
    assert f"1 of {len(source_names())} sources need attention: vastai stale" in result.stderr


def test_status_exits_1_and_names_a_failing_source(cli, settings):
    log_fetches(settings, {name: "ok" for name in source_names()}, age=timedelta(hours=2))
    log_fetches(settings, {"lambda": "http_error"})
    result = cli("status", "--db", str(settings.db_path))
    assert result.returncode == 1
    assert "lambda failing" in result.stderr


def test_status_stale_after_is_configurable(cli, settings):
    log_fetches(settings, {name: "ok" for name in source_names()}, age=timedelta(hours=30))
    assert cli("status", "--db", str(settings.db_path)).returncode == 0
    assert cli("status", "--stale-after", "24", "--db", str(settings.db_path)).returncode == 1


def test_help_explains_every_command(cli):
    result = cli("--help")
    for command in ("run", "serve", "replay", "sql", "status", "migrate", "paths"):
        assert command in result.stdout


def test_table_cells_are_printed_verbatim_not_as_markup_or_emoji():
    from pricewatch.output import render

    text = render(["route"], [["hosted:fireworks:[llama]"]])
    assert "hosted:fireworks:[llama]" in text
