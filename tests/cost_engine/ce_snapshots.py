"""In-memory snapshots for pure tests (prices quoted from the seed articles; see history.py)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from cost_engine.snapshot import Event, GpuPrice, PriceSnapshot, TokenObs

AS_OF = date(2026, 6, 1)
SEEN = datetime(2026, 6, 1, 6)


def gpu_price(provider: str, gpu_model: str, tier: str, usd: float, count: int = 1,
              observed_at: datetime = SEEN) -> GpuPrice:
    return GpuPrice(provider, f"{gpu_model}|{tier}|{count}", gpu_model, count, tier, usd, observed_at, 1)


def token_obs(provider: str, model: str, method: str, kind: str, usd: float, source: str = "provider_page",
              observed_at: datetime = SEEN) -> TokenObs:
    return TokenObs(provider, model, method, kind, usd, source, observed_at, 7)


def snapshot(gpu: Sequence[GpuPrice] = (), tokens: Sequence[TokenObs] = (), events: Sequence[Event] = (),
             as_of: date = AS_OF) -> PriceSnapshot:
    return PriceSnapshot(as_of=as_of, gpu=list(gpu), tokens=list(tokens), events=list(events))
