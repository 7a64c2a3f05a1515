"""Together (reconstructed HTML), Fireworks (real changelog, reconstructed estimator) and Vertex
(real model-versions page, reconstructed tuning table)."""
from __future__ import annotations

from datetime import date, datetime

import httpx
import pytest
import respx

from scrapers import fireworks_pricing, together_pricing, vertex_pricing
from scrapers.errors import ParseError
from scrapers.http import HttpClient
from scrapers.token_common import SIZE_BUCKET_RE
from tests.scrapers.token_helpers import HTML_ERROR_PAGE, ingest, parse_fixture, query

# bundled snapshots (snapshots/SOURCES.md says which are real and which reconstructed)
TOGETHER = "together_pricing/2026-02-01T000000Z__reconstructed.html"
FIREWORKS_ESTIMATOR = "fireworks_pricing/2026-10-08T000000Z__cost-estimator-reconstructed.md"
FIREWORKS_CHANGELOG = "fireworks_pricing/2026-08-20T000000Z__changelog.md"
VERTEX_PRICING = "vertex_pricing/2026-08-21T000000Z__pricing-reconstructed.md"
VERTEX_VERSIONS = "vertex_pricing/2026-08-21T000000Z__model-versions.md"


def _prices(result):
    return {(p.model, p.method, p.price_kind): p.usd for p in result.token_prices}


# Together ----------------------------------------------------------------------------------

def test_together_size_table_gives_four_methods_per_bucket():
    prices = _prices(parse_fixture(together_pricing.SOURCE, TOGETHER))
    assert prices[("<=16B", "sft_lora", "training_per_1m_tokens")] == 0.48
    assert prices[("17B-69B", "dpo_full", "training_per_1m_tokens")] == 4.12
    assert prices[("70B-100B", "sft_full", "training_per_1m_tokens")] == 3.2
    assert all(SIZE_BUCKET_RE.match(m) for (m, _me, _k) in prices if m[0] in "<>0123456789")


def test_together_large_models_are_lora_only_with_minimum_charges():
    prices = _prices(parse_fixture(together_pricing.SOURCE, TOGETHER))
    assert prices[("DeepSeek-R1-0528", "sft_lora", "training_per_1m_tokens")] == 10.0
    assert prices[("Kimi-K2-Instruct-0905", "dpo_lora", "min_charge")] == 60.0
    assert prices[("Qwen3-235B-A22B", "sft_lora", "min_charge")] == 0.0
    assert not any(me.endswith("_full") for (m, me, _k) in prices if m.startswith("Kimi"))


def test_together_page_without_the_size_table_is_a_parse_error():
    body = b"<html><body><h2>Fine-tuning</h2><p>Contact sales.</p>" + b"<p>x</p>" * 300 + b"</body></html>"
    with pytest.raises(ParseError, match="size table"):
        together_pricing.parse(body, ext="html", origin="synthetic.html")


def test_together_error_page_is_a_parse_error():
    with pytest.raises(ParseError):
        together_pricing.parse(HTML_ERROR_PAGE * 20, ext="html", origin="synthetic.html")


# Fireworks ---------------------------------------------------------------------------------

def test_fireworks_price_bands_become_buckets_with_fireworks_edges():
    prices = _prices(parse_fixture(fireworks_pricing.SOURCE, FIREWORKS_ESTIMATOR))
    assert prices == {
        ("<=16B", "sft_lora", "training_per_1m_tokens"): 0.5,
        ("<=16B", "dpo_lora", "training_per_1m_tokens"): 1.0,
        ("16.1B-80B", "sft_lora", "training_per_1m_tokens"): 3.0,
        ("16.1B-80B", "dpo_lora", "training_per_1m_tokens"): 6.0,
        ("80.1B-300B", "sft_lora", "training_per_1m_tokens"): 6.0,
        ("80.1B-300B", "dpo_lora", "training_per_1m_tokens"): 12.0,
        (">300B", "sft_lora", "training_per_1m_tokens"): 10.0,
        (">300B", "dpo_lora", "training_per_1m_tokens"): 20.0,
    }


def test_fireworks_changelog_serverless_deprecations_become_events():
    result = parse_fixture(fireworks_pricing.SOURCE, FIREWORKS_CHANGELOG)
    events = {(e.model, e.event): e for e in result.lifecycle_events}
    kimi = events[("kimi-k2p5", "deprecated")]
    assert kimi.effective_date == date(2026, 6, 26) and kimi.replacement == "kimi-k2p6"
    assert kimi.scope == "serverless only"
    llama = events[("llama-3p3-70b-instruct", "retired")]
    assert llama.effective_date == date(2026, 5, 14) and llama.replacement == "gpt-oss-120b"
    assert events[("deepseek-v4-flash", "deprecated")].replacement == "deepseek-v4-flash-0731"
    assert not result.token_prices


def test_fireworks_page_with_neither_bands_nor_changelog_is_a_parse_error():
    with pytest.raises(ParseError, match="price bands"):
        fireworks_pricing.parse(b"# Cost estimator\n\n" + b"Use the widget. " * 100, ext="md", origin="synthetic.md")


@respx.mock
def test_fireworks_fetch_gets_both_pages_and_records_a_failing_one(settings):
    respx.get(fireworks_pricing.ESTIMATOR_URL).mock(return_value=httpx.Response(200, content=HTML_ERROR_PAGE))
    respx.get(fireworks_pricing.CHANGELOG_URL).mock(return_value=httpx.Response(500))
    with HttpClient(retries=0) as client:
        items = fireworks_pricing.fetch(client, settings)
    assert [i.url for i in items] == [fireworks_pricing.ESTIMATOR_URL, fireworks_pricing.CHANGELOG_URL]
    summary = ingest(settings, fireworks_pricing.SOURCE, items, datetime(2026, 8, 20))
    assert len(summary.errors) == 2
    assert sorted(query(settings, "SELECT outcome FROM fetch_log")) == [("http_error",), ("parse_error",)]


# Vertex ------------------------------------------------------------------------------------

def test_vertex_tuning_table_gives_prices_per_model_id():
    prices = _prices(parse_fixture(vertex_pricing.SOURCE, VERTEX_PRICING))
    assert prices[("gemini-2.5-flash", "sft_lora", "training_per_1m_tokens")] == 5.0
    assert prices[("gemini-2.5-flash", "dpo_lora", "training_per_1m_tokens")] == 5.0
    assert prices[("gemini-2.5-flash-lite", "sft_lora", "training_per_1m_tokens")] == 1.5
    assert ("gemini-2.5-pro", "dpo_lora", "training_per_1m_tokens") not in prices


def test_vertex_model_versions_give_firm_retirement_dates_only():
    result = parse_fixture(vertex_pricing.SOURCE, VERTEX_VERSIONS)
    events = {e.model: e for e in result.lifecycle_events}
    assert events["gemini-2.5-flash"].event == "retired"
    assert events["gemini-2.5-flash"].effective_date == date(2026, 10, 20)
    assert events["gemini-2.0-flash"].replacement == "gemini-3.1-flash-lite"
    assert "textembedding-gecko@003" in events  # footnote marker stripped
    assert "gemini-3.5-flash" not in events  # "May 19, 2027 or later" is not a firm date
    assert "gemini-3.7-flash" not in events  # "No retirement date announced"


def test_vertex_html_error_page_is_a_parse_error():
    with pytest.raises(ParseError, match="HTML page"):
        vertex_pricing.parse(HTML_ERROR_PAGE * 20, ext="md", origin="synthetic.md")
