"""An as-of price snapshot and the pure rules that pick prices out of it.

As-of semantics (loaded by ``cost_engine.loader`` through the shared SQL macros of
warehouse/semantic/20_as_of.sql): GPU offerings listed in each provider's last load
before the end of the as_of day; token prices in each source's last load (for the dated curated
sheet, the newest row per price line). An observation older than ``staleness_days`` before
as_of is *stale*: still usable, flagged in the route's reason and provenance, and passed over
for a fresh one when choosing a price.

Tiers: commitment tiers (``COMMITTED_TIERS``: reserved terms, clusters) are never candidates for
an hourly price unless a route or ``serving.tiers`` names them; serving also skips
``INTERRUPTIBLE_TIERS`` unless named.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from scrapers.records import COMMITTED_TIERS
from scrapers.registry import AGGREGATOR_SOURCES, source_rank
from scrapers.token_common import SIZE_BUCKET_RE

TRAINING_KINDS = ("training_per_1m_tokens", "min_charge")   # aggregators never price these

_DATED = re.compile(r"^(?P<base>.+?)-\d{4}-\d{2}-\d{2}$")
_VERSIONED = re.compile(r"^(?P<base>.+?)-\d{3}$")      # Vertex ids such as gemini-2.0-flash-001


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
               tier: str | None = None, exclude_tiers: tuple[str, ...] = COMMITTED_TIERS) -> list[tuple[str, str]]:
    """(provider, tier) pairs that price this GPU in the snapshot, sorted; ``exclude_tiers``
    (default: commitment tiers) are left out unless ``tier`` names one."""
    return sorted({(p.provider, p.tier) for p in snap.gpu
                   if p.gpu_model == gpu_model and (provider is None or p.provider == provider)
                   and (p.tier == tier if tier is not None else p.tier not in exclude_tiers)})


def effective_usd_per_gpu_hour(p: GpuPrice, count: int) -> float:
    """What one of ``count`` GPUs costs per hour on this offering: its per-GPU price, unless the
    offering is a larger instance than needed, which is paid in full (Lambda 8× for a 1-GPU job)."""
    return p.usd_per_gpu_hour * p.gpu_count / count if p.gpu_count > count else p.usd_per_gpu_hour


def pick_gpu_price(snap: PriceSnapshot, gpu_model: str, count: int, *, provider: str | None = None,
                   tier: str | None = None, tiers: list[str] | None = None,
                   exclude_tiers: tuple[str, ...] = COMMITTED_TIERS) -> GpuPrice | None:
    """The cheapest offering for ``count`` GPUs of a model, by effective price per needed GPU.

    Candidates: the named ``tier``, else the named ``tiers``, else every tier but
    ``exclude_tiers`` (default: the commitment tiers, whose hourly figure is only the rate of a
    reserved term or a cluster contract, not what an hour costs).
    Within one provider and tier an offering of exactly ``count`` GPUs (Lambda instance sizes) is
    preferred; otherwise a smaller offering's per-GPU price (rent several), or a larger instance
    paid in full. Fresh observations beat stale ones.
    """
    def wanted(t: str) -> bool:
        if tier is not None:
            return t == tier
        if tiers is not None:
            return t in tiers
        return t not in exclude_tiers

    rows = [p for p in snap.gpu if p.gpu_model == gpu_model
            and (provider is None or p.provider == provider) and wanted(p.tier)]

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
    label = label.replace(" ", "")
    if not SIZE_BUCKET_RE.match(label):   # the scrapers' bucket vocabulary (scrapers.token_common)
        return None
    numbers = [float(x) for x in re.findall(r"\d+(?:\.\d+)?", label)]
    if label.startswith("<="):
        return 0.0, numbers[0]
    if label.startswith(">"):
        return numbers[0] + 1e-9, float("inf")
    return numbers[0], numbers[1]


def in_bucket(label: str, params: float) -> bool:
    r = bucket_range(label)
    return r is not None and r[0] <= params / 1e9 <= r[1]


def find_token_price(snap: PriceSnapshot, provider: str, model: str | None, params: float | None,
                     methods: list[str], kind: str) -> TokenObs | None:
    """Best observation for provider/model (or size bucket)/method/kind.

    Preference: the first method in ``methods`` that has any price; an exact model id over a size
    bucket; then, in this order: a fresh observation over a stale one; a provider page over the
    curated sheet over an aggregator (``scrapers.registry.source_rank``; aggregators never for
    training kinds); the newest observation; the model id (for a stable choice).
    """
    allow_aggregators = kind not in TRAINING_KINDS
    for method in methods:
        rows = [t for t in snap.tokens if t.provider == provider and t.method == method and t.price_kind == kind
                and (allow_aggregators or t.source not in AGGREGATOR_SOURCES)]
        named = [t for t in rows if model and model_matches(model, t.model)]
        bucketed = [t for t in rows if params is not None and in_bucket(t.model, params)]
        pool = named or bucketed
        if pool:
            return min(pool, key=lambda t: (snap.is_stale(t.observed_at), source_rank(t.source),
                                             -t.observed_at.timestamp(), t.model))
    return None
