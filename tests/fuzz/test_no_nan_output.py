"""No "$nan" can reach a report, an alert or a scenario (issue #14): NaN is written into the
warehouse DIRECTLY (past every parser guard), then the cost engine, the drift alerts, the HTML
report with its markdown summary and the CLI tables are produced from it. Every money and number
formatter (core/money.py) must print "n/a" for it, never "nan"/"inf".

History: the bundled snapshots (snapshots/SOURCES.md), replayed; on top, one SYNTHETIC day on
which every Lambda offer and one OpenAI training price read NaN."""
from __future__ import annotations

import io
import json
import math
import re
from datetime import datetime, timedelta

import duckdb
import pytest
from click.testing import CliRunner

from core.settings import Settings
from cost_engine.reprice import reprice
from drift.daily import run_drift
from drift.rules import load_rules
from pricewatch.cli import main
from reports.daily import write_report
from scrapers.records import GpuOffer, TokenPrice
from tests.sql import one_row, scalar
from warehouse.db import write_connection
from warehouse.load import FetchLogEntry, insert_fetch_log, load_gpu_offers, load_token_prices
from warehouse.replay import replay

# "$nan", "$inf", "+nan%", "nan", "NaN", "Infinity" (a bare "inf" is not matched: table cells fold
# "inference" into "inf" + "erence").
NOT_A_NUMBER = re.compile(r"\$\s*-?(?:nan|inf)|[+-]?(?:nan|inf)%|\b(?:nan|infinity)\b", re.I)
_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)


def _visible(html: str) -> str:
    """The page without its scripts and styles (plotly.js itself contains the word NaN)."""
    return _SCRIPT_OR_STYLE.sub(" ", html)


def _nan_day(settings: Settings) -> datetime:
    """Copy the newest Lambda offers and one OpenAI training price to the next day, as NaN."""
    with write_connection(settings.db_path) as con:
        last = scalar(con.execute("SELECT max(observed_at) FROM gpu_observations WHERE provider = 'lambda'"))
        rows = con.execute("SELECT offering_key, gpu_model, gpu_raw_name, gpu_count, tier, vram_gb "
                           "FROM gpu_observations WHERE provider = 'lambda' AND observed_at = ?", [last]).fetchall()
        provider, model, method, kind = one_row(con.execute(
            "SELECT provider, model, method, price_kind FROM token_observations "
            "WHERE provider = 'openai' AND price_kind = 'training_per_1m_tokens' LIMIT 1"))
        day = last + timedelta(days=1)
        url = "https://example.invalid/"
        fetch_id = insert_fetch_log(con, FetchLogEntry("lambda", url, day, day, "live", "ok"))
        load_gpu_offers(con, [GpuOffer("lambda", k, m, raw, n, tier, math.nan, math.nan, None, vram)
                              for k, m, raw, n, tier, vram in rows], day, fetch_id)
        fetch_id = insert_fetch_log(con, FetchLogEntry("openai_pricing", url, day, day, "live", "ok"))
        load_token_prices(con, [TokenPrice(provider, model, method, kind, math.nan, url)], day, "openai_pricing",
                          fetch_id)
        reprice(con, day.date())
    return day


@pytest.fixture(scope="module")
def nan_history(tmp_path_factory):
    from core.paths import BUNDLED_SNAPSHOTS

    root = tmp_path_factory.mktemp("nan")
    settings = Settings(db_path=root / "pricewatch.duckdb", data_dir=root / "data", reports_dir=root / "reports",
                        snapshots_dir=BUNDLED_SNAPSHOTS)
    replay(settings, BUNDLED_SNAPSHOTS)
    day = _nan_day(settings)
    stream = io.StringIO()
    run = run_drift(settings, rules=load_rules(), now=day + timedelta(hours=1), stream=stream)
    return settings, day, run, stream.getvalue()


def test_the_warehouse_really_holds_nan(nan_history):
    settings, day, _, _ = nan_history
    con = duckdb.connect(str(settings.db_path), read_only=True)
    try:
        nan = con.execute("SELECT observed_at, count(*) FROM gpu_observations WHERE isnan(usd_per_gpu_hour) "
                          "GROUP BY 1").fetchall()
        copied = scalar(con.execute("SELECT count(*) FROM gpu_observations WHERE provider = 'lambda' "
                                    "AND observed_at = ?", [day - timedelta(days=1)]))
        token = scalar(con.execute("SELECT count(*) FROM token_observations WHERE isnan(usd)"))
    finally:
        con.close()
    # every Lambda offer of the newest day, copied to the next day as NaN, and the one token price
    assert nan == [(day, copied)] and copied > 1 and token == 1


def test_alert_messages_and_deliveries_never_print_nan(nan_history):
    settings, _, run, console = nan_history
    con = duckdb.connect(str(settings.db_path), read_only=True)
    try:
        messages = [m for (m,) in con.execute("SELECT message FROM alerts").fetchall()]
    finally:
        con.close()
    jsonl = [json.loads(line)["message"] for line in (settings.data_dir / "alerts.jsonl").read_text().splitlines()]

    assert messages and not [m for m in messages + jsonl if NOT_A_NUMBER.search(m)]
    assert not NOT_A_NUMBER.search(console) and not NOT_A_NUMBER.search(run.summary())


def test_the_report_and_its_summary_never_print_nan(nan_history):
    settings, day, _, _ = nan_history

    written = write_report(settings, as_of=day.date())

    html = written.path.read_text(encoding="utf-8")
    assert "Lambda" in html or "lambda" in html
    assert NOT_A_NUMBER.findall(_visible(html)) == []
    assert NOT_A_NUMBER.findall(written.summary_markdown) == []


@pytest.mark.parametrize("args", [["scenarios"], ["scenarios", "--format", "csv"], ["scenarios", "--format", "json"],
                                  ["alerts"], ["sql", "SELECT usd_per_gpu_hour FROM gpu_observations "
                                                      "WHERE isnan(usd_per_gpu_hour) LIMIT 3"]])
def test_cli_tables_never_print_nan(nan_history, args):
    settings, day, _, _ = nan_history
    if args[0] == "scenarios":
        args = [*args, "--as-of", day.date().isoformat()]

    result = CliRunner().invoke(main, [*args, "--db", str(settings.db_path)])

    assert result.exit_code == 0, result.output
    assert NOT_A_NUMBER.findall(result.output) == []
