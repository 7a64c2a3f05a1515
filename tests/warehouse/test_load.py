"""Bulk loads: columns in, no duplicates without a key index, the latest-observation table kept
in step with the history, lifecycle upserts by identity."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from scrapers.records import GpuOffer, LifecycleEvent, MarketOffer
from warehouse.db import write_connection
from warehouse.load import load_gpu_offers, load_lifecycle_events, load_market_offers
from warehouse.migrate import MIGRATIONS_DIR, migrate

DAY1 = datetime(2026, 11, 1, 6)
DAY2 = datetime(2026, 11, 2, 6)
DAY3 = datetime(2026, 11, 3, 6)


def offer(key: str, usd: float, provider: str = "runpod") -> GpuOffer:
    return GpuOffer(provider, key, "H100 SXM 80GB", "H100 SXM", 1, "secure", usd, usd)


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def test_an_arrow_table_from_a_parser_loads_with_left_out_columns_as_null(settings):
    table = pa.table({"provider": ["vastai", "vastai"], "offer_id": ["1", "2"], "gpu_raw_name": ["RTX 4090"] * 2,
                      "gpu_count": [1, 2], "tier": ["on_demand"] * 2, "usd_per_gpu_hour": [0.3, 0.4],
                      "usd_per_instance_hour": [0.3, 0.8]})
    with write_connection(settings.db_path) as con:
        assert load_market_offers(con, table, DAY1, 7) == 2
        assert rows(con, "SELECT offer_id, gpu_count, machine_id, location, observed_at, source_fetch_id "
                         "FROM market_offers ORDER BY 1") == [
            ("1", 1, None, None, DAY1, 7), ("2", 2, None, None, DAY1, 7)]


def test_a_key_repeated_inside_one_batch_is_stored_once(settings):
    twice = [MarketOffer("vastai", "11684738", "4242", "RTX 4090 24GB", "RTX 4090", 1, "on_demand", 0.25, 0.25)] * 2
    with write_connection(settings.db_path) as con:
        assert load_market_offers(con, twice, DAY1, 1) == 1
        assert rows(con, "SELECT count(*) FROM market_offers") == [(1,)]


def test_the_same_offers_at_a_new_time_are_new_rows_and_a_repeat_adds_none(settings):
    offers = [offer("a", 2.0), offer("b", 3.0)]
    with write_connection(settings.db_path) as con:
        added = [load_gpu_offers(con, offers, DAY1, 1), load_gpu_offers(con, offers, DAY2, 2),
                 load_gpu_offers(con, offers, DAY2, 3)]
        assert added == [2, 2, 0]
        assert rows(con, "SELECT count(*) FROM gpu_observations") == [(4,)]


def test_observation_tables_carry_no_key_index_but_keep_their_not_null_rules(settings):
    with write_connection(settings.db_path) as con:
        found = rows(con, "SELECT table_name, constraint_type, constraint_column_names FROM duckdb_constraints() "
                          "WHERE table_name IN ('gpu_observations', 'market_offers') ORDER BY ALL")
    assert {c for _, c, _ in found} == {"NOT NULL"}
    assert ("gpu_observations", "NOT NULL", ["usd_per_gpu_hour"]) in found
    assert ("market_offers", "NOT NULL", ["offer_id"]) in found


def test_latest_holds_each_offerings_newest_observation(settings):
    with write_connection(settings.db_path) as con:
        load_gpu_offers(con, [offer("a", 2.0), offer("b", 3.0)], DAY1, 1)
        load_gpu_offers(con, [offer("a", 1.5)], DAY2, 2)
        assert rows(con, "SELECT offering_key, usd_per_gpu_hour, observed_at, source_fetch_id "
                         "FROM gpu_observations_latest ORDER BY 1") == [("a", 1.5, DAY2, 2), ("b", 3.0, DAY1, 1)]
        assert rows(con, "SELECT offering_key, usd_per_gpu_hour, is_current FROM gpu_prices_latest ORDER BY 1") == [
            ("a", 1.5, True), ("b", 3.0, False)]


def test_replaying_an_older_day_never_moves_latest_back(settings):
    with write_connection(settings.db_path) as con:
        load_gpu_offers(con, [offer("a", 2.0)], DAY3, 1)
        load_gpu_offers(con, [offer("a", 9.0), offer("c", 4.0)], DAY1, 2)
        latest = rows(con, "SELECT offering_key, usd_per_gpu_hour, observed_at FROM gpu_observations_latest ORDER BY 1")
        assert latest == [("a", 2.0, DAY3), ("c", 4.0, DAY1)]


def test_is_current_is_judged_per_provider(settings):
    with write_connection(settings.db_path) as con:
        load_gpu_offers(con, [offer("a", 2.0, "runpod")], DAY1, 1)
        load_gpu_offers(con, [offer("x", 1.0, "lambda")], DAY1, 2)
        load_gpu_offers(con, [offer("b", 2.2, "runpod")], DAY2, 3)
        assert rows(con, "SELECT provider, offering_key, is_current FROM gpu_prices_latest ORDER BY 1, 2") == [
            ("lambda", "x", True), ("runpod", "a", False), ("runpod", "b", True)]


def test_a_column_added_to_the_history_later_reaches_latest_with_its_values(settings):
    with write_connection(settings.db_path) as con:
        load_gpu_offers(con, [offer("a", 2.0)], DAY1, 1)
        con.execute("ALTER TABLE gpu_observations ADD COLUMN later_note VARCHAR")  # as a later migration would
        con.execute("UPDATE gpu_observations SET later_note = 'low'")
        load_gpu_offers(con, [offer("b", 3.0)], DAY2, 2)
        assert rows(con, "SELECT offering_key, later_note FROM gpu_observations_latest ORDER BY 1") == [
            ("a", "low"), ("b", None)]


def test_migrating_an_older_warehouse_keeps_every_row_and_builds_latest(tmp_path: Path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    for script in sorted(MIGRATIONS_DIR.glob("0[01]*.sql")):  # the schema as it was before 030
        con.execute(script.read_text())
    con.execute("INSERT INTO gpu_observations (observed_at, provider, offering_key, gpu_raw_name, gpu_count, tier, "
                "usd_per_gpu_hour, usd_per_instance_hour, source_fetch_id) VALUES "
                "('2026-11-01 06:00', 'runpod', 'a', 'H100', 1, 'secure', 2.0, 2.0, 1), "
                "('2026-11-02 06:00', 'runpod', 'a', 'H100', 1, 'secure', 1.8, 1.8, 2)")
    con.execute("INSERT INTO market_offers (observed_at, provider, offer_id, gpu_raw_name, gpu_count, tier, "
                "usd_per_gpu_hour, usd_per_instance_hour, source_fetch_id) VALUES "
                "('2026-11-01 06:00', 'vastai', '1', 'RTX 4090', 1, 'on_demand', 0.3, 0.3, 1)")
    con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)")
    con.execute("INSERT INTO schema_migrations SELECT v, 'old', now() FROM (VALUES (1), (2), (3), (4), (5), (6), "
                "(7), (10), (11)) t(v)")
    migrate(con)
    assert rows(con, "SELECT count(*) FROM gpu_observations") == [(2,)]
    assert rows(con, "SELECT count(*) FROM market_offers") == [(1,)]
    assert rows(con, "SELECT offering_key, usd_per_gpu_hour FROM gpu_observations_latest") == [("a", 1.8)]
    con.close()


def test_lifecycle_batch_moves_seen_again_rows_and_supersedes_changed_dates_in_one_call(settings):
    same = LifecycleEvent("openai", "gpt-4o", "retired", date(2026, 12, 1))
    moved = LifecycleEvent("openai", "o1", "retired", date(2026, 12, 1))
    with write_connection(settings.db_path) as con:
        load_lifecycle_events(con, [same, moved], DAY1, "openai_deprecations", None)
        added = load_lifecycle_events(
            con, [same, LifecycleEvent("openai", "o1", "retired", date(2027, 1, 15)),
                  LifecycleEvent("openai", "o3", "retired", None)], DAY2, "openai_deprecations", None)
        assert added == 2
        assert rows(con, "SELECT event_id, model, effective_date::VARCHAR, first_seen_at, last_seen_at, "
                         "supersedes_event_id FROM lifecycle_events ORDER BY event_id") == [
            (1, "gpt-4o", "2026-12-01", DAY1, DAY2, None),
            (2, "o1", "2026-12-01", DAY1, DAY1, None),
            (3, "o1", "2027-01-15", DAY2, DAY2, 2),
            (4, "o3", None, DAY2, DAY2, None),
        ]


def test_an_event_without_a_date_seen_again_is_the_same_row(settings):
    undated = LifecycleEvent("openai", "*", "training_unavailable", None)
    with write_connection(settings.db_path) as con:
        assert load_lifecycle_events(con, [undated], DAY1, "openai_deprecations", None) == 1
        assert load_lifecycle_events(con, [undated], DAY2, "openai_deprecations", None) == 0
        assert rows(con, "SELECT first_seen_at, last_seen_at FROM lifecycle_events") == [(DAY1, DAY2)]


def test_a_column_the_table_lacks_is_a_clear_error_naming_it(settings):
    import pytest

    table = pa.table({"provider": ["vastai"], "offer_id": ["1"], "gpu_raw_name": ["RTX 4090"], "gpu_count": [1],
                      "tier": ["on_demand"], "usd_per_gpu_hour": [0.3], "usd_per_instance_hour": [0.3],
                      "warp_drive": [True]})
    with write_connection(settings.db_path) as con, pytest.raises(ValueError, match="warp_drive"):
        load_market_offers(con, table, DAY1, 1)


def test_offerings_as_of_a_past_cutoff_read_that_days_load_not_the_latest(settings):
    with write_connection(settings.db_path) as con:
        load_gpu_offers(con, [offer("a", 2.0), offer("b", 3.0)], DAY1, 1)
        load_gpu_offers(con, [offer("a", 1.5)], DAY2, 2)
        load_gpu_offers(con, [offer("x", 1.0, "lambda")], DAY3, 3)
        on = {cutoff: rows(con, "SELECT provider, offering_key, usd_per_gpu_hour FROM gpu_offerings_as_of(?) "
                                "ORDER BY 1, 2", [cutoff]) for cutoff in (DAY2, DAY3, datetime(2026, 12, 1))}
    assert on[DAY2] == [("runpod", "a", 2.0), ("runpod", "b", 3.0)]
    assert on[DAY3] == [("runpod", "a", 1.5)]
    assert on[datetime(2026, 12, 1)] == [("lambda", "x", 1.0), ("runpod", "a", 1.5)]
