"""Latency of the public views over a 10-million-row GPU price history, beside the 100 ms limit
for the "current" views.

The history is built with one INSERT ... SELECT (730 half-daily loads x 13,699 offerings of 3
providers); ``gpu_observations_latest``, which the loader keeps in step with every load, is then
built from it the way migration 031 does. The old ``gpu_prices_latest`` (a window over the whole
history) runs beside the new one on the same data, and both must return the same rows.
"""
from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path

import duckdb

from benchmarks.common import line, repeat, stopwatch
from warehouse.db import write_connection

CURRENT_LIMIT_MS = 100.0

# 10,000,000 rows = 730 half-daily loads x 13,699 offerings (3 providers, many GPU/tier/region combos).
BUILD_SQL = """
INSERT INTO gpu_observations BY NAME
SELECT TIMESTAMP '2025-01-01 06:00' + to_hours(12 * t) AS observed_at,
       ['runpod', 'vastai', 'lambda'][1 + o % 3] AS provider,
       'offering-' || o AS offering_key,
       ['H100 SXM 80GB', 'A100 SXM 80GB', 'L40S 48GB', 'RTX 4090 24GB', 'H200 SXM 141GB',
        'A100 PCIe 80GB'][1 + (o // 3) % 6] AS gpu_model,
       'raw-' || (o % 97) AS gpu_raw_name,
       1 + (o % 8) AS gpu_count,
       ['secure', 'community', 'on_demand', 'interruptible'][1 + (o // 18) % 4] AS tier,
       'region-' || (o % 11) AS region,
       round(0.3 + ((o * 7919 + t * 104729) % 3000) / 1000.0, 4) AS usd_per_gpu_hour,
       round((0.3 + ((o * 7919 + t * 104729) % 3000) / 1000.0) * (1 + o % 8), 4) AS usd_per_instance_hour,
       80.0 AS vram_gb, t AS source_fetch_id
FROM range(0, {loads}) AS loads(t), range(0, {offerings}) AS offs(o)
"""
# An offering delisted half-way: the latest view must keep it, not current.
DELIST_SQL = "DELETE FROM gpu_observations WHERE offering_key = 'offering-5' AND observed_at > TIMESTAMP '2025-06-01'"
LATEST_SQL = """
DELETE FROM gpu_observations_latest;
INSERT INTO gpu_observations_latest BY NAME SELECT * FROM gpu_observations
QUALIFY row_number() OVER (PARTITION BY provider, offering_key ORDER BY observed_at DESC) = 1;
"""
# gpu_prices_latest as it was before gpu_observations_latest: a window over the whole history.
OLD_LATEST = """
WITH latest_load AS (
    SELECT provider, max(observed_at) AS provider_latest FROM gpu_observations GROUP BY provider
)
SELECT h.*, h.observed_at = l.provider_latest AS is_current
FROM gpu_price_history h JOIN latest_load l USING (provider)
QUALIFY row_number() OVER (PARTITION BY h.provider, h.offering_key ORDER BY h.observed_at DESC) = 1
"""

CHEAPEST_H100_30D = """
SELECT observed_at::DATE AS day, provider, min(usd_per_gpu_hour) AS cheapest
FROM gpu_price_history
WHERE gpu_model = 'H100 SXM 80GB'
  AND observed_at >= (SELECT max(observed_at) FROM gpu_price_history) - INTERVAL 30 DAY
GROUP BY ALL ORDER BY day, provider
"""
CURRENT_QUERIES = {
    "gpu_prices_latest (all offerings)": "SELECT count(*), min(usd_per_gpu_hour), count(*) FILTER (WHERE is_current) "
                                         "FROM gpu_prices_latest",
    "gpu_prices_latest WHERE is_current, cheapest first": "SELECT provider, gpu_model, tier, usd_per_gpu_hour "
                                                          "FROM gpu_prices_latest WHERE is_current "
                                                          "ORDER BY gpu_model, usd_per_gpu_hour",
    "gpu_offerings_as_of(now) (what the cost engine reads)":
        "SELECT count(*) FROM gpu_offerings_as_of(TIMESTAMP '9999-12-31')",
    "token_prices_current": "SELECT count(*) FROM token_prices_current",
    "model_lifecycle_events_current": "SELECT count(*) FROM model_lifecycle_events_current",
}


def run(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def main(loads: int = 730, offerings: int = 13_699) -> dict[str, float]:
    total = loads * offerings
    print(f"[queries] history of {total:,} rows ({loads} loads x {offerings:,} offerings); median of 5 runs")
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        with write_connection(db) as con:
            with stopwatch() as built:
                con.execute(BUILD_SQL.format(loads=loads, offerings=offerings))
                con.execute(DELIST_SQL)
                con.execute(LATEST_SQL)
                con.execute("CHECKPOINT")
            line("build history + latest table (INSERT ... SELECT)", f"{built[0]:.1f} s")
            new_rows = sorted(con.execute("SELECT * FROM gpu_prices_latest").fetchall())
            old_rows = sorted(con.execute(OLD_LATEST).fetchall())
            assert new_rows == old_rows and len(new_rows) == offerings, "latest views disagree"
            for label, sql in CURRENT_QUERIES.items():
                median, best = repeat(partial(run, con, sql))
                verdict = "OK" if median * 1000 < CURRENT_LIMIT_MS else "MISSED"
                line(label, f"median {median * 1000:,.1f} ms, best {best * 1000:,.1f} ms "
                            f"(limit {CURRENT_LIMIT_MS:.0f} ms) {verdict}")
                results[label] = median * 1000
            old_median, _ = repeat(lambda: con.execute(f"SELECT count(*) FROM ({OLD_LATEST})").fetchall(), 3)
            line("  the old gpu_prices_latest (window over the history), same rows",
                 f"median {old_median * 1000:,.0f} ms")
            cheap_median, cheap_best = repeat(lambda: con.execute(CHEAPEST_H100_30D).fetchall())
            line("30-day cheapest H100 per day and provider (history)",
                 f"median {cheap_median * 1000:,.1f} ms, best {cheap_best * 1000:,.1f} ms")
    return {"latest_ms": results["gpu_prices_latest (all offerings)"], "old_latest_ms": old_median * 1000,
            "cheapest_h100_ms": cheap_median * 1000}


if __name__ == "__main__":
    main()
