"""The report's read model: the records every section is built from, and the small rules that
belong to them (display order of GPU models, what counts as a flexible tier, the cheapest
offering per GPU). No SQL here (``reports.queries``), no diffing (``reports.comparisons``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from scrapers.records import COMMITTED_TIERS, INTERRUPTIBLE_TIERS

# Chart and table order: these families first, then everything else by name.
GPU_PRIORITY = ("H100", "A100", "L40S", "RTX 4090")
PREFERRED_GPU = ("H100 SXM 80GB", "A100 SXM 80GB", "L40S 48GB", "RTX 4090 24GB")
TRAINING_KIND = "training_per_1m_tokens"
HISTORY_DAYS = 90  # GPU and token history charts
LIFECYCLE_LOOKBACK_DAYS = 90
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}
# A route's status (cost_engine.pricing.STATUSES), best first: usable; priced on a price older than
# the freshness limit; a price we lack (the provider may offer it); the provider does not offer it.
ROUTE_STATES = ("available", "stale", "unpriced", "unavailable")


def is_flexible(tier: str) -> bool:
    """Rentable by the hour with no commitment and not pre-emptible: what "cheapest" compares."""
    return tier not in INTERRUPTIBLE_TIERS and tier not in COMMITTED_TIERS


def gpu_sort_key(gpu_model: str) -> tuple[int, int, str]:
    family = next((i for i, f in enumerate(GPU_PRIORITY) if gpu_model.startswith(f)), len(GPU_PRIORITY))
    preferred = 0 if gpu_model in PREFERRED_GPU else 1
    return family, preferred, gpu_model


# ---------------------------------------------------------------- GPU prices


def cheapest_rank(tier: str, usd_per_gpu_hour: float, sold_out: bool) -> tuple[bool, bool, float]:
    """How "the cheapest" compares offerings (issue #11: the cheapest usable on-demand offer): one
    that can be rented (not sold out) first, then a flexible tier, then the lower price."""
    return sold_out, not is_flexible(tier), usd_per_gpu_hour


@dataclass(frozen=True)
class GpuPoint:
    """One (GPU model, provider, tier) on one day (``gpu_prices_daily_as_of``): the price of its
    cheapest offering not marked sold out, or, when every offering was sold out, its lowest listed
    price (``sold_out``)."""

    day: date
    gpu_model: str
    provider: str
    tier: str
    usd_per_gpu_hour: float
    sold_out: bool = False

    @property
    def rank(self) -> tuple[bool, bool, float]:
        return cheapest_rank(self.tier, self.usd_per_gpu_hour, self.sold_out)


def cheapest_point(points: list[GpuPoint]) -> GpuPoint:
    """The cheapest of one day's points by ``cheapest_rank``."""
    return min(points, key=lambda p: p.rank)


@dataclass(frozen=True)
class GpuOffering:
    """The cheapest offering of one (GPU model, provider, tier) in a snapshot: not sold out, when
    any of its offerings is not (``sold_out`` True when every one is)."""

    gpu_model: str
    provider: str
    tier: str
    usd_per_gpu_hour: float
    gpu_count: int
    region: str | None
    observed_at: datetime
    offer_count: int | None
    sold_out: bool = False

    @property
    def key(self) -> tuple[str, str, str]:
        return self.gpu_model, self.provider, self.tier

    @property
    def interruptible(self) -> bool:
        return self.tier in INTERRUPTIBLE_TIERS

    @property
    def flexible(self) -> bool:
        return is_flexible(self.tier)

    @property
    def rank(self) -> tuple[bool, bool, float]:
        return cheapest_rank(self.tier, self.usd_per_gpu_hour, self.sold_out)


def cheapest_by_gpu(snapshot: list[GpuOffering]) -> dict[str, GpuOffering]:
    """The cheapest offering per GPU model by ``cheapest_rank``: rentable and flexible (on demand,
    no commitment, not interruptible) first; an interruptible or committed one only when the GPU
    has nothing else, a sold-out one only when nothing can be rented."""
    best: dict[str, GpuOffering] = {}
    for o in snapshot:
        current = best.get(o.gpu_model)
        if current is None or current.rank > o.rank:
            best[o.gpu_model] = o
    return dict(sorted(best.items(), key=lambda kv: gpu_sort_key(kv[0])))


# ---------------------------------------------------------------- token prices


@dataclass(frozen=True)
class TokenQuote:
    provider: str
    model: str
    method: str
    price_kind: str
    usd: float
    observed_at: datetime
    source: str

    @property
    def key(self) -> tuple[str, str, str, str]:
        return self.provider, self.model, self.method, self.price_kind


@dataclass(frozen=True)
class TokenPoint:
    """The believed training price of one (provider, model, method) as of a day (a chart point)."""

    day: date
    provider: str
    model: str
    method: str
    usd: float
    source: str


# ---------------------------------------------------------------- changes


@dataclass(frozen=True)
class PriceChange:
    label: str  # e.g. "H100 SXM 80GB · runpod · secure"
    before: float | None
    after: float | None
    unit: str

    @property
    def kind(self) -> str:
        if self.before is None:
            return "new"
        if self.after is None:
            return "gone"
        return "up" if self.after > self.before else "down"

    @property
    def pct(self) -> float | None:
        if self.before is None or self.after is None or self.before == 0:
            return None
        return (self.after - self.before) / self.before


@dataclass
class ChangeSet:
    """What changed between ``since`` and the report day."""

    since: date
    has_baseline: bool  # False when the warehouse holds no prices at ``since``
    gpu: list[PriceChange] = field(default_factory=list)
    tokens: list[PriceChange] = field(default_factory=list)
    new_events: list[dict[str, Any]] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for c in self.gpu + self.tokens if c.kind == kind)


# ---------------------------------------------------------------- scenarios


@dataclass(frozen=True)
class RouteCost:
    scenario: str
    route: str
    usd_low: float | None
    usd_mid: float | None
    usd_high: float | None
    available: bool
    reason: str | None
    mid_7d: float | None = None
    mid_30d: float | None = None
    usd_per_hour: float | None = None   # the hourly price actually charged (whole instance), GPU routes
    basis: str | None = None            # provider page, curated sheet, aggregator, reconstructed/second-hand
    status: str | None = None           # available, stale, unpriced, unavailable (None: stored before v3)
    usd_per_1m_tokens: float | None = None  # the training price per 1M tokens charged, hosted routes
    gpus_rented: int | None = None      # the GPUs of the instance charged at usd_per_hour
    observed_at: str | None = None      # the day of the price charged (YYYY-MM-DD)

    @property
    def state(self) -> str:
        """``status``; for a row stored before routes had one, available or unavailable."""
        if self.status in ROUTE_STATES:
            return self.status
        return "available" if self.available else "unavailable"


@dataclass(frozen=True)
class ScenarioSummary:
    scenario: str
    cheapest: RouteCost | None  # None when no route is usable
    cheapest_7d: float | None
    cheapest_30d: float | None
    routes: list[RouteCost]

    @property
    def not_used(self) -> list[RouteCost]:
        """The routes the cheapest rule skips: stale, unpriced or unavailable (worst first)."""
        return sorted((r for r in self.routes if not r.available),
                      key=lambda r: (-ROUTE_STATES.index(r.state), r.route))

    def count(self, state: str) -> int:
        return sum(1 for r in self.routes if r.state == state)

    @property
    def usable(self) -> int:
        return sum(1 for r in self.routes if r.available)


# ---------------------------------------------------------------- everything the report shows


@dataclass
class ReportData:
    as_of: date
    latest_day: date | None = None  # the newest observation day in the warehouse when built
    freshness_warning: str | None = None  # prices older than the freshness limit: the page's first line
    gpu_history: list[GpuPoint] = field(default_factory=list)
    gpu_now: list[GpuOffering] = field(default_factory=list)
    cheapest_now: dict[str, GpuOffering] = field(default_factory=dict)
    cheapest_yesterday: dict[str, GpuOffering] = field(default_factory=dict)
    cheapest_30d: dict[str, GpuOffering] = field(default_factory=dict)
    tokens_now: list[TokenQuote] = field(default_factory=list)
    tokens_30d: dict[tuple, float] = field(default_factory=dict)
    token_history: list[TokenPoint] = field(default_factory=list)
    changes: list[ChangeSet] = field(default_factory=list)
    scenario_day: date | None = None
    scenarios: list[ScenarioSummary] = field(default_factory=list)
    lifecycle: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # sections that could not be read

    @property
    def training_now(self) -> list[TokenQuote]:
        return [q for q in self.tokens_now if q.price_kind == TRAINING_KIND]

    @property
    def is_latest(self) -> bool:
        """True when this is the report of the newest data (what ``latest.html`` should show)."""
        return self.latest_day is None or self.as_of >= self.latest_day

    @property
    def is_empty(self) -> bool:
        return not (self.gpu_now or self.tokens_now or self.lifecycle or self.scenarios or self.alerts)
