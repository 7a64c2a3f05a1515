"""The guard every ``Source.parse`` goes through (scrapers/base.py, scrapers/limits.py) and the
shared numeric boundary (scrapers/values.py). Parsers here are SYNTHETIC toys written to break
one rule each."""
from __future__ import annotations

import math
import time

import pyarrow as pa
import pytest

from scrapers.base import Source, parse_json
from scrapers.errors import ParseError
from scrapers.html_tables import MAX_COLSPAN, find_html_tables
from scrapers.limits import ParseTimeout, call_with_deadline, check_html_depth, json_depth
from scrapers.markdown_tables import find_tables, sections
from scrapers.records import GpuOffer, ParseResult, TokenPrice
from scrapers.registry import available_sources
from scrapers.values import plausible_token_price, token_price
from tests.scrapers.conftest import gpu_table


def toy(parse, **kw) -> Source:
    return Source("toy", "gpu", "toy parser", fetch=lambda client, settings: [], parse=parse, **kw)


def offer(usd: float, count: int = 1, raw: str = "H100") -> GpuOffer:
    return GpuOffer("toy", f"{raw}|{usd}", None, raw, count, "on_demand", usd, usd * count)


# --- the guard ----------------------------------------------------------------------------------

def test_a_stray_exception_becomes_a_parse_error_naming_source_and_exception():
    def parse(body, *, ext, origin):
        bands: dict[str, float] = {}
        return bands["maxParams"]

    with pytest.raises(ParseError, match=r"toy: field 'body' in f.json: unexpected KeyError .*'maxParams'"):
        toy(parse).parse(b"{}", ext="json", origin="f.json")


def test_a_parse_over_the_time_limit_is_stopped_and_named():
    def parse(body, *, ext, origin):
        while True:
            pass

    started = time.monotonic()
    with pytest.raises(ParseError, match="parsing took over 0.3 s and was stopped"):
        toy(parse, time_limit_s=0.3).parse(b"x", ext="json", origin="f.json")
    assert time.monotonic() - started < 5


def test_a_body_over_the_size_limit_is_refused_unparsed():
    calls = []

    with pytest.raises(ParseError, match="over the 1,000-byte limit"):
        toy(lambda body, **kw: calls.append(body), max_bytes=1000).parse(b"x" * 1001, ext="json", origin="f")
    assert calls == []


@pytest.mark.parametrize("source", available_sources(), ids=lambda s: s.name)
def test_a_50_mb_body_is_refused_quickly_by_every_source(source):
    started = time.monotonic()
    with pytest.raises(ParseError, match="limit for this source"):
        source.parse(b"{" + b" " * 50_000_000 + b"}", ext="json", origin="big.json")
    assert time.monotonic() - started < 2


def test_html_nested_out_of_bounds_is_refused_before_the_parser_runs():
    calls = []

    with pytest.raises(ParseError, match="nested over 512 deep"):
        toy(lambda body, **kw: calls.append(body)).parse(b"<html><body>" + b"<div>" * 600, ext="html", origin="p")
    assert calls == []


def test_records_with_non_finite_or_implausible_numbers_are_dropped_with_one_warning():
    def parse(body, *, ext, origin):
        return ParseResult(gpu_offers=[offer(2.5), offer(math.nan), offer(math.inf), offer(1e12), offer(0.0),
                                       offer(2.0, count=-5), offer(2.0, raw="")],
                           token_prices=[TokenPrice("openai", "m", "sft_full", "training_per_1m_tokens", math.inf),
                                         TokenPrice("together", "m", "sft_lora", "min_charge", 0.0)])

    result = toy(parse).parse(b"x", ext="json", origin="f")

    assert [o.usd_per_gpu_hour for o in result.gpu_offers] == [2.5]
    assert [(p.price_kind, p.usd) for p in result.token_prices] == [("min_charge", 0.0)]
    assert len(result.warnings) == 2 and "6 GPU offers dropped" in result.warnings[0]


def test_arrow_tables_are_vetted_column_wise():
    table = pa.table({"provider": ["toy"] * 3, "offering_key": ["a", "b", "c"], "gpu_raw_name": ["H100"] * 3,
                      "gpu_count": [1, 1, 0], "tier": ["on_demand"] * 3,
                      "usd_per_gpu_hour": [2.0, math.nan, 2.0], "usd_per_instance_hour": [2.0, 2.0, 2.0]})

    result = toy(lambda body, **kw: ParseResult(market_offers=[], gpu_offers=table)).parse(b"x", ext="json",
                                                                                          origin="f")

    assert gpu_table(result).column("offering_key").to_pylist() == ["a"]


def test_extra_keywords_reach_the_parser():
    seen = {}

    def parse(body, *, ext, origin, url=None):
        seen["url"] = url
        return ParseResult()

    toy(parse).parse(b"x", ext="csv", origin="f", url="https://example.invalid/aws.csv")
    assert seen == {"url": "https://example.invalid/aws.csv"}


def test_the_module_parse_stays_reachable_unguarded():
    def parse(body, *, ext, origin):
        raise KeyError("x")

    with pytest.raises(KeyError):
        toy(parse).raw_parse(b"", ext="json", origin="f")


# --- limits -------------------------------------------------------------------------------------

def test_a_deadline_that_fires_as_the_call_returns_never_lands_later():
    for _ in range(500):  # about half of these time out, some exactly as the call returns
        try:
            call_with_deadline(lambda: sum(range(2000)), 0.00005)
        except ParseTimeout:
            pass
    time.sleep(0.05)
    assert sum(range(100_000)) == 4_999_950_000  # still running: nothing pending was raised here


def test_json_depth_ignores_brackets_inside_strings():
    assert json_depth(b'[{"a": "[[[[{{{{", "b": [1, [2]]}]') == 4


def test_json_depth_sees_escaped_quotes_inside_strings():
    # an escaped quote does not end the string; an escaped backslash before a quote does
    assert json_depth(rb'["a\"]]]]", [[1]]]') == 3
    assert json_depth(rb'["a\\", [[1]]]') == 3


def test_deep_json_is_a_parse_error_before_decoding():
    with pytest.raises(ParseError, match="nested 100000 deep"):
        parse_json("src", b"[" * 100_000 + b"]" * 100_000, field="data", origin="f.json")


def test_many_shallow_html_regions_exceed_the_work_bound():
    with pytest.raises(ParseError, match="tree-building steps"):
        check_html_depth((b"<div>" * 500 + b"</div>" * 500) * 1000, source="s", origin="o")


def test_a_real_sized_flat_page_passes_the_html_checks():
    check_html_depth(b"<html><body>" + b"<table><tr><td>x</td></tr></table>" * 10_000, source="s", origin="o")


# --- bounded table expansion -------------------------------------------------------------------

def test_colspan_is_clamped_to_the_html_standard_limit():
    html = '<table><tr><th>Size</th><th colspan="99999999999">Price</th></tr><tr><td>a</td><td>$1</td></tr></table>'
    [table] = find_html_tables(html)
    assert len(table.header) == 1 + MAX_COLSPAN


def test_rowspan_stops_at_the_last_row():
    html = '<table><tr><th>A</th><th>B</th></tr><tr><td rowspan="99999999">x</td><td>1</td></tr></table>'
    [table] = find_html_tables(html)
    assert table.rows == [["x", "1"]]


def test_spans_still_expand_as_written():
    html = ('<table><thead><tr><th rowspan="2">Size</th><th colspan="2">SFT</th></tr>'
            '<tr><th>LoRA</th><th>Full</th></tr></thead><tbody><tr><td>8B</td><td>$1</td><td>$2</td></tr></tbody></table>')
    [table] = find_html_tables(html)
    assert table.header == ["Size", "SFT LoRA", "SFT Full"] and table.rows == [["8B", "$1", "$2"]]


def test_a_page_expanding_to_too_many_cells_is_a_parse_error():
    html = "<table>" + '<tr><td colspan="1000">x</td></tr>' * 600 + "</table>"
    with pytest.raises(ParseError, match="expand to over"):
        find_html_tables(html, source="src", origin="page.html")


# --- markdown helpers without backtracking ----------------------------------------------------

def test_a_heading_keeps_its_text_and_loses_a_closing_sequence():
    text = "## Prices ##\n| a |\n|---|\n| 1 |\n### C# pricing\n| b |\n|---|\n| 2 |\n"
    assert [t.heading for t in find_tables(text)] == ["Prices", "C# pricing"]


def test_a_line_of_100k_hashes_is_read_in_no_time():
    started = time.monotonic()
    sections("### " + "#" * 100_000 + "\n" + "x " * 100_000)
    assert time.monotonic() - started < 1


# --- the numeric boundary ----------------------------------------------------------------------

@pytest.mark.parametrize(("usd", "kind", "ok"), [
    (25.0, "training_per_1m_tokens", True), (0.0, "training_per_1m_tokens", False), (0.0, "min_charge", True),
    (10_000.0, "ft_output_per_1m", True), (10_000.01, "ft_output_per_1m", False), (math.nan, "min_charge", False),
    (math.inf, "training_per_hour", False), (-1.0, "min_charge", False), (10**400, "min_charge", False),
    (True, "min_charge", False), ("1", "min_charge", False), (1.0, "per_banana", False),
])
def test_plausible_token_price(usd, kind, ok):
    assert plausible_token_price(usd, kind) is ok


@pytest.mark.parametrize(("value", "usd"), [("1.5", 1.5), ("1,250", 1250.0), ("1e400", None), ("NaN", None),
                                            (10**400, None), ([1], None), ("abc", None)])
def test_token_price_reads_what_it_can_and_never_raises(value, usd):
    assert token_price(value, "training_per_1m_tokens") == usd
