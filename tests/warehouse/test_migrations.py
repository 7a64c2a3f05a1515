"""The warehouse creates its schema on first open and migrates each version once."""
from __future__ import annotations

import duckdb

from tests.sql import scalar
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


def test_sql_source_rank_agrees_with_python(settings):
    from scrapers.registry import source_names, source_rank

    with write_connection(settings.db_path) as con:
        for source in source_names():
            assert scalar(con.execute("SELECT source_rank(?)", [source])) == source_rank(source), source


def test_sql_source_rank_ranks_pages_over_the_sheet_over_feeds(settings):
    with write_connection(settings.db_path) as con:
        ranks = {s: scalar(con.execute("SELECT source_rank(?)", [s]))
                 for s in ("openai_pricing", "curated_sheet", "litellm", "openrouter", "not_a_source")}
    assert ranks == {"openai_pricing": 1, "curated_sheet": 2, "litellm": 3, "openrouter": 3, "not_a_source": 1}


def test_semantic_layer_is_recreated_on_every_write_connection(settings):
    with write_connection(settings.db_path) as con:
        con.execute("DROP VIEW gpu_prices_latest")
    with write_connection(settings.db_path) as con:
        assert con.execute("SELECT count(*) FROM gpu_prices_latest").fetchone() == (0,)


def test_token_prices_current_prefers_the_provider_page_over_feeds_and_the_sheet(settings):
    from datetime import date, datetime

    from scrapers.records import TokenPrice
    from warehouse.load import load_token_prices

    def price(usd, as_of=None):
        return [TokenPrice("openai", "gpt-4.1", "inference", "base_input_per_1m", usd, as_of=as_of)]

    with write_connection(settings.db_path) as con:
        load_token_prices(con, price(2.0), datetime(2026, 8, 1), "openai_pricing", 1)
        load_token_prices(con, price(2.2), datetime(2026, 8, 2), "litellm", 2)
        load_token_prices(con, price(1.9, date(2026, 8, 3)), datetime(2026, 8, 3), "curated_sheet", None)
        rows = con.execute("SELECT usd, source, source_rank FROM token_prices_current").fetchall()
    assert rows == [(2.0, "openai_pricing", 1)]


def test_lifecycle_events_current_has_one_row_per_event_from_the_best_source(settings):
    from datetime import date, datetime

    from scrapers.records import LifecycleEvent
    from warehouse.load import load_lifecycle_events

    event = LifecycleEvent("openai", "gpt-3.5-turbo-1106", "retired", date(2026, 9, 28))
    moved = LifecycleEvent("openai", "gpt-3.5-turbo-1106", "retired", date(2026, 10, 28))
    with write_connection(settings.db_path) as con:
        load_lifecycle_events(con, [event], datetime(2026, 7, 24), "litellm", None)
        load_lifecycle_events(con, [event], datetime(2026, 8, 20), "openai_deprecations", None)
        load_lifecycle_events(con, [moved], datetime(2026, 8, 21), "openai_deprecations", None)
        rows = con.execute("SELECT source, effective_date::VARCHAR FROM model_lifecycle_events_current").fetchall()
    assert rows == [("openai_deprecations", "2026-10-28")]


def test_gpu_offerings_as_of_keeps_only_each_providers_last_load(settings):
    from datetime import datetime

    from scrapers.records import GpuOffer
    from warehouse.load import load_gpu_offers

    def offer(key):
        return GpuOffer("runpod", key, key, key, 1, "secure", 2.0, 2.0)

    with write_connection(settings.db_path) as con:
        load_gpu_offers(con, [offer("A100"), offer("H100")], datetime(2026, 8, 1), 1)
        load_gpu_offers(con, [offer("H100")], datetime(2026, 8, 2), 2)
        on_day_1 = con.execute("SELECT offering_key FROM gpu_offerings_as_of(TIMESTAMP '2026-08-02') "
                               "ORDER BY 1").fetchall()
        on_day_2 = con.execute("SELECT offering_key FROM gpu_offerings_as_of(TIMESTAMP '2026-08-03')").fetchall()
    assert on_day_1 == [("A100",), ("H100",)]
    assert on_day_2 == [("H100",)]  # A100 is no longer listed: gone, not stale


def test_token_prices_as_of_drops_lines_a_page_stopped_listing_but_keeps_dated_sheet_rows(settings):
    from datetime import date, datetime

    from scrapers.records import TokenPrice
    from warehouse.load import load_token_prices

    def line(model, as_of=None):
        return TokenPrice("together", model, "sft_lora", "training_per_1m_tokens", 0.48, as_of=as_of)

    with write_connection(settings.db_path) as con:
        load_token_prices(con, [line("<=16B"), line("17B-69B")], datetime(2026, 8, 1), "together_pricing", 1)
        load_token_prices(con, [line("<=16B")], datetime(2026, 8, 2), "together_pricing", 2)
        load_token_prices(con, [line("70B-100B", date(2026, 2, 1))], datetime(2026, 8, 2), "curated_sheet", 3)
        rows = con.execute("SELECT source, model FROM token_prices_as_of(TIMESTAMP '2026-08-03') "
                           "ORDER BY 1, 2").fetchall()
    assert rows == [("curated_sheet", "70B-100B"), ("together_pricing", "<=16B")]
