"""Edge cases of the token parsers and their shared helpers: a bad payload is a ParseError that
names the field, never a crash, and never a wrong price. Every payload here is SYNTHETIC (built
in the test to exercise one rule), except where a fixture file is named."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from scrapers import curated_sheet, fireworks_pricing, vertex_pricing
from scrapers.base import looks_like_html_error
from scrapers.errors import ParseError
from scrapers.markdown_tables import find_tables
from scrapers.token_common import per_token_usd, plausible_usd, size_bucket, size_bucket_from_text
from tests.scrapers.token_helpers import fixture

HEADER = "provider,model,method,price_kind,usd,as_of,source_url\n"


# The curated sheet ---------------------------------------------------------------------------

def test_a_short_sheet_row_is_a_parse_error_naming_the_line():
    body = (HEADER + "openai,gpt-4.1-2025-04-14,sft_full,training_per_1m_tokens\n").encode()
    with pytest.raises(ParseError, match="line 2: usd"):
        curated_sheet.parse(body, ext="csv", origin="synthetic.csv")


@pytest.mark.parametrize("usd", ["nan", "inf", "-inf"])
def test_a_non_finite_sheet_price_is_a_parse_error(usd):
    body = (HEADER + f"openai,gpt-4.1-2025-04-14,sft_full,training_per_1m_tokens,{usd},2026-01-01,u\n").encode()
    with pytest.raises(ParseError, match="line 2: usd"):
        curated_sheet.parse(body, ext="csv", origin="synthetic.csv")


# Fireworks price bands ---------------------------------------------------------------------

def _estimator(bands: list) -> bytes:
    return (f"# Cost estimator\n\nexport const PRICE_BANDS = {json.dumps(bands)};\n" + "Use the widget. " * 30).encode()


def _labels(bands: list) -> dict[str, float]:
    result = fireworks_pricing.parse(_estimator(bands), ext="md", origin="synthetic.md")
    return {p.model: p.usd for p in result.token_prices if p.method == "sft_lora"}


def test_fireworks_bands_in_any_order_give_the_same_buckets():
    bands = [{"maxParams": None, "sft": 10}, {"maxParams": 80e9, "sft": 3}, {"maxParams": 16e9, "sft": 0.5},
             {"maxParams": 300e9, "sft": 6}]
    assert _labels(bands) == {"<=16B": 0.5, "16.1B-80B": 3.0, "80.1B-300B": 6.0, ">300B": 10.0}


@pytest.mark.parametrize("value", ["16B", True, [16e9], -1])
def test_fireworks_non_numeric_max_params_is_a_parse_error_naming_the_field(value):
    with pytest.raises(ParseError, match=r"price bands\[1\]\.maxParams"):
        _labels([{"maxParams": 16e9, "sft": 0.5}, {"maxParams": value, "sft": 3}])


def test_fireworks_two_open_ended_bands_are_a_parse_error():
    with pytest.raises(ParseError, match="maxParams"):
        _labels([{"maxParams": 16e9, "sft": 0.5}, {"maxParams": None, "sft": 3}, {"maxParams": None, "sft": 6}])


def test_fireworks_duplicate_band_edges_are_a_parse_error():
    with pytest.raises(ParseError, match="maxParams"):
        _labels([{"maxParams": 16e9, "sft": 0.5}, {"maxParams": 16e9, "sft": 3}])


def test_fireworks_a_non_numeric_price_is_a_parse_error():
    with pytest.raises(ParseError, match=r"price bands\[0\]\.sft"):
        _labels([{"maxParams": 16e9, "sft": "0.50"}])


# Size buckets --------------------------------------------------------------------------------

def test_size_bucket_rejects_an_inverted_range_with_a_real_error():
    with pytest.raises(ValueError, match="lower bound"):
        size_bucket(80, 16)


@pytest.mark.parametrize(("label", "bucket"), [
    ("Models >300B (e.g. Llama-3-70B)", ">300B"),
    ("Up to 16B (e.g. Llama-3-8B-70B distill)", "<=16B"),
    ("17B–69B", "17B-69B"),
    ("70-100B", "70B-100B"),
    ("Models 17B - 69B", "17B-69B"),
])
def test_size_labels_read_the_bucket_not_a_model_name_in_the_example(label, bucket):
    assert size_bucket_from_text(label) == bucket


def test_an_inverted_size_label_is_not_a_bucket():
    assert size_bucket_from_text("69B-17B") is None


# HTML error pages ---------------------------------------------------------------------------

PAGE = b"<html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>"


@pytest.mark.parametrize("body", [
    b"\xef\xbb\xbf<!DOCTYPE html>" + PAGE,
    b"\xef\xbb\xbf\n  <html lang=en>" + PAGE[6:],
    b"<!-- cdn edge 42 -->\n<!doctype html>" + PAGE,
    b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<html xmlns=\"http://www.w3.org/1999/xhtml\">" + PAGE[6:],
    b"<head><title>404 Not Found</title></head><body>nginx</body>",
    b"\n\n<body><h1>502 Bad Gateway</h1></body>",
    b"<!-- " + b"x" * 600 + b" -->\n<html>" + PAGE[6:],
])
def test_html_error_pages_are_recognised(body):
    assert looks_like_html_error(body)


@pytest.mark.parametrize("body", [
    b'{"sample_spec": {"note": "<html> in a string"}, "x": "<body>"}',
    b'[{"id": "openai/gpt-x", "description": "renders <html> nicely"}]',
    b"# Pricing\n\nEmbed it with `<html>` and `<body>` tags.\n",
    b"\xef\xbb\xbf# Changelog\n\n<Update label=\"2026-08-14\">text</Update>\n",
    b"| model | price |\n|---|---|\n| a | $1 |\n" + b"x" * 2000 + b"<html>",
])
def test_json_and_markdown_that_mention_html_are_not_error_pages(body):
    assert not looks_like_html_error(body)


# Markdown tables ----------------------------------------------------------------------------

def test_gfm_alignment_rows_with_one_hyphen_make_a_table():
    tables = find_tables("| Model | Price |\n|:-|-:|\n| gpt-x | $1.00 |\n")
    assert [(t.header, t.rows) for t in tables] == [(["Model", "Price"], [["gpt-x", "$1.00"]])]


# Vertex ------------------------------------------------------------------------------------

def _vertex(table: str) -> bytes:
    return ("# Generative AI on Vertex AI pricing\n\n## Tuning\n\n" + table + "\n" + "Prose. " * 100).encode()


def test_vertex_tuning_columns_without_a_per_1m_unit_are_not_read_as_per_1m():
    body = _vertex("| Model | Supervised tuning (per 1K training tokens) |\n|---|---|\n| Gemini 2.5 Flash | $0.005 |\n")
    with pytest.raises(ParseError, match="tuning table"):
        vertex_pricing.parse(body, ext="md", origin="synthetic.md")


def test_vertex_pricing_page_that_mentions_retirement_dates_in_prose_is_still_the_pricing_page():
    body = _vertex("| Model | Supervised tuning (per 1M training tokens) |\n|---|---|\n| Gemini 2.5 Flash | $5.00 |\n"
                   "\nSee the model ID list and each model's retirement date on the versions page.\n")
    result = vertex_pricing.parse(body, ext="md", origin="synthetic.md")
    assert [(p.model, p.usd) for p in result.token_prices] == [("gemini-2.5-flash", 5.0)]


def test_vertex_versions_page_is_told_apart_by_its_table_header():
    versions = "vertex_pricing/2026-08-21T000000Z__model-versions.md"
    result = vertex_pricing.parse(fixture(versions), ext="md", origin=f"snapshots/{versions}")
    # the page's rows with a firm retirement date, counted by hand (29; "or later", "No sooner than"
    # and "No retirement date announced" are not firm)
    assert (len(result.lifecycle_events), result.token_prices) == (29, [])


# Shared price helpers -----------------------------------------------------------------------

def test_plausible_usd_warns_and_skips_outside_the_window():
    warnings: list[str] = []
    assert plausible_usd("$25.00", (0.01, 1000.0), warnings, "src", "m") == 25.0
    assert plausible_usd("$25,000.00", (0.01, 1000.0), warnings, "src", "m") is None
    assert plausible_usd("-", (0.01, 1000.0), warnings, "src", "m") is None
    assert warnings == ["src: implausible price '$25,000.00' for m; skipped"]


@pytest.mark.parametrize(("value", "usd"), [
    (Decimal("1.875e-06"), 1.875), ("0.000002", 2.0), (3e-06, 3.0),
    (0, None), ("0", None), (Decimal("0.0"), None), ("-1", None), (None, None), (True, None), ("n/a", None),
    ("NaN", None), ({"x": 1}, None),
])
def test_per_token_usd_has_one_rule_for_zero_and_non_prices(value, usd):
    assert per_token_usd(value) == usd
