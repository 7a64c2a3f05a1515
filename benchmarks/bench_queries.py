"""Latency of the public views over a 10-million-row GPU price history."""
from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks.common import line, repeat, stopwatch
from warehouse.db import write_connection

# 10,000,000 rows = 730 half-daily loads x 13,699 offerings (3 providers, many GPU/tier/region combos).
BUILD_SQL = """
INSERT INTO gpu_observations (observed_at, provider, offering_key, gpu_model, gpu_raw_name, gpu_count, tier, region,
                              usd_per_gpu_hour, usd_per_instance_hour, vram_gb, offer_count, usd_per_gpu_hour_min,
                              usd_per_gpu_hour_median, source_fetch_id)
SELECT TIMESTAMP '2025-01-01 06:00' + to_hours(12 * t) AS observed_at,
       ['runpod', 'vastai', 'lambda'][1 + o % 3] AS provider,
       'offering-' || o AS offering_key,
       ['H100 SXM 80GB', 'A100 SXM 80GB', 'L40S 48GB', 'RTX 4090 24GB', 'H200 SXM 141GB', 'A100 PCIe 80GB'][1 + (o // 3) % 6] AS gpu_model,
       'raw-' || (o % 97) AS gpu_raw_name,
       1 + (o % 8) AS gpu_count,
       ['secure', 'community', 'on_demand', 'interruptible'][1 + (o // 18) % 4] AS tier,
       'region-' || (o % 11) AS region,
       round(0.3 + ((o * 7919 + t * 104729) % 3000) / 1000.0, 4) AS usd_per_gpu_hour,
       round((0.3 + ((o * 7919 + t * 104729) % 3000) / 1000.0) * (1 + o % 8), 4) AS usd_per_instance_hour,
       80.0, NULL, NULL, NULL, t AS source_fetch_id
FROM range(0, {loads}) AS loads(t), range(0, {offerings}) AS offs(o)
"""

CHEAPEST_H100_30D = """
SELECT observed_at::DATE AS day, provider, min(usd_per_gpu_hour) AS cheapest
FROM gpu_price_history
WHERE gpu_model = 'H100 SXM 80GB'
  AND observed_at >= (SELECT max(observed_at) FROM gpu_price_history) - INTERVAL 30 DAY
GROUP BY ALL ORDER BY day, provider
"""


def main(loads: int = 730, offerings: int = 13_699) -> dict[str, float]:
    total = loads * offerings
    print(f"[queries] history of {total:,} rows ({loads} loads x {offerings:,} offerings)")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        with write_connection(db) as con:
            with stopwatch() as built:
                con.execute(BUILD_SQL.format(loads=loads, offerings=offerings))
            line("build history (INSERT ... SELECT, with primary key)", f"{built[0]:.1f} s")
            latest = lambda: con.execute("SELECT count(*), min(usd_per_gpu_hour) FROM gpu_prices_latest").fetchall()
            cheapest = lambda: con.execute(CHEAPEST_H100_30D).fetchall()
            latest_median, latest_best = repeat(latest)
            cheap_median, cheap_best = repeat(cheapest)
            line("gpu_prices_latest (all offerings)", f"median {latest_median*1000:,.0f} ms, best {latest_best*1000:,.0f} ms")
            line("30-day cheapest H100 per day and provider", f"median {cheap_median*1000:,.0f} ms, best {cheap_best*1000:,.0f} ms")
            assert latest()[0][0] == offerings
    return {"latest_ms": latest_median * 1000, "cheapest_h100_ms": cheap_median * 1000}


if __name__ == "__main__":
    main()
