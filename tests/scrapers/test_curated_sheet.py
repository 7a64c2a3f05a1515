"""The curated price sheet: read from the repo, every row in the vocabulary, dated per row."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from core.settings import Settings
from scrapers import curated_sheet
from scrapers.errors import ParseError
from scrapers.http import HttpClient
from scrapers.records import PRICE_KINDS, TOKEN_METHODS
from scrapers.token_common import PROVIDERS, SIZE_BUCKET_RE
from tests.scrapers.conftest import payloads
from tests.scrapers.token_helpers import ingest, query


def _sheet():
    with HttpClient() as client:  # never used: the sheet is read from the repository
        [item] = payloads(curated_sheet.fetch(client, Settings()))
    return item, curated_sheet.parse(item.body, ext="csv", origin=item.url)


def test_fetch_reads_the_repo_file_without_network():
    item, _ = _sheet()
    assert item.url == "file:scrapers/data/fine_tuning_prices.csv"
    assert item.status == 200 and item.ext == "csv"


def test_the_sheet_is_not_a_network_source():
    assert curated_sheet.SOURCE.network is False


def test_every_row_uses_the_vocabulary_and_has_a_source_and_date():
    _, result = _sheet()
    assert len(result.token_prices) > 100
    for p in result.token_prices:
        assert p.provider in PROVIDERS and p.method in TOKEN_METHODS and p.price_kind in PRICE_KINDS
        assert p.source_url and p.as_of is not None and p.usd >= 0


def test_size_buckets_follow_the_cost_engine_pattern():
    _, result = _sheet()
    buckets = {(p.provider, p.model) for p in result.token_prices
               if p.provider in ("together", "fireworks") and p.model[0] in "<>0123456789"}
    assert all(SIZE_BUCKET_RE.match(model) for _, model in buckets)
    assert {m for prov, m in buckets if prov == "together"} == {"<=16B", "17B-69B", "70B-100B"}
    assert {m for prov, m in buckets if prov == "fireworks"} == {"<=16B", "16.1B-80B", "80.1B-300B", ">300B"}


def test_openai_rows_use_dated_ids_and_rft_is_per_training_hour():
    _, result = _sheet()
    prices = {(p.model, p.method, p.price_kind): p.usd for p in result.token_prices if p.provider == "openai"}
    assert prices[("gpt-4.1-2025-04-14", "sft_full", "training_per_1m_tokens")] == 25.0
    assert prices[("gpt-4o-mini-2024-07-18", "inference", "ft_cached_input_per_1m")] == 0.15
    assert prices[("o4-mini-2025-04-16", "rft", "training_per_hour")] == 100.0


def test_bedrock_per_1k_prices_are_converted_to_per_1m():
    _, result = _sheet()
    cohere = [p for p in result.token_prices if p.provider == "bedrock" and p.model == "Cohere-Command"]
    assert [p.usd for p in cohere] == [4.0]


def test_loaded_rows_are_observed_at_their_as_of_date(settings):
    item, _ = _sheet()
    ingest(settings, curated_sheet.SOURCE, [item], observed_at=datetime(2026, 8, 20))
    rows = query(settings, "SELECT observed_at, source_fetch_id FROM token_price_history WHERE source = "
                 "'curated_sheet' AND provider = 'openai' AND model = 'gpt-4.1-2025-04-14' "
                 "AND price_kind = 'training_per_1m_tokens'")
    assert rows[0][0] == datetime.combine(date(2025, 8, 21), datetime.min.time())


def test_reading_the_same_sheet_again_adds_nothing(settings):
    item, _ = _sheet()
    first = ingest(settings, curated_sheet.SOURCE, [item], observed_at=datetime(2026, 8, 20))
    second = ingest(settings, curated_sheet.SOURCE, [item], observed_at=datetime(2026, 8, 21))
    assert first.added > 100 and second.added == 0


def test_a_row_outside_the_vocabulary_is_a_parse_error():
    bad = (b"provider,model,method,price_kind,usd,as_of,source_url\n"
           b"openai,gpt-x,lora,training_per_1m_tokens,1,2026-01-01,u\n")
    with pytest.raises(ParseError, match="method"):
        curated_sheet.parse(bad, ext="csv", origin="synthetic.csv")
