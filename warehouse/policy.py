"""The pricing policy: one freshness rule per source kind, the customer profile, the spot allowance.

Defaults live in ``warehouse/policy.yaml`` (documented there and in docs/cost_engine.md). The
settings override them (``core.settings.Settings``: ``PRICEWATCH_COST_POLICY`` = another YAML file,
``PRICEWATCH_MAX_PRICE_AGE`` = ``kind=days,...``, ``PRICEWATCH_CURATED_MAX_AGE_DAYS``,
``PRICEWATCH_CUSTOMER_PROFILE``, ``PRICEWATCH_SPOT_ALLOWANCE``, or the same keys in
``<home>/pricewatch.toml``) and commands override the settings (``Policy.with_overrides``). Every
bad value is a one-line ``SettingsError`` (``PolicyError`` for the policy file) naming the value
and the valid range.

Its home is the warehouse layer because the warehouse's as-of views apply it too: the SQL
macros ``gpu_price_kind`` and ``max_price_age_days`` are generated from the bundled
policy file by ``warehouse/semantic.py`` (as ``source_rank`` is from the registry), and the cost
engine passes the ages in effect to ``gpu_offerings_as_of``; the numbers are written once, here.

Freshness: a price is *usable* on a pricing date when it was observed at most
``max_age_days[kind]`` days before it. A GPU price's kind is its provider's
(``gpu_marketplace`` for a marketplace such as Vast.ai, whatever feed reported it; else
``gpu_provider``), so a new GPU collector or a catalogue's cloud needs no entry here. A token
price's kind is its source's (curated sheet, aggregator, provider page).
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from core.settings import (
    CUSTOMER_PROFILES,
    MAX_PRICE_AGE_RANGE,
    SOURCE_KINDS,
    SPOT_ALLOWANCE_RANGE,
    Settings,
    SettingsError,
    check_max_price_age,
    parse_choice,
    parse_max_price_age,
)
from scrapers.registry import AGGREGATOR_SOURCES, CATALOGUE_SOURCES, DATED_SOURCES

DEFAULT_POLICY = Path(__file__).resolve().parent / "policy.yaml"
GPU_KINDS = ("gpu_marketplace", "gpu_provider")
# What a price is based on (provenance "basis"): the provider's own page or API, the curated
# sheet, an aggregator's republished figure, a multi-cloud catalogue's republished figure, a
# reconstructed or second-hand capture, a what-if.
BASIS_PROVIDER = "provider page"
BASIS_CURATED = "curated sheet"
BASIS_AGGREGATOR = "aggregator"
BASIS_CATALOGUE = "multi-cloud catalogue"
BASIS_RECONSTRUCTED = "reconstructed/second-hand"
BASIS_OVERRIDE = "what-if override"
_RECONSTRUCTED_MARKERS = ("reconstructed", "second-hand", "secondhand")

__all__ = ["CUSTOMER_PROFILES", "SOURCE_KINDS", "MAX_PRICE_AGE_RANGE", "Policy", "PolicyError", "basis",
           "load_policy", "default_policy"]


class PolicyError(SettingsError):
    """A bad policy file or value; the message is one line naming the value and the valid range."""


@dataclass(frozen=True)
class Policy:
    max_age_days: Mapping[str, int]
    gpu_marketplaces: tuple[str, ...] = ("vastai",)
    per_gpu_pods: Mapping[str, int] = field(default_factory=dict)
    skip_unavailable_offers: bool = True
    customer_profile: str = "new"
    spot_interruption_allowance: float = 0.15

    def gpu_kind(self, provider: str) -> str:
        """The source kind of a GPU price: its provider's, whichever feed reported it."""
        marketplace, provider_kind = GPU_KINDS
        return marketplace if provider in self.gpu_marketplaces else provider_kind

    def source_kind(self, source: str, *, gpu: bool) -> str:
        """The kind of a price: for a GPU price ``source`` is its provider (``gpu_kind``), for a
        token price the source that reported it."""
        if gpu:
            return self.gpu_kind(source)
        if source in DATED_SOURCES:
            return "curated"
        if source in AGGREGATOR_SOURCES:
            return "aggregator"
        return "token_provider"

    def max_age(self, source: str, *, gpu: bool) -> int:
        return int(self.max_age_days[self.source_kind(source, gpu=gpu)])

    def with_overrides(self, *, max_age: Mapping[str, int] | None = None, customer_profile: str | None = None,
                       spot_allowance: float | None = None) -> Policy:
        updated = self
        if max_age:
            checked = {kind: check_max_price_age(kind, days) for kind, days in max_age.items()}
            updated = replace(updated, max_age_days={**updated.max_age_days, **checked})
        if customer_profile is not None:
            updated = replace(updated, customer_profile=parse_choice(customer_profile, None, CUSTOMER_PROFILES,
                                                                     "customer profile"))
        if spot_allowance is not None:
            updated = replace(updated, spot_interruption_allowance=_allowance(spot_allowance, "spot allowance"))
        return updated

    def with_settings(self, settings: Settings) -> Policy:
        """This policy with the settings' overrides (environment and config file) applied."""
        return self.with_overrides(max_age=dict(settings.max_price_age), customer_profile=settings.customer_profile,
                                   spot_allowance=settings.spot_allowance)


def basis(source: str, *, gpu: bool, url: str | None = None, policy: Policy | None = None) -> str:
    """What a price is based on, from the source that reported it (for a GPU price the
    collector, not the provider: a catalogue's row is the catalogue's); a capture whose file or
    URL says it was reconstructed (or second-hand) says so whatever its source."""
    if source == "override":
        return BASIS_OVERRIDE
    if source in CATALOGUE_SOURCES:
        return BASIS_CATALOGUE
    kind = (policy or default_policy()).source_kind(source, gpu=gpu)
    if kind == "curated":
        return BASIS_CURATED
    if kind == "aggregator" or source in AGGREGATOR_SOURCES:
        return BASIS_AGGREGATOR
    if url and any(marker in url.lower() for marker in _RECONSTRUCTED_MARKERS):
        return BASIS_RECONSTRUCTED
    return BASIS_PROVIDER


def _allowance(value: Any, label: str) -> float:
    lo, hi = SPOT_ALLOWANCE_RANGE
    try:
        number = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or not lo <= number <= hi:
        raise PolicyError(f"{label} {value!r} must be a fraction from {lo:g} to {hi:g} (0.15 = 15%)")
    return number


def _from_mapping(raw: Mapping[str, Any], where: str) -> Policy:
    ages = raw.get("max_price_age_days") or {}
    if not isinstance(ages, Mapping):
        raise PolicyError(f"{where}: max_price_age_days must map a source kind to days")
    missing = [k for k in SOURCE_KINDS if k not in ages]
    if missing:
        raise PolicyError(f"{where}: max_price_age_days lacks {', '.join(missing)}")
    pods = raw.get("per_gpu_pods") or {}
    for provider, count in pods.items():
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise PolicyError(f"{where}: per_gpu_pods {provider}={count!r} must be a whole number of GPUs >= 1")
    try:
        checked_ages = parse_max_price_age(ages, f"{where}: max_price_age_days")
        profile = parse_choice(str(raw.get("customer_profile", "new")), f"{where}: customer_profile",
                               CUSTOMER_PROFILES, "customer profile")
    except SettingsError as exc:
        raise PolicyError(str(exc)) from None
    return Policy(
        max_age_days=checked_ages,
        gpu_marketplaces=tuple(raw.get("gpu_marketplaces") or ()),
        per_gpu_pods=dict(pods),
        skip_unavailable_offers=bool(raw.get("skip_unavailable_offers", True)),
        customer_profile=profile,
        spot_interruption_allowance=_allowance(raw.get("spot_interruption_allowance", 0.15),
                                               f"{where}: spot_interruption_allowance"),
    )


def read_policy_file(path: str | Path) -> Policy:
    """One policy file, without overrides. Parsed once per version of the file (its path,
    modification time and size): callers that ask per item (the lifecycle alerts, per event) pay a
    ``stat``, and an edited file is read again. ``Policy`` is frozen, so sharing it is safe."""
    source = Path(path)
    try:
        stat = source.stat()
    except OSError as exc:
        raise PolicyError(f"cannot read the cost policy {source}: {str(exc).splitlines()[0]}") from None
    return _parse_policy_file(source, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=16)
def _parse_policy_file(source: Path, _mtime_ns: int, _size: int) -> Policy:
    try:
        raw = yaml.safe_load(source.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyError(f"cannot read the cost policy {source}: {str(exc).splitlines()[0]}") from None
    if not isinstance(raw, Mapping):
        raise PolicyError(f"cost policy {source} must be a YAML mapping")
    return _from_mapping(raw, str(source))


def load_policy(settings: Settings | None = None) -> Policy:
    """The policy in effect: the settings' policy file (else the bundled one) with the settings'
    overrides. Without settings, ``Settings.from_env()`` (environment and config file)."""
    settings = settings if settings is not None else Settings.from_env()
    return read_policy_file(settings.cost_policy or DEFAULT_POLICY).with_settings(settings)


_DEFAULT: Policy | None = None


def default_policy() -> Policy:
    """The bundled policy file without overrides (pure code paths, tests, the SQL defaults)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = read_policy_file(DEFAULT_POLICY)
    return _DEFAULT
