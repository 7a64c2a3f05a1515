"""LiteLLM (extract 2026-07-24) and OpenRouter (subset 2026-08-01): inference prices and dates."""
from __future__ import annotations

from datetime import date, datetime

import httpx
import pytest
import respx

from scrapers import litellm, openrouter
from scrapers.errors import ParseError
from scrapers.http import HttpClient
from tests.scrapers.token_helpers import HTML_ERROR_PAGE, ingest, parse_fixture, query

LITELLM = "litellm/2026-07-24T182343Z__extract.json"
OPENROUTER = "openrouter/2026-08-01T000000Z__subset.json"


@pytest.fixture(scope="module")
def litellm_result():
    return parse_fixture(litellm.SOURCE, LITELLM)


def _prices(result):
    return {(p.provider, p.model, p.method, p.price_kind): p.usd for p in result.token_prices}


def test_litellm_ft_keys_are_fine_tuned_prices_on_the_base_model_id(litellm_result):
    prices = _prices(litellm_result)
    assert prices[("openai", "gpt-4o-mini-2024-07-18", "inference", "ft_input_per_1m")] == 0.3
    assert prices[("openai", "gpt-4o-mini-2024-07-18", "inference", "ft_cached_input_per_1m")] == 0.15
    assert prices[("openai", "gpt-4.1-2025-04-14", "inference", "ft_output_per_1m")] == 12.0
    assert prices[("openai", "gpt-4o-mini-2024-07-18", "inference", "base_input_per_1m")] == 0.15
    assert not any(model.startswith("ft:") for (_p, model, _m, _k) in prices)


def test_litellm_per_token_prices_become_exact_per_1m(litellm_result):
    prices = _prices(litellm_result)
    assert prices[("openai", "gpt-4o-2024-08-06", "inference", "ft_cached_input_per_1m")] == 1.875
    assert prices[("openai", "gpt-4.1-nano-2025-04-14", "inference", "ft_cached_input_per_1m")] == 0.05


def test_litellm_misfiled_cache_field_is_not_a_cached_price_and_is_reported(litellm_result):
    prices = _prices(litellm_result)
    assert ("openai", "gpt-4o-2024-11-20", "inference", "ft_cached_input_per_1m") not in prices
    assert any("ft:gpt-4o-2024-11-20" in w for w in litellm_result.warnings)


def test_litellm_size_bucket_keys_use_the_bucket_vocabulary(litellm_result):
    buckets = {(prov, model) for (prov, model, _m, _k) in _prices(litellm_result) if prov in ("together", "fireworks")
               and "/" not in model}
    assert ("together", "<=4B") in buckets and ("together", "81.1B-110B") in buckets
    assert ("fireworks", "4.1B-16B") in buckets and ("fireworks", ">16B") in buckets
    assert not any("moe" in m or "176" in m for _p, m in buckets)


def test_litellm_keeps_only_tracked_providers(litellm_result):
    providers = {p.provider for p in litellm_result.token_prices}
    assert providers == {"openai", "together", "fireworks", "vertex"}
    assert ("vertex", "gemini-2.5-flash", "inference", "base_input_per_1m") in _prices(litellm_result)


def test_litellm_deprecation_dates_are_retirements(litellm_result):
    events = {(e.provider, e.model): e for e in litellm_result.lifecycle_events}
    assert events[("openai", "gpt-3.5-turbo-1106")].event == "retired"
    assert events[("openai", "gpt-3.5-turbo-1106")].effective_date == date(2026, 9, 28)
    assert events[("vertex", "gemini-2.0-flash")].effective_date == date(2026, 6, 1)


def test_openrouter_prices_openai_models_per_1m():
    result = parse_fixture(openrouter.SOURCE, OPENROUTER)
    prices = _prices(result)
    assert prices[("openai", "gpt-5.6-sol", "inference", "base_input_per_1m")] == 5.0
    assert prices[("openai", "gpt-5.6-terra", "inference", "base_input_per_1m")] == 1.0
    assert {p.provider for p in result.token_prices} == {"openai"}


def test_openrouter_expiration_dates_are_retirements_and_placeholders_are_ignored():
    result = parse_fixture(openrouter.SOURCE, OPENROUTER)
    events = {e.model: e for e in result.lifecycle_events}
    assert events["gpt-5.2-chat"].event == "retired"
    assert events["gpt-5.2-chat"].effective_date == date(2026, 8, 10)
    assert all(e.effective_date is not None and e.effective_date.year < 2090 for e in result.lifecycle_events)


def test_openrouter_variable_price_sentinel_is_not_a_price():
    body = (b'{"data": [{"id": "openai/gpt-router", "pricing": {"prompt": "-1", "completion": "-1"}},'
            b' {"id": "openai/gpt-x", "pricing": {"prompt": "0.000002", "completion": "0.000008"}}]}'
            + b" " * 1000)  # synthetic
    result = openrouter.parse(body, ext="json", origin="synthetic.json")
    assert {p.model for p in result.token_prices} == {"gpt-x"}


@pytest.mark.parametrize("source", [litellm, openrouter])
def test_an_html_page_instead_of_json_is_a_parse_error(source):
    with pytest.raises(ParseError, match="HTML page"):
        source.parse(HTML_ERROR_PAGE * 200, ext="json", origin="synthetic.json")


@respx.mock
@pytest.mark.parametrize("source", [litellm, openrouter])
def test_fetch_errors_are_recorded_and_add_nothing(settings, source):
    respx.get(source.URL).mock(return_value=httpx.Response(500, content=b"down"))
    with HttpClient(retries=0) as client:
        items = source.fetch(client, settings)
    summary = ingest(settings, source.SOURCE, items, datetime(2026, 8, 20))
    assert "HTTP 500" in summary.errors[0]
    assert query(settings, "SELECT count(*) FROM token_observations") == [(0,)]


@respx.mock
def test_litellm_html_served_with_200_ends_as_a_parse_error(settings):
    respx.get(litellm.URL).mock(return_value=httpx.Response(200, content=HTML_ERROR_PAGE * 200))
    with HttpClient(retries=0) as client:
        items = litellm.fetch(client, settings)
    summary = ingest(settings, litellm.SOURCE, items, datetime(2026, 8, 20))
    assert not summary.ok
    assert query(settings, "SELECT outcome FROM fetch_log") == [("parse_error",)]
