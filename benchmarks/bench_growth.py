"""Daily cost as the history grows: 30, 180 and 730 days of history, then new days through the
real pipeline, each step timed, beside the limit (no step more than 2x from 30 to 730 days).

The history is built in bulk from the real payload shapes, not by running the pipeline hundreds
of times: one day's parse of each source (RunPod and Lambda bundled snapshots, a 20,000-offer
Vast.ai market in the real offer's shape from ``benchmarks.synthetic.VastMarket``, every token
and lifecycle snapshot, the curated sheet) is replicated over the days by INSERT ... SELECT,
prices stepping every one to four weeks, with one fetch_log row per source and day; the
catalogue is repriced on the last day and its rows replicated over the history. The alerts are
then evaluated and dbt built once (the state a daily deployment has), and two new days run the
real steps on real-shape payloads: ingest (archive + parse + load of every source: ~49 MB of Vast
JSON), reprice, alerts (incremental), report and dbt (incremental), the histories taking turns
day by day. Each step's figure is the faster of the two days. Sizes: the warehouse file, the
report, and the raw archive per year (the two new days' compressed payloads, scaled to 365 days).
"""
from __future__ import annotations

import io
import shutil
import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

import duckdb
import pyarrow as pa

from benchmarks.common import line, stopwatch
from benchmarks.synthetic import VastMarket
from core.paths import BUNDLED_SNAPSHOTS
from core.settings import Settings
from cost_engine.catalogue import load_catalogue
from cost_engine.daily import reprice_latest
from cost_engine.reprice import reprice
from drift.daily import run_drift
from drift.dbt_runner import build_models
from reports.daily import render_latest
from scrapers.http import HttpClient
from scrapers.records import GpuOffer, MarketOffer, RawPayload, TokenPrice
from scrapers.registry import GPU_SOURCES, get_source
from warehouse.db import write_connection
from warehouse.ingest import ingest_payloads
from warehouse.load import as_table, columns_of, load_lifecycle_events
from warehouse.market import aggregate_market
from warehouse.replay import discover

# After every dated row of the bundled snapshots and the curated sheet (2026), so the history's
# last day is the newest observation day, as in a live deployment.
START = datetime(2027, 1, 1, 6)
HISTORIES = (30, 180, 730)
NEW_DAYS = 2
SETTLED_DAYS = 15
MAX_GROWTH = 2.0
STEPS = ("ingest", "reprice", "alerts", "report", "dbt")


def day_payloads(market: VastMarket, day: int) -> dict[str, list[RawPayload]]:
    """One day's payloads per source: the newest bundled snapshot(s) of each source, the Vast
    market of that day, and the curated sheet as its own collector reads it."""
    at = START + timedelta(days=day)
    newest: dict[str, list[Path]] = {}
    found = discover(BUNDLED_SNAPSHOTS).files
    for source in {f.source for f in found}:
        mine = [f for f in found if f.source == source]
        stamp = max(f.observed_at for f in mine)
        newest[source] = [f.path for f in mine if f.observed_at == stamp]
    payloads = {source: [RawPayload(source, f"bench:{source}/{p.name}", 200, p.read_bytes(), at,
                                    p.name.split(".")[1]) for p in paths]
                for source, paths in newest.items() if source != "vastai"}
    payloads["vastai"] = [RawPayload("vastai", url, 200, body, at, "json") for url, body in market.pages(day)]
    curated = get_source("curated_sheet")
    with HttpClient() as http:  # the curated sheet is read from the repository, never fetched
        payloads["curated_sheet"] = [p for p in curated.fetch(http, Settings()) if isinstance(p, RawPayload)]
    return payloads


def _fetch_log(con: duckdb.DuckDBPyConnection, sources: list[str], days: int) -> None:
    con.register("_sources", pa.table({"source": sources}))
    con.execute("""
        INSERT INTO fetch_log (source, url, fetched_at, observed_at, mode, status, outcome, records_parsed)
        SELECT source, 'bench:' || source, ts, ts, 'replay', 200, 'ok', 1
        FROM _sources, (SELECT $start + to_days(d::INTEGER) AS ts FROM range($days) t(d))
        ORDER BY ts, source""", {"start": START, "days": days})
    con.unregister("_sources")


def build_history(settings: Settings, market: VastMarket, days: int) -> None:
    """``days`` days of every source in bulk (see the module doc), then the catalogue repriced.
    Prices step up and down until the last ``SETTLED_DAYS`` days, which hold the parsed prices, so
    a new day brings about as many changes whatever the history's length."""
    payloads = day_payloads(market, days - 1)
    parsed = {source: [get_source(source).parse(p.body, ext=p.ext, origin=p.url) for p in items]
              for source, items in payloads.items()}
    gpu = [as_table(r.gpu_offers, GpuOffer) for source in GPU_SOURCES for r in parsed[source]]
    market = pa.concat_tables([as_table(r.market_offers, MarketOffer) for r in parsed["vastai"]])
    token_sources = [s for s in parsed if s not in GPU_SOURCES]
    with write_connection(settings.db_path) as con:
        _fetch_log(con, sorted(parsed), days)
        for table in gpu:
            con.register("_gpu", table)
            con.execute("""
                INSERT INTO gpu_observations BY NAME
                SELECT g.* REPLACE (round(g.usd_per_gpu_hour * (1 + (t.d < $days - $settled)::INTEGER * 0.08 * (
                      (hash(g.offering_key, (t.d // (7 + hash(g.offering_key) % 22))::BIGINT) % 5)::DOUBLE - 2) / 2),
                      4) AS usd_per_gpu_hour),
                       f.observed_at, f.fetch_id AS source_fetch_id
                FROM _gpu g, range($days) t(d)
                JOIN fetch_log f ON f.source = coalesce(g.source, g.provider)
                                AND f.observed_at = $start + to_days(t.d::INTEGER)
                ORDER BY f.observed_at, g.provider""", {"days": days, "start": START, "settled": SETTLED_DAYS})
        con.execute("INSERT INTO gpu_observations_latest BY NAME SELECT * FROM gpu_observations "
                    "QUALIFY row_number() OVER (PARTITION BY provider, offering_key ORDER BY observed_at DESC) = 1")
        con.register("_market", market)
        con.execute("""
            INSERT INTO market_offers BY NAME
            SELECT m.* REPLACE (m.offer_id || '-' || t.d AS offer_id), f.observed_at, f.fetch_id AS source_fetch_id
            FROM _market m, range($days) t(d)
            JOIN fetch_log f ON f.source = 'vastai' AND f.observed_at = $start + to_days(t.d::INTEGER)
            ORDER BY f.observed_at""", {"days": days, "start": START})
        for day in range(days):  # the per-model statistics of each day's market, as ingest stores them
            aggregate_market(con, START + timedelta(days=day), ["vastai"])
        for source in token_sources:
            for result, payload in zip(parsed[source], payloads[source], strict=True):
                if result.token_prices:
                    _tokens(con, source, result.token_prices, days)
                load_lifecycle_events(con, result.lifecycle_events, payload.fetched_at, source, None)
        con.execute("UPDATE lifecycle_events SET last_seen_at = $end",
                    {"end": START + timedelta(days=days - 1)})
        _scenarios(con, days)


def _tokens(con: duckdb.DuckDBPyConnection, source: str, prices: list[TokenPrice], days: int) -> None:
    table = columns_of(prices, TokenPrice)
    con.register("_tok", table)
    dated = source == "curated_sheet"
    con.execute(f"""
        INSERT OR IGNORE INTO token_observations
            (observed_at, source, provider, model, method, price_kind, usd, source_url, source_fetch_id)
        SELECT {'coalesce(k.as_of::TIMESTAMP, f.observed_at)' if dated else 'f.observed_at'}, $source, k.provider,
               k.model, k.method, k.price_kind,
               k.usd * (1 + (t.d < {days} - {SETTLED_DAYS})::INTEGER * 0.1
                        * ((hash(k.model, k.price_kind, (t.d // 75)::BIGINT) % 3)::DOUBLE - 1)),
               k.source_url, f.fetch_id
        FROM _tok k, range({1 if dated else days}) t(d)
        JOIN fetch_log f ON f.source = $source AND f.observed_at = $start + to_days(t.d::INTEGER)""",
                {"source": source, "start": START})
    con.unregister("_tok")


def _scenarios(con: duckdb.DuckDBPyConnection, days: int) -> None:
    last = (START + timedelta(days=days - 1)).date()
    reprice(con, last, load_catalogue())
    con.execute("""
        INSERT INTO scenario_costs
        SELECT s.as_of - to_days(t.d::INTEGER), s.scenario, s.route, s.layer,
               s.usd_low * (1 + 0.05 * ((hash(s.route, (t.d // 30)::BIGINT) % 3)::DOUBLE - 1)),
               s.usd_mid * (1 + 0.05 * ((hash(s.route, (t.d // 30)::BIGINT) % 3)::DOUBLE - 1)),
               s.usd_high * (1 + 0.05 * ((hash(s.route, (t.d // 30)::BIGINT) % 3)::DOUBLE - 1)),
               s.available, s.reason, s.inputs, s.computed_at
        FROM scenario_costs s, range(1, $days) t(d) WHERE s.as_of = $last""", {"days": days, "last": last})


def ingest_day(settings: Settings, payloads: dict[str, list[RawPayload]]) -> None:
    at = next(iter(payloads.values()))[0].fetched_at
    with write_connection(settings.db_path) as con:
        for source, items in payloads.items():
            for item in items:
                item.fetched_at = at
            ingest_payloads(con, settings.raw_dir, get_source(source), list(items), observed_at=at, mode="live")


def alerts(settings: Settings) -> str:
    """The daily alerts step (``drift.daily.evaluate_and_notify``), its console channel silenced."""
    return run_drift(settings, stream=io.StringIO()).summary()


def _size_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 1e6
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def prepared(days: int, market: VastMarket, root: Path) -> tuple[Settings, dict[str, float]]:
    """A warehouse with ``days`` days of history, evaluated and built once (a deployment's state)."""
    settings = Settings(db_path=root / "pricewatch.duckdb", data_dir=root / "data", reports_dir=root / "reports")
    with stopwatch() as built:
        build_history(settings, market, days)
    with stopwatch() as primed:
        alerts(settings)  # the first evaluation reads everything (then the state carries on)
        build_models(settings)  # the first dbt build is a full one
    return settings, {"build_s": built[0], "prime_s": primed[0]}


def new_day(settings: Settings, market: VastMarket, day: int, timings: dict[str, float]) -> None:
    """Every daily step on one new day; keeps the faster time per step in ``timings``."""
    payloads = day_payloads(market, day)
    steps: dict[str, Callable[[], object]] = {
        "ingest": partial(ingest_day, settings, payloads), "reprice": partial(reprice_latest, settings),
        "alerts": partial(alerts, settings), "report": partial(render_latest, settings),
        "dbt": partial(build_models, settings),
    }
    for step, run in steps.items():
        with stopwatch() as took:
            run()
        timings[step] = min(timings.get(step, float("inf")), took[0])


def sizes(settings: Settings) -> dict[str, float]:
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        rows = con.execute("SELECT (SELECT count(*) FROM market_offers), (SELECT count(*) FROM gpu_observations), "
                           "(SELECT count(*) FROM token_observations)").fetchall()[0]
    return {"db_mb": _size_mb(settings.db_path), "report_mb": _size_mb(settings.reports_dir / "latest.html"),
            "archive_mb_per_year": _size_mb(settings.raw_dir) / NEW_DAYS * 365, "market_rows": rows[0],
            "gpu_rows": rows[1], "token_rows": rows[2]}


def run_all(histories: tuple[int, ...], market: VastMarket) -> dict[int, dict[str, float]]:
    """Build every history, then run the new days taking turns between them (a busy shared
    machine slows them alike)."""
    roots = {days: Path(tempfile.mkdtemp(prefix=f"pw-growth-{days}-")) for days in histories}
    try:
        ready = {days: prepared(days, market, roots[days]) for days in histories}
        results = {days: dict(info) for days, (_, info) in ready.items()}
        for extra in range(NEW_DAYS):
            for days, (settings, _) in ready.items():
                new_day(settings, market, days + extra, results[days])
        for days, (settings, _) in ready.items():
            results[days].update(sizes(settings))
        return results
    finally:
        for root in roots.values():
            shutil.rmtree(root, ignore_errors=True)


def main(histories: tuple[int, ...] = HISTORIES) -> dict[int, dict[str, float]]:
    print(f"[growth] {', '.join(map(str, histories))} days of history in the real payload shapes "
          f"(Vast.ai {VastMarket().offers_per_day:,} offers/day), then {NEW_DAYS} new days through the real steps")
    results = run_all(histories, VastMarket())
    for days in histories:
        r = results[days]
        line(f"{days:>4} days: history built (bulk) / first evaluation + dbt build",
             f"{r['build_s']:.1f} s / {r['prime_s']:.1f} s")
        line(f"{days:>4} days: rows market_offers / gpu_observations / token_observations",
             f"{r['market_rows']:,.0f} / {r['gpu_rows']:,.0f} / {r['token_rows']:,.0f}")
        line(f"{days:>4} days: " + " / ".join(STEPS) + " (s)", " / ".join(f"{r[s]:.2f}" for s in STEPS))
        line(f"{days:>4} days: warehouse / report / raw archive per year",
             f"{r['db_mb']:,.0f} MB / {r['report_mb']:.2f} MB / {r['archive_mb_per_year']:,.0f} MB")
    first, last = results[histories[0]], results[histories[-1]]
    for step in STEPS:
        growth = last[step] / first[step]
        line(f"{step}: {histories[-1]} days vs {histories[0]} days",
             f"{first[step]:.2f} s -> {last[step]:.2f} s = {growth:.2f}x (limit {MAX_GROWTH:.0f}x) "
             f"{'OK' if growth <= MAX_GROWTH else 'MISSED'}")
    if len(histories) > 2:  # the report reads a 90-day window: flat once the history fills it
        middle = results[histories[-2]]
        line(f"  report: {histories[-1]} days vs {histories[-2]} days (its 90-day window full in both)",
             f"{middle['report']:.2f} s -> {last['report']:.2f} s = {last['report'] / middle['report']:.2f}x")
    line("report size (limit 1.5 MB)", f"{last['report_mb']:.2f} MB {'OK' if last['report_mb'] <= 1.5 else 'MISSED'}")
    return results


if __name__ == "__main__":
    import sys

    main(tuple(int(a) for a in sys.argv[1:]) or HISTORIES)
