"""`pricewatch sql` and `pricewatch status` through the real console script."""
from __future__ import annotations

import json
from datetime import datetime

import duckdb

from scrapers.records import FetchFailure, RawPayload
from tests.core.conftest import TOY, toy_body
from warehouse.db import write_connection
from warehouse.ingest import ingest_payloads


def load_toy(settings):
    at = datetime(2026, 11, 1, 6)
    with write_connection(settings.db_path) as con:
        ingest_payloads(con, settings.raw_dir, TOY, [RawPayload("toy", "https://toy.example", 200,
                        toy_body(H100=2.5, A100=1.25), at, "json")], observed_at=at, mode="live")
        ingest_payloads(con, settings.raw_dir, TOY, [FetchFailure("toy", "https://toy.example", "toy: timed out",
                        datetime(2026, 11, 2, 6))], observed_at=datetime(2026, 11, 2, 6), mode="live")


def test_sql_prints_a_table_with_a_row_count(cli, settings):
    load_toy(settings)
    result = cli("sql", "select gpu_model, usd_per_gpu_hour from gpu_price_history order by 1", "--db", str(settings.db_path))
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


def test_sql_uses_PRICEWATCH_DB_when_no_db_flag(cli, settings):
    load_toy(settings)
    result = cli("sql", "select count(*) from fetch_log", "--format", "csv", env={"PRICEWATCH_DB": str(settings.db_path)})
    assert result.stdout.splitlines()[1] == "2"


def test_sql_opens_read_only(cli, settings):
    load_toy(settings)
    result = cli("sql", "delete from gpu_observations", "--db", str(settings.db_path))
    assert result.returncode == 1 and "read-only" in result.stderr.lower()


def test_sql_on_a_locked_warehouse_says_so_without_a_traceback(cli, settings):
    load_toy(settings)
    holder = duckdb.connect(str(settings.db_path))  # another process holds the writer lock
    try:
        result = cli("sql", "select 1", "--db", str(settings.db_path))
    finally:
        holder.close()
    assert result.returncode == 2
    assert "locked by another process" in result.stderr and "Traceback" not in result.stderr


def test_sql_on_a_missing_warehouse_says_how_to_create_it(cli, tmp_path):
    result = cli("sql", "select 1", "--db", str(tmp_path / "none.duckdb"))
    assert result.returncode == 2 and "pricewatch run" in result.stderr and "Traceback" not in result.stderr


def test_sql_reports_a_bad_query_as_an_error_line(cli, settings):
    load_toy(settings)
    result = cli("sql", "select * from no_such_view", "--db", str(settings.db_path))
    assert result.returncode == 1 and "no_such_view" in result.stderr and "Traceback" not in result.stderr


def test_status_shows_last_success_and_recent_failures_per_source(cli, settings):
    load_toy(settings)
    result = cli("status", "--format", "json", "--db", str(settings.db_path))
    [toy] = json.loads(result.stdout)
    assert toy["source"] == "toy"
    assert toy["last_success"] == "2026-11-01T06:00:00"
    assert toy["attempts"] == 2 and "timed out" in toy["last_error"]


def test_help_explains_every_command(cli):
    result = cli("--help")
    for command in ("run", "serve", "replay", "sql", "status"):
        assert command in result.stdout


def test_table_cells_are_printed_verbatim_not_as_markup_or_emoji():
    from pricewatch.output import render

    text = render(["route"], [["hosted:fireworks:[llama]"]])
    assert "hosted:fireworks:[llama]" in text
