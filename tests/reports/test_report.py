"""Rendering and writing the report: one self-contained page, written where the pipeline expects it."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest
from click.testing import CliRunner

from pricewatch.cli import main
from reports.daily import latest_summary, read_report_data, render_latest, write_report
from reports.summary import render_summary
from warehouse.db import WarehouseMissing

AS_OF = date(2026, 2, 11)


def test_render_latest_writes_the_dated_page_and_latest_and_says_where(history):
    summary = render_latest(history)
    dated = history.reports_dir / "2026-02-11.html"
    assert dated.read_bytes() == (history.reports_dir / "latest.html").read_bytes()
    assert str(dated) in summary and "MB" in summary and "\n" not in summary


def test_the_page_needs_no_script_nor_network_and_weighs_under_the_limit(history):
    written = write_report(history)
    html = written.path.read_text()
    assert "<script" not in html  # the charts are inline SVG, drawn by the browser itself
    assert not re.search(r"<(link|img|iframe)[^>]+(src|href)=\"(https?:)?//", html)
    assert "@import" not in html and "url(http" not in html
    assert written.bytes <= 1_500_000


def test_each_chart_is_inline_svg_with_a_trace_per_series_and_hover_values_per_price_run(history):
    html = write_report(history).path.read_text()
    h100 = html.split('id="chart-gpu-h100-sxm-80gb"')[1].split("</figure>")[0]
    assert h100.count("<svg") == 1 + h100.count('<svg viewBox="0 0 22 10"')  # the chart, then legend marks
    assert re.findall(r'<g class="trace" data-name="([^"]+)"', h100) == [
        "lambda · on_demand", "runpod · secure", "runpod · secure_spot", "cheapest"]
    # each run of an unchanged price has a tooltip with its value and days (conftest GPU_PRICES:
    # runpod secure 2.99 from 2026-01-06, 2.79 from 01-25, 2.69 on 02-11; Lambda 2.99 throughout
    # but not reached on 02-01)
    titles = re.findall(r'<g class="hover">.*?</g>', h100, re.S)[0]
    assert "<title>runpod · secure: $2.790/GPU-h\n2026-01-25 to 2026-02-10, 17 observation days</title>" in titles
    assert "<title>runpod · secure: $2.690/GPU-h\n2026-02-11</title>" in titles
    assert "<title>lambda · on_demand: $2.990/GPU-h\n2026-01-06 to 2026-02-11, 36 observation days</title>" in titles
    assert "<title>cheapest: $2.690/GPU-h (runpod · secure)\n2026-02-11</title>" in titles


def test_the_page_has_every_section_and_the_expected_charts(history):
    html = write_report(history).path.read_text()
    for section in ("headline", "gpu", "cheapest", "tokens", "scenarios", "lifecycle", "sources"):
        assert f'<section id="{section}">' in html and f'href="#{section}"' in html
    charts = re.findall(r'class="chart js-chart" id="([^"]+)"', html)
    assert charts[:4] == ["chart-gpu-h100-sxm-80gb", "chart-gpu-a100-sxm-80gb", "chart-gpu-l40s-48gb",
                          "chart-gpu-rtx-4090-24gb"]
    assert {"chart-tokens-openai", "chart-tokens-together", "chart-scenarios", "chart-lifecycle"} <= set(charts)
    assert "Mystery GPU X" not in html  # offerings without a canonical GPU model are not charted


def test_a_report_for_a_past_day_shows_what_was_known_then(history, tmp_path):
    out = tmp_path / "past.html"
    written = write_report(history, as_of=date(2026, 1, 20), out=out)
    html = out.read_text()
    assert written.as_of == date(2026, 1, 20) and written.path == out
    assert "dall-e-3" not in html  # first seen on 2026-02-11
    assert not (history.reports_dir / "latest.html").exists()


def test_an_empty_warehouse_renders_a_no_data_page(empty, monkeypatch):
    monkeypatch.setattr("reports.daily.today_utc", lambda: date(2026, 3, 1))
    summary = render_latest(empty)
    html = (empty.reports_dir / "2026-03-01.html").read_text()
    assert "no data for this day" in summary
    assert 'id="no-data-notice"' in html and "js-chart" not in html.split("<body>")[1]
    assert html.count('class="nodata"') >= 6


def test_a_missing_warehouse_is_a_clear_error(settings):
    with pytest.raises(WarehouseMissing, match="pricewatch run"):
        render_latest(settings)


def test_cli_report_writes_the_page(history, tmp_path):
    out = tmp_path / "cli.html"
    result = CliRunner().invoke(main, ["report", "--db", str(history.db_path), "--as-of", "2026-02-10",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "report for 2026-02-10" in result.output and out.exists()


def test_cli_report_rejects_a_bad_date(history):
    result = CliRunner().invoke(main, ["report", "--db", str(history.db_path), "--as-of", "11/02/2026"])
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.output


def test_markdown_summary_names_alerts_cheapest_gpus_scenarios_and_wind_downs(history):
    text = render_summary(read_report_data(history))
    assert text.startswith("# pricewatch report · 2026-02-11")
    assert "**critical** lifecycle_soon" in text
    assert "| H100 SXM 80GB | runpod · secure | $2.690 | -3.6% | -10.0% |" in text
    assert ("| sft-lora-8b-10m-tokens | api:together:<=16B:sft_lora | $4.80 | $4.80–$4.80 | $0.48/1M tokens | "
            "provider page | 0.0% | -4.0% | 1 unavailable |") in text
    assert ("| sft-full-70b-100m-tokens | gpu:runpod:H100 SXM 80GB:secure | $1,170.00 | $820.00–$1,900.00 | "
            "$2.69/h (1 GPU) | provider page | -4.1% | -10.0% | 1 stale, 1 unpriced |") in text
    assert "2026-02-12 (in 1 d): openai **codex-mini-latest** inference_shutdown" in text
    assert "prefect" not in text.lower()


def test_markdown_summary_of_an_empty_warehouse_says_no_data(empty):
    text = render_summary(read_report_data(empty, as_of=AS_OF))
    assert "**No data for 2026-02-11**" in text and "Not repriced yet." in text


def test_a_report_for_a_past_day_never_replaces_latest(history):
    latest = write_report(history)
    before = (history.reports_dir / "latest.html").read_bytes()
    past = write_report(history, as_of=date(2026, 1, 20))
    assert latest.wrote_latest and not past.wrote_latest
    assert past.path == history.reports_dir / "2026-01-20.html" and past.path.exists()
    assert (history.reports_dir / "latest.html").read_bytes() == before
    summary = latest_summary(history)
    assert summary is not None and summary.startswith("# pricewatch report · 2026-02-11")


def test_the_summary_names_the_page_actually_written(history, tmp_path):
    out = tmp_path / "elsewhere.html"
    written = write_report(history, out=out)
    assert f"Full report: `{out}`" in written.summary_markdown
    assert latest_summary(history) is None  # --out writes only that file


def test_render_latest_writes_the_summary_of_the_same_build_for_the_flow(history):
    render_latest(history)
    text = latest_summary(history)
    assert text is not None
    assert text.startswith("# pricewatch report · 2026-02-11")
    assert f"Full report: `{history.reports_dir / '2026-02-11.html'}`" in text


FRESHNESS_WARNING = (  # conftest: every source's newest price is of 2026-02-11; policy.yaml's limits
    "warning: prices older than the freshness limit on 2026-03-20; newest per source kind: "
    "gpu_provider 2026-02-11 (37 d > 30), token_provider 2026-02-11 (37 d <= 90), aggregator 2026-02-11 "
    "(37 d <= 90). Stale prices are shown, never used as the cheapest; run `pricewatch run` to refresh")


def test_the_newest_report_starts_with_the_freshness_warning_when_prices_are_too_old(history, monkeypatch):
    monkeypatch.setattr("reports.daily.today_utc", lambda: date(2026, 3, 20))  # 37 days after the newest prices
    written = write_report(history)
    main_html = written.path.read_text().split("<main>")[1].lstrip()
    escaped = FRESHNESS_WARNING.replace(">", "&gt;").replace("<", "&lt;")
    banner = f'<div class="notice stale" id="freshness-warning" role="alert">{escaped}</div>'
    assert main_html.startswith(banner)
    assert written.summary_markdown.splitlines()[:3] == ["# pricewatch report · 2026-02-11", "",
                                                         f"**{FRESHNESS_WARNING}**"]


def test_no_warning_while_the_prices_are_within_the_limit(history, monkeypatch):
    monkeypatch.setattr("reports.daily.today_utc", lambda: date(2026, 3, 13))  # 30 days: gpu_provider's limit
    written = write_report(history)
    assert 'id="freshness-warning"' not in written.path.read_text()
    assert "freshness limit" not in written.summary_markdown


def test_the_limit_is_the_settings_pricing_policy(history, monkeypatch):
    monkeypatch.setattr("reports.daily.today_utc", lambda: date(2026, 3, 20))
    relaxed = replace(history, max_price_age=(("gpu_provider", 40),))
    assert read_report_data(relaxed).freshness_warning is None
    assert read_report_data(history).freshness_warning == FRESHNESS_WARNING


def test_a_report_for_a_day_asked_for_judges_freshness_on_that_day(history, monkeypatch):
    monkeypatch.setattr("reports.daily.today_utc", lambda: date(2026, 12, 4))
    assert read_report_data(history, as_of=AS_OF).freshness_warning is None
    assert read_report_data(history).freshness_warning is not None  # the newest day, judged on 2026-12-04


def test_the_scenario_table_shows_the_price_charged_its_basis_and_why_routes_are_not_used(history):
    html = write_report(history, as_of=AS_OF).path.read_text()
    scenarios = html.split('id="table-scenarios"')[1].split("</table>")[0]
    assert "<td class=\"num\">$23.92/h (8 GPUs)</td>" not in scenarios  # Lambda's H100 is not the cheapest
    assert "<td class=\"num\">$2.69/h (1 GPU)</td><td>provider page</td>" in scenarios
    assert "<td>1 stale, 1 unpriced</td>" in scenarios
    routes = html.split('id="table-routes"')[1].split("</table>")[0]
    assert ('<td>gpu:lambda:H100 SXM 80GB:on_demand</td><td><span class="badge status-available">available</span></td>'
            '<td class="num">$23.92/h (8 GPUs)</td>') in routes
    not_used = html.split('id="table-not-used"')[1].split("</table>")[0]
    assert [m.group(1) for m in re.finditer(r'badge status-(\w+)', not_used)] == ["unpriced", "stale", "unavailable"]
