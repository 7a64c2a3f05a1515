"""Typed records every collector returns. One vocabulary for all providers.

GPU prices are USD per GPU-hour and per instance-hour; token prices are USD per 1M tokens
(or per training hour / per job for the kinds that say so). All times are UTC.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

GPU_TIERS = (
    "on_demand", "secure", "community", "spot", "secure_spot", "community_spot",
    "interruptible", "reserved", "reserved_1w", "reserved_1m", "reserved_3m", "reserved_6m", "cluster",
)
# A source's own stock level for an offering (RunPod v2 ``availability``, lower-cased).
STOCK_LEVELS = ("high", "medium", "low", "none")
# A price per GPU-hour above this is a data error (a typo, a per-instance price in the per-GPU
# field), not an offer: collectors skip it with a warning.
MAX_PLAUSIBLE_USD_PER_GPU_HOUR = 100.0
# Tiers that can be taken away mid-run, and tiers that need a commitment (savings plans, whole
# clusters): neither is an hourly on-demand price, so neither is "the cheapest" by default.
INTERRUPTIBLE_TIERS = ("spot", "secure_spot", "community_spot", "interruptible")
COMMITTED_TIERS = ("reserved", "reserved_1w", "reserved_1m", "reserved_3m", "reserved_6m", "cluster")
TOKEN_METHODS = ("sft_lora", "sft_full", "dpo_lora", "dpo_full", "rft", "inference")
PRICE_KINDS = (
    "training_per_1m_tokens", "training_per_hour", "ft_input_per_1m", "ft_cached_input_per_1m",
    "ft_output_per_1m", "base_input_per_1m", "base_output_per_1m", "min_charge",
)
LIFECYCLE_EVENTS = ("announced", "training_unavailable", "inference_shutdown", "deprecated", "retired")


@dataclass(slots=True)
class GpuOffer:
    """One priced GPU offering (a GPU type on a tier, an instance size, or a market aggregate)."""

    provider: str
    offering_key: str  # stable id of the offering inside the provider, e.g. "NVIDIA H100 80GB HBM3|secure"
    gpu_model: str | None  # canonical name (scrapers.gpu_names); None when the raw name is unknown
    gpu_raw_name: str
    gpu_count: int
    tier: str
    usd_per_gpu_hour: float
    usd_per_instance_hour: float
    region: str | None = None
    vram_gb: float | None = None
    # Market aggregates (Vast.ai): usd_per_gpu_hour is the p10; these carry the rest.
    offer_count: int | None = None
    usd_per_gpu_hour_min: float | None = None
    usd_per_gpu_hour_median: float | None = None
    # Provenance: the collector that read it (``scrapers.registry`` name; None = the provider's own
    # collector, named like the provider) and, for a multi-cloud catalogue, the catalogue folder the
    # row came from (``shadeform``, ``aws``...). ``provider`` is always the cloud that rents the GPU.
    source: str | None = None
    catalog: str | None = None
    # Availability, where the source says: True = rentable now, False = sold out; None = not said.
    # ``stock`` is the source's own level (``high``/``medium``/``low``/``none``); ``available_in``
    # the regions or data centres with capacity now (comma-separated).
    available: bool | None = None
    stock: str | None = None
    available_in: str | None = None
    # Instance shape, where the source says (per instance, not per GPU).
    vcpus: float | None = None
    ram_gb: float | None = None
    disk_gb: float | None = None


@dataclass(slots=True)
class MarketOffer:
    """One rentable marketplace offer (Vast.ai), kept in full beside the per-model aggregates."""

    provider: str
    offer_id: str
    machine_id: str | None
    gpu_model: str | None
    gpu_raw_name: str
    gpu_count: int
    tier: str
    usd_per_gpu_hour: float
    usd_per_instance_hour: float
    vram_gb: float | None = None
    reliability: float | None = None
    verified: bool | None = None
    location: str | None = None
    # The current minimum interruptible bid for the whole offer (USD/h), when the market quotes one.
    min_bid: float | None = None
    vcpus: float | None = None
    ram_gb: float | None = None
    disk_gb: float | None = None


@dataclass(slots=True)
class TokenPrice:
    provider: str
    model: str  # a model id, or a size bucket such as "<=16B"
    method: str  # one of TOKEN_METHODS
    price_kind: str  # one of PRICE_KINDS
    usd: float
    source_url: str | None = None
    # Set only by dated sheets (the curated price sheet): the day the price was read from the
    # provider's page. The loader stores it as observed_at instead of the batch time.
    as_of: date | None = None


@dataclass(slots=True)
class LifecycleEvent:
    provider: str
    model: str
    event: str  # one of LIFECYCLE_EVENTS
    effective_date: date | None
    announced_date: date | None = None
    replacement: str | None = None
    scope: str = ""  # e.g. "organisations that have never fine-tuned"; "" means everyone
    source_url: str | None = None


@dataclass
class ParseResult:
    """What a parser returns. For large payloads (over ~10k rows) ``gpu_offers`` and
    ``market_offers`` may instead be a ``pyarrow.Table`` whose column names are the record's
    field names (columns left out load as NULL): no Python object per row."""

    gpu_offers: list[GpuOffer] | Any = field(default_factory=list)
    market_offers: list[MarketOffer] | Any = field(default_factory=list)
    token_prices: list[TokenPrice] = field(default_factory=list)
    lifecycle_events: list[LifecycleEvent] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def record_count(self) -> int:
        return (len(self.gpu_offers) + len(self.market_offers) + len(self.token_prices)
                + len(self.lifecycle_events))


@dataclass(slots=True)
class RawPayload:
    """Bytes exactly as fetched, with what is needed to archive and re-parse them."""

    source: str
    url: str
    status: int
    body: bytes
    fetched_at: datetime
    ext: str  # json | html | md | yaml | csv | txt
    content_type: str | None = None


@dataclass(slots=True)
class FetchFailure:
    """A request that produced no payload (connection refused, timeout, DNS...)."""

    source: str
    url: str
    error: str
    fetched_at: datetime
