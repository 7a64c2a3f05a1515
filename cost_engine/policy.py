"""The cost engine's policy: one freshness rule per source kind, the customer profile, spot allowance.

Defaults live in ``cost_engine/policy.yaml`` (documented there and in docs/cost_engine.md); the
environment overrides them (``PRICEWATCH_COST_POLICY`` = another YAML file,
``PRICEWATCH_MAX_PRICE_AGE`` = ``kind=days,...``, ``PRICEWATCH_CUSTOMER_PROFILE``,
``PRICEWATCH_SPOT_ALLOWANCE``, ``PRICEWATCH_CURATED_MAX_AGE_DAYS``) and commands override the
environment (``Policy.with_overrides``). Every bad value is a ``PolicyError`` whose one-line
message names the value and the valid range.

Freshness: a price is *usable* on a pricing date when it was observed at most
``max_age_days[kind]`` days before it, ``kind`` being the source kind of the observation
(``source_kind``). A GPU source not listed as a marketplace is a provider, so a new GPU
collector needs no entry here.
"""
from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from scrapers.registry import AGGREGATOR_SOURCES, DATED_SOURCES

DEFAULT_POLICY = Path(__file__).resolve().parent / "policy.yaml"
SOURCE_KINDS = ("gpu_marketplace", "gpu_provider", "token_provider", "aggregator", "curated")
CUSTOMER_PROFILES = ("new", "inactive", "active")
MAX_AGE_LIMIT_DAYS = 3650
# What a price is based on (provenance "basis"): the provider's own page or API, the curated
# sheet, an aggregator's republished figure, a reconstructed or second-hand capture, a what-if.
BASIS_PROVIDER = "provider page"
BASIS_CURATED = "curated sheet"
BASIS_AGGREGATOR = "aggregator"
BASIS_RECONSTRUCTED = "reconstructed/second-hand"
BASIS_OVERRIDE = "what-if override"
_RECONSTRUCTED_MARKERS = ("reconstructed", "second-hand", "secondhand")


class PolicyError(ValueError):
    """A bad policy value; the message is one line naming the value and the valid range."""


@dataclass(frozen=True)
class Policy:
    max_age_days: Mapping[str, int]
    gpu_marketplaces: tuple[str, ...] = ("vastai",)
    per_gpu_pods: Mapping[str, int] = field(default_factory=dict)
    skip_unavailable_offers: bool = False
    customer_profile: str = "new"
    spot_interruption_allowance: float = 0.15

    def source_kind(self, source: str, *, gpu: bool) -> str:
        if source in DATED_SOURCES:
            return "curated"
        if source in AGGREGATOR_SOURCES:
            return "aggregator"
        if gpu:
            return "gpu_marketplace" if source in self.gpu_marketplaces else "gpu_provider"
        return "token_provider"

    def max_age(self, source: str, *, gpu: bool) -> int:
        return int(self.max_age_days[self.source_kind(source, gpu=gpu)])

    def with_overrides(self, *, max_age: Mapping[str, int] | None = None, customer_profile: str | None = None,
                       spot_allowance: float | None = None) -> Policy:
        updated = self
        if max_age:
            updated = replace(updated, max_age_days={**updated.max_age_days, **max_age})
        if customer_profile is not None:
            updated = replace(updated, customer_profile=check_profile(customer_profile))
        if spot_allowance is not None:
            updated = replace(updated, spot_interruption_allowance=check_allowance(spot_allowance))
        return updated


def basis(source: str, *, gpu: bool, url: str | None = None, policy: Policy | None = None) -> str:
    """What a price is based on; a capture whose file or URL says it was reconstructed (or
    second-hand) says so whatever its source."""
    if source == "override":
        return BASIS_OVERRIDE
    kind = (policy or default_policy()).source_kind(source, gpu=gpu)
    if kind == "curated":
        return BASIS_CURATED
    if kind == "aggregator":
        return BASIS_AGGREGATOR
    if url and any(marker in url.lower() for marker in _RECONSTRUCTED_MARKERS):
        return BASIS_RECONSTRUCTED
    return BASIS_PROVIDER


def check_profile(value: str) -> str:
    if value not in CUSTOMER_PROFILES:
        raise PolicyError(f"customer profile {value!r} is not one of {', '.join(CUSTOMER_PROFILES)}")
    return value


def check_allowance(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or not 0 <= number <= 1:
        raise PolicyError(f"spot interruption allowance {value!r} must be a fraction from 0 to 1 (0.15 = 15%)")
    return number


def check_max_age(kind: str, value: Any) -> int:
    if kind not in SOURCE_KINDS:
        raise PolicyError(f"price age kind {kind!r} is not one of {', '.join(SOURCE_KINDS)}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number) or number != int(number) \
            or not 0 <= number <= MAX_AGE_LIMIT_DAYS:
        raise PolicyError(f"maximum price age {kind}={value!r} must be a whole number of days "
                          f"from 0 to {MAX_AGE_LIMIT_DAYS}")
    return int(number)


def parse_max_age(text: str) -> dict[str, int]:
    """``gpu_provider=14,curated=200`` (commas or spaces) → {kind: days}."""
    out: dict[str, int] = {}
    for part in text.replace(",", " ").split():
        kind, sep, days = part.partition("=")
        if not sep:
            raise PolicyError(f"maximum price age {part!r} must be KIND=DAYS, e.g. gpu_provider=14 "
                              f"(kinds: {', '.join(SOURCE_KINDS)})")
        out[kind.strip()] = check_max_age(kind.strip(), days.strip())
    return out


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
    return Policy(
        max_age_days={k: check_max_age(k, v) for k, v in ages.items()},
        gpu_marketplaces=tuple(raw.get("gpu_marketplaces") or ()),
        per_gpu_pods=dict(pods),
        skip_unavailable_offers=bool(raw.get("skip_unavailable_offers", False)),
        customer_profile=check_profile(str(raw.get("customer_profile", "new"))),
        spot_interruption_allowance=check_allowance(raw.get("spot_interruption_allowance", 0.15)),
    )


def load_policy(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Policy:
    """The policy file (``path``, else ``$PRICEWATCH_COST_POLICY``, else the bundled one) with
    the environment's overrides applied."""
    env = os.environ if env is None else env
    source = Path(path or env.get("PRICEWATCH_COST_POLICY") or DEFAULT_POLICY)
    try:
        raw = yaml.safe_load(source.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyError(f"cannot read the cost policy {source}: {str(exc).splitlines()[0]}") from None
    if not isinstance(raw, Mapping):
        raise PolicyError(f"cost policy {source} must be a YAML mapping")
    policy = _from_mapping(raw, str(source))
    ages: dict[str, int] = {}
    if env.get("PRICEWATCH_MAX_PRICE_AGE"):
        ages.update(parse_max_age(env["PRICEWATCH_MAX_PRICE_AGE"]))
    if env.get("PRICEWATCH_CURATED_MAX_AGE_DAYS"):
        ages["curated"] = check_max_age("curated", env["PRICEWATCH_CURATED_MAX_AGE_DAYS"])
    spot = env.get("PRICEWATCH_SPOT_ALLOWANCE")
    return policy.with_overrides(max_age=ages or None,
                                 customer_profile=env.get("PRICEWATCH_CUSTOMER_PROFILE") or None,
                                 spot_allowance=check_allowance(spot) if spot else None)


_DEFAULT: Policy | None = None


def default_policy() -> Policy:
    """The bundled policy file without environment overrides (pure code paths and tests)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_policy(DEFAULT_POLICY, env={})
    return _DEFAULT
