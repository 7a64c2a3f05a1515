"""An as-of price snapshot and the pure rules that pick prices out of it.

As-of semantics (loaded by ``cost_engine.loader`` through the shared SQL macros of
warehouse/semantic/20_as_of.sql): GPU offerings listed in each provider's last load before the
end of the as_of day; token prices in each source's last load (for the dated curated sheet, the
newest row per price line).

Freshness (one policy, ``warehouse.policy``): an observation is *usable* when it is at most
``policy.max_age(source)`` days older than ``as_of``. Usable prices are always chosen before
stale ones; a stale price is returned only when nothing usable exists, and the route priced on
it is marked stale (never silently chosen or mixed).

Pay for what you rent: a k-GPU job needs one instance of at least k GPUs of the model. An
offering rents its ``gpu_count`` GPUs, except a per-GPU pod provider's (``policy.per_gpu_pods``)
1-GPU offering, which rents any count up to the provider's maximum at its per-GPU price. The job
pays the whole instance; a larger instance than needed is used only when no usable instance of
the right size exists, and is then named (``Offer.oversized``).

Tiers: commitment tiers (``COMMITTED_TIERS``) are never candidates unless a route or
``serving.tiers`` names them; serving also skips ``INTERRUPTIBLE_TIERS`` unless named.

Availability and shape (issue #12): an offering its source marks sold out (``available`` false)
is not a candidate when the policy says so (``skip_unavailable_offers``, on by default; NULL =
not said = usable). A job may need instance RAM or disk (``ShapeNeeds``, from the scenario's
``min_ram_gb`` / ``min_disk_gb``): an offering whose instance is known to have less is not a
candidate; one whose source does not say is a candidate, flagged (``Offer.shape_unknown``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from scrapers.records import COMMITTED_TIERS, INTERRUPTIBLE_TIERS
from scrapers.registry import AGGREGATOR_SOURCES, source_rank
from scrapers.token_common import SIZE_BUCKET_RE
from warehouse.policy import Policy, basis, default_policy

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
    fetch_url: str | None = None   # fetch_log.url of the load: names a reconstructed capture
    # Columns a collector adds beyond these (availability, shape: available, stock, vcpus, ...).
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def source(self) -> str:
        """The collector that reported it (a multi-cloud catalogue, or the provider's own)."""
        return str(self.extra.get("source") or self.provider)

    @property
    def catalog(self) -> str | None:
        """The catalogue folder a multi-cloud catalogue row came from (None: not a catalogue row)."""
        return self.extra.get("catalog")


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
    fetch_url: str | None = None   # fetch_log.url of the load: names a reconstructed capture


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


@dataclass(frozen=True)
class Freshness:
    kind: str
    age_days: int
    max_age_days: int

    @property
    def usable(self) -> bool:
        return self.age_days <= self.max_age_days


@dataclass
class PriceSnapshot:
    as_of: date
    gpu: list[GpuPrice] = field(default_factory=list)
    tokens: list[TokenObs] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    policy: Policy = field(default_factory=default_policy)
    lifecycle_date: date | None = None     # the day lifecycle events are judged on (default as_of)
    events_known_at: datetime | None = None  # events first seen before this (None: as of the day)

    @property
    def lifecycle_day(self) -> date:
        return self.lifecycle_date or self.as_of

    def freshness(self, source: str, observed_at: datetime, *, gpu: bool) -> Freshness:
        return Freshness(self.policy.source_kind(source, gpu=gpu), (self.as_of - observed_at.date()).days,
                         self.policy.max_age(source, gpu=gpu))

    def gpu_usable(self, p: GpuPrice) -> bool:
        return self.freshness(p.provider, p.observed_at, gpu=True).usable

    def token_usable(self, t: TokenObs) -> bool:
        return self.freshness(t.source, t.observed_at, gpu=False).usable


# ---------------------------------------------------------------- GPU offers

SHAPE_FIELDS = ("ram_gb", "disk_gb")


@dataclass(frozen=True)
class ShapeNeeds:
    """What a job needs of the instance beyond its GPUs (None: no need stated)."""
    min_ram_gb: float | None = None
    min_disk_gb: float | None = None

    def minimum(self, field_name: str) -> float | None:
        return {"ram_gb": self.min_ram_gb, "disk_gb": self.min_disk_gb}[field_name]

    def __bool__(self) -> bool:
        return self.min_ram_gb is not None or self.min_disk_gb is not None

    def describe(self) -> str:
        parts = [f"{label} >= {value:g} GB" for label, value in (("RAM", self.min_ram_gb), ("disk", self.min_disk_gb))
                 if value is not None]
        return " and ".join(parts)


def instance_shape(p: GpuPrice, gpus_rented: int) -> dict[str, float | None]:
    """RAM and disk of the instance rented, where the source says: the offering's own figures
    when the job rents the offering as listed; unknown when a per-GPU pod is scaled beyond the
    listed size (its RAM at that size is not published)."""
    listed = gpus_rented == p.gpu_count
    return {f: (float(v) if listed and (v := p.extra.get(f)) is not None else None) for f in SHAPE_FIELDS}


def shape_verdict(p: GpuPrice, gpus_rented: int, needs: ShapeNeeds | None) -> tuple[bool, tuple[str, ...]]:
    """(the instance can host the job, the needed fields its source does not state)."""
    if not needs:
        return True, ()
    shape = instance_shape(p, gpus_rented)
    unknown = []
    for f in SHAPE_FIELDS:
        minimum = needs.minimum(f)
        if minimum is None:
            continue
        have = shape[f]
        if have is None:
            unknown.append(f)
        elif have < minimum:
            return False, ()
    return True, tuple(unknown)


@dataclass(frozen=True)
class Offer:
    """One offering used for a job of ``gpus_needed`` GPUs: the instance rented and what it costs."""
    price: GpuPrice
    gpus_needed: int
    gpus_rented: int
    usable: bool
    shape_unknown: tuple[str, ...] = ()   # needed instance fields (ram_gb, disk_gb) the source does not state
    allowance: float = 0.0                # the policy's spot interruption allowance, on interruptible tiers

    @property
    def instance_usd_per_hour(self) -> float:
        return self.price.usd_per_gpu_hour * self.gpus_rented

    @property
    def effective_usd_per_gpu_hour(self) -> float:
        """What each GPU the job uses costs per hour (the whole instance over the GPUs needed)."""
        return self.instance_usd_per_hour / self.gpus_needed

    @property
    def oversized(self) -> bool:
        return self.gpus_rented > self.gpus_needed

    @property
    def interruptible(self) -> bool:
        return self.price.tier in INTERRUPTIBLE_TIERS

    @property
    def compared_usd_per_hour(self) -> float:
        """The instance price with the spot interruption allowance on interruptible tiers: what a
        spot offer really costs per hour of work, so it is preferred only when cheaper after restarts."""
        return self.instance_usd_per_hour * (1 + self.allowance)

    def sort_key(self) -> tuple:
        # Usable first; then the smallest instance that fits (a larger one only when no smaller one
        # is usable); then the lowest price per hour of work (spot allowance included); then a
        # stable name order.
        return (not self.usable, self.gpus_rented, self.compared_usd_per_hour, self.price.provider,
                self.price.tier, self.price.offering_key)


def gpus_rented(p: GpuPrice, needed: int, policy: Policy) -> int | None:
    """GPUs this offering rents for a job of ``needed`` GPUs, or None if it cannot host it."""
    pod_max = policy.per_gpu_pods.get(p.provider)
    if pod_max and p.gpu_count == 1:
        return needed if needed <= pod_max else None
    return p.gpu_count if p.gpu_count >= needed else None


def rentable(p: GpuPrice, policy: Policy) -> bool:
    """False for an offering its collector flags as not available (when the policy says to skip those)."""
    return not (policy.skip_unavailable_offers and p.extra.get("available") is False)


def _tier_wanted(t: str, tier: str | None, tiers: list[str] | None, exclude_tiers: tuple[str, ...]) -> bool:
    if tier is not None:
        return t == tier
    if tiers is not None:
        return t in tiers
    return t not in exclude_tiers


def gpu_offers(snap: PriceSnapshot, gpu_model: str, needed: int, *, provider: str | None = None,
               tier: str | None = None, tiers: list[str] | None = None,
               exclude_tiers: tuple[str, ...] = COMMITTED_TIERS, needs: ShapeNeeds | None = None) -> list[Offer]:
    """Every offering of ``gpu_model`` that can host a ``needed``-GPU job (rentable, and with the
    instance RAM/disk ``needs`` asks for where its source states them), best first (``Offer.sort_key``)."""
    offers = []
    for p in snap.gpu:
        if p.gpu_model != gpu_model or (provider is not None and p.provider != provider):
            continue
        if not _tier_wanted(p.tier, tier, tiers, exclude_tiers) or not rentable(p, snap.policy):
            continue
        rented = gpus_rented(p, needed, snap.policy)
        if rented is None:
            continue
        fits, unknown = shape_verdict(p, rented, needs)
        if fits:
            allowance = snap.policy.spot_interruption_allowance if p.tier in INTERRUPTIBLE_TIERS else 0.0
            offers.append(Offer(p, needed, rented, snap.gpu_usable(p), unknown, allowance))
    return sorted(offers, key=Offer.sort_key)


def choose_offer(snap: PriceSnapshot, gpu_model: str, needed: int, **filters: Any) -> Offer | None:
    offers = gpu_offers(snap, gpu_model, needed, **filters)
    return offers[0] if offers else None


def gpu_groups(snap: PriceSnapshot, gpu_model: str, needed: int = 1, provider: str | None = None,
               exclude_tiers: tuple[str, ...] = COMMITTED_TIERS) -> list[tuple[str, str]]:
    """(provider, tier) pairs with an offering that can host the job, sorted."""
    return sorted({(o.price.provider, o.price.tier)
                   for o in gpu_offers(snap, gpu_model, needed, provider=provider, exclude_tiers=exclude_tiers)})


# ---------------------------------------------------------------- provenance


def _freshness_fields(f: Freshness) -> dict[str, Any]:
    return {"source_kind": f.kind, "age_days": f.age_days, "max_age_days": f.max_age_days,
            "usable": f.usable, "stale": not f.usable}


def gpu_provenance(offer: Offer, snap: PriceSnapshot) -> dict[str, Any]:
    p = offer.price
    return {"kind": "gpu", "provider": p.provider, "offering": p.offering_key, "gpu_model": p.gpu_model,
            "tier": p.tier, "gpu_count": p.gpu_count, "gpus_needed": offer.gpus_needed,
            "gpus_rented": offer.gpus_rented, "oversized": offer.oversized, "spot": offer.interruptible,
            "observed_at": p.observed_at.isoformat(), "source": p.source, "catalog": p.catalog,
            "source_fetch_id": p.source_fetch_id,
            "basis": basis(p.source, gpu=True, url=p.fetch_url, policy=snap.policy),
            "usd": p.usd_per_gpu_hour, "unit": "usd_per_gpu_hour",
            "instance_usd_per_hour": round(offer.instance_usd_per_hour, 6),
            "usd_effective": round(offer.effective_usd_per_gpu_hour, 6),
            "available": p.extra.get("available"), **instance_shape(p, offer.gpus_rented),
            "shape_unknown": list(offer.shape_unknown),
            **_freshness_fields(snap.freshness(p.provider, p.observed_at, gpu=True))}


def token_provenance(t: TokenObs, snap: PriceSnapshot) -> dict[str, Any]:
    return {"kind": "token", "provider": t.provider, "model": t.model, "method": t.method,
            "price_kind": t.price_kind, "observed_at": t.observed_at.isoformat(), "source": t.source,
            "source_fetch_id": t.source_fetch_id, "usd": t.usd,
            "basis": basis(t.source, gpu=False, url=t.fetch_url or t.source_url, policy=snap.policy),
            **_freshness_fields(snap.freshness(t.source, t.observed_at, gpu=False))}


def price_key(p: dict[str, Any]) -> tuple:
    """The identity of a price observation in provenance (its usd aside): what 'the same price' means."""
    if p.get("kind") == "gpu":
        return ("gpu", p.get("provider"), p.get("offering"), p.get("tier"), p.get("gpus_rented"))
    return ("token", p.get("provider"), p.get("model"), p.get("method"), p.get("price_kind"), p.get("source"))


# ---------------------------------------------------------------- token prices


def undated(model_id: str) -> tuple[str, bool]:
    """(base id, whether the id names a dated or numbered snapshot)."""
    for pattern in (_DATED, _VERSIONED):
        m = pattern.match(model_id)
        if m:
            return m.group("base"), True
    return model_id, False


def model_matches(route_model: str, model_id: str) -> bool:
    """Price lookup: 'gpt-4o-mini' matches 'gpt-4o-mini' and 'gpt-4o-mini-2024-07-18', never
    'gpt-4o' vs 'gpt-4o-mini-…'. A dated route model matches only that exact id (or its undated alias)."""
    if route_model == model_id:
        return True
    r_base, r_dated = undated(route_model)
    m_base, m_dated = undated(model_id)
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
    bucket; then, in this order: a usable (fresh enough) observation over a stale one; a provider
    page over the curated sheet over an aggregator (``scrapers.registry.source_rank``; aggregators
    never for training kinds); the newest observation; the model id (for a stable choice).
    """
    allow_aggregators = kind not in TRAINING_KINDS
    for method in methods:
        rows = [t for t in snap.tokens if t.provider == provider and t.method == method and t.price_kind == kind
                and (allow_aggregators or t.source not in AGGREGATOR_SOURCES)]
        named = [t for t in rows if model and model_matches(model, t.model)]
        bucketed = [t for t in rows if params is not None and in_bucket(t.model, params)]
        pool = named or bucketed
        if pool:
            return min(pool, key=lambda t: (not snap.token_usable(t), source_rank(t.source),
                                            -t.observed_at.timestamp(), t.model))
    return None
