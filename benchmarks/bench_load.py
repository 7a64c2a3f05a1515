"""Bulk load of 1,000,000 synthetic Vast.ai offers vs a naive row-by-row insert of 10,000."""
from __future__ import annotations

import random
import tempfile
from datetime import datetime
from pathlib import Path

from benchmarks.common import line, stopwatch
from scrapers.records import MarketOffer
from warehouse.db import write_connection
from warehouse.load import load_market_offers

MODELS = [("H100 SXM", "H100 SXM 80GB", 80), ("RTX 4090", "RTX 4090 24GB", 24), ("A100 SXM4", "A100 SXM 80GB", 80),
          ("L40S", "L40S 48GB", 48), ("RTX 3090", "RTX 3090 24GB", 24), ("H200", "H200 SXM 141GB", 141)]
BASE_PRICE = {"H100 SXM": 1.9, "RTX 4090": 0.35, "A100 SXM4": 0.9, "L40S": 0.7, "RTX 3090": 0.2, "H200": 2.6}
LOCATIONS = ["Texas, US", "Quebec, CA", "Bavaria, DE", ", CN", "Guangxi, CN", "Oregon, US", "Helsinki, FI"]


def synthetic_offers(n: int, seed: int = 7) -> list[MarketOffer]:
    """Offers shaped like parsed Vast bundles: 1-8 GPUs, host-set prices spread around a base."""
    rng = random.Random(seed)
    offers = []
    for i in range(n):
        raw, canonical, vram = MODELS[i % len(MODELS)]
        gpus = rng.choice((1, 1, 1, 2, 4, 8))
        per_gpu = round(BASE_PRICE[raw] * rng.lognormvariate(0, 0.25), 4)
        offers.append(MarketOffer(
            provider="vastai", offer_id=str(10_000_000 + i), machine_id=str(rng.randrange(1, 60_000)),
            gpu_model=canonical, gpu_raw_name=raw, gpu_count=gpus, tier="on_demand",
            usd_per_gpu_hour=per_gpu, usd_per_instance_hour=round(per_gpu * gpus, 4), vram_gb=float(vram),
            reliability=round(rng.uniform(0.9, 0.9999), 4), verified=rng.random() < 0.7,
            location=rng.choice(LOCATIONS)))
    return offers


def naive_insert(con, offers: list[MarketOffer], observed_at: datetime) -> None:
    for o in offers:
        con.execute(
            "INSERT INTO market_offers (observed_at, provider, offer_id, machine_id, gpu_model, gpu_raw_name, "
            "gpu_count, tier, usd_per_gpu_hour, usd_per_instance_hour, vram_gb, reliability, verified, location, "
            "source_fetch_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [observed_at, o.provider, o.offer_id, o.machine_id, o.gpu_model, o.gpu_raw_name, o.gpu_count, o.tier,
             o.usd_per_gpu_hour, o.usd_per_instance_hour, o.vram_gb, o.reliability, o.verified, o.location, 1])


def main(n: int = 1_000_000, naive_n: int = 10_000) -> dict[str, float]:
    print(f"[load] {n:,} synthetic Vast offers into market_offers")
    with stopwatch() as made:
        offers = synthetic_offers(n)
    line("generate records", f"{made[0]:.2f} s")
    at = datetime(2026, 11, 23, 6)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        with write_connection(db) as con:
            with stopwatch() as bulk:
                added = load_market_offers(con, offers, at, 1)
            assert added == n
            bulk_rate = n / bulk[0]
            line("bulk Arrow load (load_market_offers)", f"{bulk[0]:.2f} s  = {bulk_rate:,.0f} rows/s")
            con.execute("DELETE FROM market_offers")
            with stopwatch() as naive:
                naive_insert(con, offers[:naive_n], at)
            naive_rate = naive_n / naive[0]
            line(f"naive row-by-row INSERT of first {naive_n:,}", f"{naive[0]:.2f} s  = {naive_rate:,.0f} rows/s")
    ratio = bulk_rate / naive_rate
    line("bulk / naive throughput ratio", f"{ratio:,.0f}x")
    return {"bulk_rows_per_s": bulk_rate, "naive_rows_per_s": naive_rate, "ratio": ratio}


if __name__ == "__main__":
    main()
