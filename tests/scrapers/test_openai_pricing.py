"""OpenAI pricing page (markdown twin, reconstructed fixtures): prices, guards, history."""
from __future__ import annotations

import shutil
from datetime import datetime

import httpx
import pytest
import respx

from core.paths import BUNDLED_SNAPSHOTS
from scrapers import openai_pricing
from scrapers.errors import ParseError
from scrapers.http import HttpClient
from tests.scrapers.conftest import failure, payloads
from tests.scrapers.token_helpers import HTML_ERROR_PAGE, fixture, ingest, parse_fixture, payload, query
from warehouse.replay import replay

JUL_24 = "openai_pricing/2026-07-24T000000Z__reconstructed.md"  # bundled snapshots (reconstructed pages)
AUG_05 = "openai_pricing/2026-08-05T000000Z__reconstructed.md"
FT_MODELS = {"o4-mini-2025-04-16", "o4-mini-2025-04-16:data-sharing", "gpt-4.1-2025-04-14",
             "gpt-4.1-mini-2025-04-14", "gpt-4.1-nano-2025-04-14", "gpt-4o-2024-08-06",
             "gpt-4o-mini-2024-07-18", "gpt-3.5-turbo", "davinci-002", "babbage-002"}


def _prices(name: str = AUG_05) -> dict[tuple[str, str, str], float]:
    result = parse_fixture(openai_pricing.SOURCE, name)
    return {(p.model, p.method, p.price_kind): p.usd for p in result.token_prices}


def _without_fine_tuning_section(body: bytes) -> bytes:  # synthetic: the page lost its table
    text = body.decode()
    kept = text[: text.index("## Fine-tuning")]
    return (kept + "## Batch API\n\n" + "Save 50% on inputs and outputs with the Batch API.\n" * 40).encode()


def test_fine_tuning_rows_give_training_and_fine_tuned_inference_prices():
    prices = _prices()
    assert {m for (m, meth, _k) in prices if meth in ("sft_full", "rft")} == FT_MODELS
    assert prices[("gpt-4.1-nano-2025-04-14", "sft_full", "training_per_1m_tokens")] == 1.5
    assert prices[("gpt-4o-2024-08-06", "inference", "ft_cached_input_per_1m")] == 1.875
    assert prices[("davinci-002", "inference", "ft_output_per_1m")] == 12.0


def test_reinforcement_fine_tuning_is_priced_per_training_hour():
    prices = _prices()
    assert prices[("o4-mini-2025-04-16", "rft", "training_per_hour")] == 100.0
    assert ("o4-mini-2025-04-16", "sft_full", "training_per_1m_tokens") not in prices


def test_base_prices_are_stored_under_the_alias_and_the_dated_snapshot():
    prices = _prices()
    assert prices[("gpt-4.1", "inference", "base_input_per_1m")] == 2.0
    assert prices[("gpt-4.1-2025-04-14", "inference", "base_input_per_1m")] == 2.0
    assert prices[("gpt-4o-mini-2024-07-18", "inference", "base_output_per_1m")] == 0.6
    assert ("gpt-4o-2024-08-06", "inference", "base_input_per_1m") in prices
    assert ("gpt-4o-mini-2024-07-18", "inference", "base_input_per_1m") in prices


def test_a_page_without_its_fine_tuning_table_is_a_parse_error():
    body = _without_fine_tuning_section(fixture(AUG_05))
    with pytest.raises(ParseError, match="fine-tuning table"):
        openai_pricing.parse(body, ext="md", origin="synthetic.md")


def test_an_html_error_page_is_a_parse_error():
    with pytest.raises(ParseError, match="HTML page"):
        openai_pricing.parse(HTML_ERROR_PAGE * 20, ext="md", origin="synthetic.md")


@pytest.mark.parametrize("body, reason", [
    (HTML_ERROR_PAGE * 20, "HTML page"),
    (None, "fine-tuning table"),
])
def test_a_broken_page_is_a_failed_fetch_and_leaves_the_history_untouched(settings, body, reason):
    good = fixture(JUL_24)
    ingest(settings, openai_pricing.SOURCE, [payload("openai_pricing", good)], datetime(2026, 7, 24))
    before = query(settings, "SELECT count(*) FROM token_observations")
    bad = body if body is not None else _without_fine_tuning_section(fixture(AUG_05))

    summary = ingest(settings, openai_pricing.SOURCE, [payload("openai_pricing", bad)], datetime(2026, 8, 5))

    assert not summary.ok and reason in summary.errors[0]
    [(outcome, error)] = query(settings, "SELECT outcome, error FROM fetch_log WHERE observed_at = '2026-08-05'")
    assert outcome == "parse_error" and reason in error and "openai_pricing" in error
    assert query(settings, "SELECT count(*) FROM token_observations") == before


def test_replaying_two_snapshots_gives_two_distinct_prices(settings, tmp_path):
    snaps = tmp_path / "snaps" / "openai_pricing"
    snaps.mkdir(parents=True)
    shutil.copy(BUNDLED_SNAPSHOTS / JUL_24, snaps / "2026-07-24T000000Z.md")
    shutil.copy(BUNDLED_SNAPSHOTS / AUG_05, snaps / "2026-08-05T000000Z.md")

    replay(settings, tmp_path / "snaps")

    rows = query(settings, "SELECT observed_at, usd FROM token_price_history WHERE model = 'gpt-5.6-luna' "
                 "AND price_kind = 'base_input_per_1m' ORDER BY observed_at")
    assert rows == [(datetime(2026, 7, 24), 1.0), (datetime(2026, 8, 5), 0.2)]


@respx.mock
def test_fetch_returns_the_markdown_payload(settings):
    respx.get(openai_pricing.URL).mock(return_value=httpx.Response(200, content=b"# Pricing"))
    with HttpClient(retries=0) as client:
        [item] = payloads(openai_pricing.fetch(client, settings))
    assert item.status == 200 and item.ext == "md" and item.url == openai_pricing.URL


@respx.mock
def test_a_server_error_is_recorded_as_an_http_error(settings):
    respx.get(openai_pricing.URL).mock(return_value=httpx.Response(500, content=b"oops"))
    with HttpClient(retries=0) as client:
        items = openai_pricing.fetch(client, settings)
    summary = ingest(settings, openai_pricing.SOURCE, items, datetime(2026, 8, 20))
    assert "HTTP 500" in summary.errors[0]
    assert query(settings, "SELECT outcome FROM fetch_log") == [("http_error",)]


@respx.mock
def test_an_html_page_instead_of_markdown_ends_as_a_parse_error(settings):
    respx.get(openai_pricing.URL).mock(return_value=httpx.Response(200, content=HTML_ERROR_PAGE * 20))
    with HttpClient(retries=0) as client:
        items = openai_pricing.fetch(client, settings)
    summary = ingest(settings, openai_pricing.SOURCE, items, datetime(2026, 8, 20))
    assert "HTML page" in summary.errors[0]
    assert query(settings, "SELECT outcome FROM fetch_log") == [("parse_error",)]


@respx.mock
def test_an_unreachable_page_is_a_fetch_failure(settings):
    respx.get(openai_pricing.URL).mock(side_effect=httpx.ConnectError("refused"))
    with HttpClient(retries=0, sleep=lambda s: None) as client:
        [item] = openai_pricing.fetch(client, settings)
    assert "connection failed" in failure(item).error
