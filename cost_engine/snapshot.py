"""An as-of price snapshot and the pure rules that pick prices out of it.

As-of semantics: per offering (GPU: provider + offering_key; tokens: source + provider + model +
method + price_kind) the latest observation at or before the end of the as_of day. An
observation older than ``staleness_days`` before as_of is *stale*: still usable, flagged in the
route's reason and provenance, and passed over for a fresh one when choosing the cheapest offer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

AGGREGATOR_SOURCES = ("litellm", "openrouter")   # never used for training prices
CURATED_SOURCES = ("curated_sheet",)
INTERRUPTIBLE_TIERS = ("spot", "secure_spot", "community_spot", "interruptible")
TRAINING_KINDS = ("training_per_1m_tokens", "min_charge")

_DATED = re.compile(r"^(?P<base>.+?)-\d{4}-\d{2}-\d{2}$")
_VERSIONED = re.compile(r"^(?P<base>.+?)-\d{3}$")      # Vertex ids such as gemini-2.0-flash-001
_BUCKET = re.compile(r"^<=(\d+(?:\.\d+)?)B$|^(\d+(?:\.\d+)?)B-(\d+(?:\.\d+)?)B$|^>(\d+(?:\.\d+)?)B$")


@dataclass(frozen=True)
class GpuPrice:
    provider: str
    offering_key: str
    gpu_model: str
    gpu_count: int
    tier: str
    usd_per_gpu_hour: float
    observed_at: datetime
    source_fetch_id: int | None = None
    region: str | None = None


@dataclass(frozen=True)
class TokenObs:
    provider: str
    model: str
    method: str
    price_kind: str
    usd: float
    source: str
    observed_at: datetime
    source_fetch_id: int | None = None
    source_url: str | None = None


@dataclass(frozen=True)
class Event:
    provider: str
    model: str
    event: str
    effective_date: date | None
    scope: str = ""
    event_id: int | None = None
    source: str = ""
    source_url: str | None = None
    replacement: str | None = None
    first_seen_at: datetime | None = None


@dataclass
class PriceSnapshot:
    as_of: date
    gpu: list[GpuPrice] = field(default_factory=list)
    tokens: list[TokenObs] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    staleness_days: int = 45

    def is_stale(self, observed_at: datetime) -> bool:
        return observed_at.date() < self.as_of - timedelta(days=self.staleness_days)


# ---------------------------------------------------------------- provenance

def gpu_provenance(p: GpuPrice, snap: PriceSnapshot) -> dict[str, Any]:
    return {"kind": "gpu", "provider": p.provider, "offering": p.offering_key, "gpu_model": p.gpu_model,
            "tier": p.tier, "gpu_count": p.gpu_count, "observed_at": p.observed_at.isoformat(),
            "source": p.provider, "source_fetch_id": p.source_fetch_id, "usd": p.usd_per_gpu_hour,
            "unit": "usd_per_gpu_hour", "stale": snap.is_stale(p.observed_at)}


def token_provenance(t: TokenObs, snap: PriceSnapshot) -> dict[str, Any]:
    return {"kind": "token", "provider": t.provider, "model": t.model, "method": t.method,
            "price_kind": t.price_kind, "observed_at": t.observed_at.isoformat(), "source": t.source,
            "source_fetch_id": t.source_fetch_id, "usd": t.usd, "stale": snap.is_stale(t.observed_at)}


# ---------------------------------------------------------------- GPU prices

def gpu_groups(snap: PriceSnapshot, gpu_model: str, provider: str | None = None,
               tier: str | None = None) -> list[tuple[str, str]]:
    """(provider, tier) pairs that price this GPU in the snapshot, sorted."""
    return sorted({(p.provider, p.tier) for p in snap.gpu
                   if p.gpu_model == gpu_model and (provider is None or p.provider == provider)
                   and (tier is None or p.tier == tier)})


def effective_usd_per_gpu_hour(p: GpuPrice, count: int) -> float:
    """What one of ``count`` GPUs costs per hour on this offering: its per-GPU price, unless the
    offering is a larger instance than needed, which is paid in full (Lambda 8× for a 1-GPU job)."""
    return p.usd_per_gpu_hour * p.gpu_count / count if p.gpu_count > count else p.usd_per_gpu_hour


def pick_gpu_price(snap: PriceSnapshot, gpu_model: str, count: int, *, provider: str | None = None,
                   tier: str | None = None, tiers: list[str] | None = None,
                   exclude_tiers: tuple[str, ...] = ()) -> GpuPrice | None:
    """The cheapest offering for ``count`` GPUs of a model, by effective price per needed GPU.

    Within one provider and tier an offering of exactly ``count`` GPUs (Lambda instance sizes) is
    preferred; otherwise a smaller offering's per-GPU price (rent several), or a larger instance
    paid in full. Fresh observations beat stale ones.
    """
    rows = [p for p in snap.gpu if p.gpu_model == gpu_model
            and (provider is None or p.provider == provider) and (tier is None or p.tier == tier)
            and (tiers is None or p.tier in tiers) and p.tier not in exclude_tiers]

    def key(p: GpuPrice) -> tuple:
        return (effective_usd_per_gpu_hour(p, count), p.provider, p.tier, p.offering_key)

    best_per_group: list[GpuPrice] = []
    for group in {(p.provider, p.tier) for p in rows}:
        in_group = [p for p in rows if (p.provider, p.tier) == group]
        exact = [p for p in in_group if p.gpu_count == count]
        pool = exact or in_group
        fresh = [p for p in pool if not snap.is_stale(p.observed_at)]
        best_per_group.append(min(fresh or pool, key=key))
    if not best_per_group:
        return None
    fresh = [p for p in best_per_group if not snap.is_stale(p.observed_at)]
    return min(fresh or best_per_group, key=key)


# ---------------------------------------------------------------- token prices

def _undated(model_id: str) -> tuple[str, bool]:
    for pattern in (_DATED, _VERSIONED):
        m = pattern.match(model_id)
        if m:
            return m.group("base"), True
    return model_id, False


def model_matches(route_model: str, model_id: str) -> bool:
    """'gpt-4o-mini' matches 'gpt-4o-mini' and 'gpt-4o-mini-2024-07-18', never 'gpt-4o' vs 'gpt-4o-mini-…'.

    A dated route model matches only that exact id (or its undated alias).
    """
    if route_model == model_id:
        return True
    r_base, r_dated = _undated(route_model)
    m_base, m_dated = _undated(model_id)
    if r_dated and m_dated:
        return False
    return r_base == m_base


def bucket_range(label: str) -> tuple[float, float] | None:
    """'<=16B' → (0, 16); '16.1B-80B' → (16.1, 80); '>80B' → (80 exclusive, inf). None if not a bucket."""
    m = _BUCKET.match(label.replace(" ", ""))
    if not m:
        return None
    if m.group(1):
        return 0.0, float(m.group(1))
    if m.group(2):
        return float(m.group(2)), float(m.group(3))
    return float(m.group(4)) + 1e-9, float("inf")


def in_bucket(label: str, params: float) -> bool:
    r = bucket_range(label)
    return r is not None and r[0] <= params / 1e9 <= r[1]


def source_rank(source: str) -> int:
    if source in AGGREGATOR_SOURCES:
        return 2
    if source in CURATED_SOURCES:
        return 1
    return 0


def find_token_price(snap: PriceSnapshot, provider: str, model: str | None, params: float | None,
                     methods: list[str], kind: str) -> TokenObs | None:
    """Best observation for provider/model (or size bucket)/method/kind.

    Preference: the first method in ``methods`` that has any price; an exact model id over a size
    bucket; a provider page over the curated sheet over an aggregator (aggregators never for
    training kinds); then the newest observation.
    """
    allow_aggregators = kind not in TRAINING_KINDS
    for method in methods:
        rows = [t for t in snap.tokens if t.provider == provider and t.method == method and t.price_kind == kind
                and (allow_aggregators or t.source not in AGGREGATOR_SOURCES)]
        named = [t for t in rows if model and model_matches(model, t.model)]
        bucketed = [t for t in rows if params is not None and in_bucket(t.model, params)]
        pool = named or bucketed
        if pool:
            return min(pool, key=lambda t: (source_rank(t.source), -t.observed_at.timestamp(),
                                             snap.is_stale(t.observed_at), t.model))
    return None
