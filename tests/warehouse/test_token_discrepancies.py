"""token_price_discrepancies: aggregator vs provider page, listed only beyond 1%."""
from __future__ import annotations

from datetime import datetime

from scrapers.records import TokenPrice
from warehouse import load
from warehouse.db import write_connection


def _load(con, source, usd, when, model="gpt-4.1-2025-04-14", kind="ft_input_per_1m"):
    load.load_token_prices(con, [TokenPrice("openai", model, "inference", kind, usd)], when, source, None)


def test_a_disagreement_above_1_percent_is_listed_with_both_sides(settings):
    with write_connection(settings.db_path) as con:
        _load(con, "openai_pricing", 3.00, datetime(2026, 8, 1))
        _load(con, "litellm", 3.10, datetime(2026, 8, 2))
        rows = con.execute("SELECT provider, model, method, price_kind, aggregator_usd, aggregator_source, "
                           "provider_usd, provider_source, pct_diff FROM token_price_discrepancies").fetchall()
    assert rows == [("openai", "gpt-4.1-2025-04-14", "inference", "ft_input_per_1m", 3.10, "litellm",
                     3.00, "openai_pricing", 3.33)]


def test_a_disagreement_of_half_a_percent_is_not_listed(settings):
    with write_connection(settings.db_path) as con:
        _load(con, "openai_pricing", 3.00, datetime(2026, 8, 1))
        _load(con, "openrouter", 3.015, datetime(2026, 8, 2))
        assert con.execute("SELECT count(*) FROM token_price_discrepancies").fetchone() == (0,)


def test_only_the_latest_price_of_each_side_is_compared(settings):
    with write_connection(settings.db_path) as con:
        _load(con, "curated_sheet", 3.00, datetime(2025, 8, 21))
        _load(con, "litellm", 2.00, datetime(2026, 7, 1))  # was wrong ...
        _load(con, "litellm", 3.00, datetime(2026, 7, 24))  # ... and was fixed
        assert con.execute("SELECT count(*) FROM token_price_discrepancies").fetchone() == (0,)


def test_the_newest_provider_page_price_is_the_reference(settings):
    with write_connection(settings.db_path) as con:
        _load(con, "curated_sheet", 1.00, datetime(2025, 8, 21))
        _load(con, "openai_pricing", 0.20, datetime(2026, 8, 5))
        _load(con, "openrouter", 0.10, datetime(2026, 8, 1))
        rows = con.execute("SELECT provider_source, provider_usd, pct_diff FROM token_price_discrepancies").fetchall()
    assert rows == [("openai_pricing", 0.20, -50.0)]


def test_an_aggregator_line_missing_from_its_last_load_is_not_compared(settings):
    with write_connection(settings.db_path) as con:
        _load(con, "openai_pricing", 3.00, datetime(2026, 8, 1))
        _load(con, "litellm", 9.00, datetime(2026, 7, 1))  # litellm dropped this line afterwards ...
        _load(con, "litellm", 1.00, datetime(2026, 7, 24), model="gpt-4o-mini-2024-07-18")  # ... its last load
        assert con.execute("SELECT count(*) FROM token_price_discrepancies").fetchone() == (0,)


def test_a_provider_page_beats_a_newer_curated_sheet_row(settings):
    with write_connection(settings.db_path) as con:
        _load(con, "openai_pricing", 3.00, datetime(2026, 8, 1))
        _load(con, "curated_sheet", 2.50, datetime(2026, 8, 10))  # newer, but the sheet ranks below the page
        _load(con, "litellm", 3.00, datetime(2026, 8, 2))
        assert con.execute("SELECT count(*) FROM token_price_discrepancies").fetchone() == (0,)


def test_both_aggregators_are_listed_against_the_same_provider_price(settings):
    with write_connection(settings.db_path) as con:
        _load(con, "openai_pricing", 3.00, datetime(2026, 8, 1))
        _load(con, "litellm", 3.30, datetime(2026, 8, 2))
        _load(con, "openrouter", 2.70, datetime(2026, 8, 2))
        rows = con.execute("SELECT aggregator_source, provider_source, pct_diff FROM token_price_discrepancies "
                           "ORDER BY aggregator_source").fetchall()
    assert rows == [("litellm", "openai_pricing", 10.0), ("openrouter", "openai_pricing", -10.0)]
