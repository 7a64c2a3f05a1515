"""The growth benchmark's synthetic history goes through the real parsers and loaders: a change
there (a parse limit, a parser returning columns) must break this test, not the benchmark run."""
from __future__ import annotations

import duckdb

from benchmarks.bench_growth import build_history, day_payloads
from benchmarks.synthetic import VastMarket
from core.settings import Settings
from scrapers import vastai
from scrapers.base import MAX_PAYLOAD_BYTES


def test_the_vast_market_comes_in_pages_the_collector_could_have_fetched():
    pages = day_payloads(VastMarket(offers_per_day=2_500), 1)["vastai"]
    assert [len(vastai.SOURCE.parse(p.body, ext="json").market_offers) for p in pages] == [1000, 1000, 500]
    assert all(len(p.body) < MAX_PAYLOAD_BYTES for p in pages)


def test_a_two_day_history_holds_every_days_market_and_its_statistics(tmp_path):
    settings = Settings(db_path=tmp_path / "pw.duckdb", data_dir=tmp_path / "data", reports_dir=tmp_path / "reports")
    build_history(settings, VastMarket(offers_per_day=1_500), 2)
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        offers = con.execute("SELECT count(*), count(DISTINCT observed_at) FROM market_offers").fetchone()
        stats_days = con.execute("SELECT count(DISTINCT observed_at) FROM gpu_observations "
                                 "WHERE provider = 'vastai'").fetchone()
        sources = {r[0] for r in con.execute(
            "SELECT DISTINCT coalesce(source, provider) FROM gpu_observations").fetchall()}
    assert offers == (3_000, 2)
    assert stats_days == (2,)
    assert {"runpod", "lambda", "vastai", "skypilot_catalog"} <= sources
