"""Build small warehouse histories for cost-engine tests.

The prices are quoted from the seed articles (cited by file name per constant); the day
-by-day histories around them are synthetic test data, not observed market history.
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from scrapers.records import GpuOffer, LifecycleEvent, TokenPrice
from warehouse.db import write_connection
from warehouse.load import FetchLogEntry, insert_fetch_log, load_gpu_offers, load_lifecycle_events, load_token_prices

# 000_91dabb329c97c9de.txt, Layer 1 table ("RunPod (spot)", "Lambda Labs", "Vast.ai (low)").
A100_RUNPOD_SPOT = 1.30
A100_LAMBDA = 1.29
A100_VAST_LOW = 0.67
H100_RUNPOD_SPOT = 2.69
H100_LAMBDA = 4.29
RTX4090_VAST_LOW = 0.16
# 001_17b199f7883ecf40.txt: "RunPod Community $1.64", "RunPod Secure $2.21" (A100 80GB SXM).
A100_RUNPOD_COMMUNITY = 1.64
A100_RUNPOD_SECURE = 2.21


def at(day: date, hour: int = 6) -> datetime:
    return datetime(day.year, day.month, day.day, hour)


def gpu(provider: str, gpu_model: str, tier: str, usd: float, count: int = 1) -> GpuOffer:
    return GpuOffer(provider=provider, offering_key=f"{gpu_model}|{tier}|{count}", gpu_model=gpu_model,
                    gpu_raw_name=gpu_model, gpu_count=count, tier=tier, usd_per_gpu_hour=usd,
                    usd_per_instance_hour=usd * count)


def token(provider: str, model: str, method: str, kind: str, usd: float) -> TokenPrice:
    return TokenPrice(provider=provider, model=model, method=method, price_kind=kind, usd=usd)


def _fetch(con, source: str, when: datetime) -> int:
    return insert_fetch_log(con, FetchLogEntry(source=source, url=f"test://{source}", fetched_at=when,
                                               observed_at=when, mode="replay", outcome="ok"))


def add_gpu(db: Path, when: datetime, offers: list[GpuOffer]) -> None:
    with write_connection(db) as con:
        for provider in sorted({o.provider for o in offers}):
            fid = _fetch(con, provider, when)
            load_gpu_offers(con, [o for o in offers if o.provider == provider], when, fid)


def add_tokens(db: Path, when: datetime, source: str, prices: list[TokenPrice]) -> None:
    with write_connection(db) as con:
        fid = None if source == "curated_sheet" else _fetch(con, source, when)
        load_token_prices(con, prices, when, source, fid)


def add_events(db: Path, when: datetime, source: str, events: list[LifecycleEvent]) -> None:
    with write_connection(db) as con:
        load_lifecycle_events(con, events, when, source, _fetch(con, source, when))
