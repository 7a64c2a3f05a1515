"""The one numeric boundary every parser uses: a value from a payload becomes a finite number in
range, or a ``ParseError`` naming the source, field and file (never NaN, inf, an overflow or a
wrongly typed value slipping through).

* ``finite_number`` / ``positive_count``: read one value, or raise;
* ``plausible_gpu_price`` / ``plausible_token_price``: the plausibility bounds, in one place
  (``scrapers.records.MAX_PLAUSIBLE_USD_PER_GPU_HOUR``, ``TOKEN_PRICE_BOUNDS``);
* ``vet_result``: the last check on everything a parser emits (``Source.parse`` applies it):
  a record with a non-finite, implausible or wrongly typed number, a GPU row without a raw model
  name or a positive count, is dropped with one warning per kind of record.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import fields
from datetime import date
from decimal import Decimal
from typing import Any

from scrapers.errors import ParseError
from scrapers.records import (
    GPU_TIERS,
    MAX_PLAUSIBLE_USD_PER_GPU_HOUR,
    PRICE_KINDS,
    TOKEN_METHODS,
    GpuOffer,
    LifecycleEvent,
    MarketOffer,
    ParseResult,
    TokenPrice,
)

# Highest plausible USD amount per token price kind (a higher one is a misread cell, a unit
# change or a corrupt feed). The dearest real prices are far below: ~$600 per 1M output tokens
# (o1-pro), $100 per training hour, $60 of minimum charge.
MAX_PLAUSIBLE_USD_PER_1M_TOKENS = 10_000.0
MAX_PLAUSIBLE_USD_PER_TRAINING_HOUR = 10_000.0
MAX_PLAUSIBLE_MIN_CHARGE_USD = 100_000.0
TOKEN_PRICE_BOUNDS: dict[str, float] = {
    kind: (MAX_PLAUSIBLE_USD_PER_TRAINING_HOUR if kind == "training_per_hour"
           else MAX_PLAUSIBLE_MIN_CHARGE_USD if kind == "min_charge" else MAX_PLAUSIBLE_USD_PER_1M_TOKENS)
    for kind in PRICE_KINDS
}
# Kinds where 0 is a real price ("No min price"); for the others 0 means unknown or free-tier noise.
ZERO_ALLOWED_KINDS = ("min_charge",)
MAX_GPU_COUNT = 1024
MAX_VRAM_GB = 10_000.0


def finite_number(value: Any, *, source: str, field: str, origin: str = "<payload>",
                  minimum: float | None = None, maximum: float | None = None,
                  accept_text: bool = False) -> float:
    """``value`` as a finite float within [minimum, maximum]; ``accept_text`` also takes a
    numeric string such as ``"1.25"``. Anything else raises ``ParseError``."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ParseError(source, field, f"expected a number, got {type(value).__name__}", origin)
    if isinstance(value, str):
        if not accept_text:
            raise ParseError(source, field, f"expected a number, got text {value[:40]!r}", origin)
        try:
            value = float(value.strip().replace(",", ""))
        except ValueError:
            raise ParseError(source, field, f"not a number: {value[:40]!r}", origin) from None
    try:
        number = float(value)
    except OverflowError:
        raise ParseError(source, field, "number too large", origin) from None
    if not math.isfinite(number):
        raise ParseError(source, field, f"not a finite number: {number}", origin)
    if minimum is not None and number < minimum:
        raise ParseError(source, field, f"{number} is below the minimum {minimum}", origin)
    if maximum is not None and number > maximum:
        raise ParseError(source, field, f"{number} is above the maximum {maximum}", origin)
    return number


def positive_count(value: Any, *, source: str, field: str, origin: str = "<payload>",
                   maximum: int = MAX_GPU_COUNT) -> int:
    """A whole count such as a GPU count: an integer (or integral float) in [1, maximum]."""
    number = finite_number(value, source=source, field=field, origin=origin, minimum=1, maximum=maximum)
    if number != int(number):
        raise ParseError(source, field, f"expected a whole number, got {number}", origin)
    return int(number)


def plausible_gpu_price(usd_per_gpu_hour: float) -> bool:
    """A usable per-GPU-hour price: finite, above 0 and at most the plausibility bound
    (``scrapers.records.MAX_PLAUSIBLE_USD_PER_GPU_HOUR``). Collectors skip others with a warning."""
    return is_real(usd_per_gpu_hour) and 0 < usd_per_gpu_hour <= MAX_PLAUSIBLE_USD_PER_GPU_HOUR


def is_real(value: Any) -> bool:
    """A finite int or float (not a bool, not text, not a Decimal)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and _finite(value)


def _finite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


def plausible_token_price(usd: Any, price_kind: str) -> bool:
    """A usable token price of ``price_kind``: a finite number above 0 (or exactly 0 for the kinds
    in ``ZERO_ALLOWED_KINDS``) and at most ``TOKEN_PRICE_BOUNDS[price_kind]``."""
    if not is_real(usd) or price_kind not in TOKEN_PRICE_BOUNDS:
        return False
    low_ok = usd >= 0 if price_kind in ZERO_ALLOWED_KINDS else usd > 0
    return low_ok and usd <= TOKEN_PRICE_BOUNDS[price_kind]


def token_price(value: Any, price_kind: str) -> float | None:
    """``value`` (a float, int, Decimal or numeric text) as a plausible USD price of ``price_kind``,
    else None. Never raises: an overflow, NaN or absurd amount is simply not a price."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return None
    try:
        number = float(Decimal(value.strip().replace(",", "")) if isinstance(value, str) else value)
    except (ArithmeticError, ValueError):  # decimal.InvalidOperation, OverflowError
        return None
    return number if plausible_token_price(number, price_kind) else None


# --- the last check on a parser's records --------------------------------------------------------

def _optional(value: Any, low: float = 0.0, high: float = math.inf) -> bool:
    return value is None or (is_real(value) and low <= value <= high)


def _name(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_GPU_COUNT


def _non_finite_field(record: Any) -> str | None:
    """The first float field of ``record`` that is NaN or infinite (any field, present or future)."""
    for f in fields(record):
        value = getattr(record, f.name)
        if isinstance(value, float) and not math.isfinite(value):
            return f"{f.name} {value!r} is not finite"
    return None


def gpu_offer_problem(o: GpuOffer) -> str | None:
    """Why a GPU offer cannot be stored, or None when it can."""
    if not (_name(o.provider) and _name(o.offering_key) and _name(o.gpu_raw_name)):
        return "no provider, offering key or raw model name"
    if o.tier not in GPU_TIERS:
        return f"unknown tier {o.tier!r}"
    if problem := _gpu_price_problem(o):
        return problem
    if not (_optional(o.vram_gb, 0, MAX_VRAM_GB)
            and _optional(o.usd_per_gpu_hour_min, 0, MAX_PLAUSIBLE_USD_PER_GPU_HOUR)
            and _optional(o.usd_per_gpu_hour_median, 0, MAX_PLAUSIBLE_USD_PER_GPU_HOUR)):
        return "vram or min/median price not a finite number in range"
    if o.offer_count is not None and not (isinstance(o.offer_count, int) and o.offer_count >= 0):
        return f"offer_count {o.offer_count!r} is not a count"
    return _non_finite_field(o)


def _gpu_price_problem(o: GpuOffer | MarketOffer) -> str | None:
    """The GPU count, the per-GPU price and the instance price (at most the bound per GPU)."""
    if not _count(o.gpu_count):
        return f"gpu_count {o.gpu_count!r} is not a whole number in 1..{MAX_GPU_COUNT}"
    if not (is_real(o.usd_per_gpu_hour) and plausible_gpu_price(o.usd_per_gpu_hour)):
        return f"usd_per_gpu_hour {o.usd_per_gpu_hour!r} is not a plausible price"
    if not (is_real(o.usd_per_instance_hour)
            and 0 < o.usd_per_instance_hour <= MAX_PLAUSIBLE_USD_PER_GPU_HOUR * o.gpu_count * 1.000001):
        return f"usd_per_instance_hour {o.usd_per_instance_hour!r} is not a plausible price"
    return None


def market_offer_problem(o: MarketOffer) -> str | None:
    if not (_name(o.provider) and _name(o.offer_id) and _name(o.gpu_raw_name)):
        return "no provider, offer id or raw model name"
    if problem := _gpu_price_problem(o):
        return problem
    if not (_optional(o.vram_gb, 0, MAX_VRAM_GB) and _optional(o.reliability, -math.inf)):
        return "vram or reliability not a finite number"
    return _non_finite_field(o)


def token_price_problem(p: TokenPrice) -> str | None:
    if not (_name(p.provider) and _name(p.model)):
        return "no provider or model"
    if p.method not in TOKEN_METHODS or p.price_kind not in PRICE_KINDS:
        return f"unknown method {p.method!r} or price kind {p.price_kind!r}"
    if not plausible_token_price(p.usd, p.price_kind):
        return f"{p.usd!r} USD is not a plausible {p.price_kind} price"
    return None


def lifecycle_event_problem(e: LifecycleEvent) -> str | None:
    if not (_name(e.provider) and _name(e.model)):
        return "no provider or model"
    if not all(d is None or isinstance(d, date) for d in (e.effective_date, e.announced_date)):
        return "a date that is not a date"
    return None


def _kept(records: Iterable[Any], problem: Callable[[Any], str | None], what: str, source: str,
          warnings: list[str]) -> list[Any]:
    kept, dropped, example = [], 0, ""
    for record in records:
        reason = problem(record)
        if reason is None:
            kept.append(record)
        else:
            dropped += 1
            example = example or reason
    if dropped:
        warnings.append(f"{source}: {dropped} {what} dropped at the numeric boundary (e.g. {example})")
    return kept


def vet_result(source: str, result: ParseResult, origin: str = "<payload>") -> ParseResult:
    """``result`` without the records that must not reach the warehouse (see the module doc).
    Arrow tables (large GPU payloads) are vetted column-wise (``scrapers.values_arrow``)."""
    warnings = list(result.warnings)
    if isinstance(result.gpu_offers, list):
        gpu = _kept(result.gpu_offers, gpu_offer_problem, "GPU offers", source, warnings)
    else:
        from scrapers.values_arrow import vet_gpu_table
        gpu = vet_gpu_table(result.gpu_offers, source, origin, warnings)
    if isinstance(result.market_offers, list):
        market = _kept(result.market_offers, market_offer_problem, "market offers", source, warnings)
    else:
        from scrapers.values_arrow import vet_market_table
        market = vet_market_table(result.market_offers, source, origin, warnings)
    tokens = _kept(result.token_prices, token_price_problem, "token prices", source, warnings)
    events = _kept(result.lifecycle_events, lifecycle_event_problem, "lifecycle events", source, warnings)
    return ParseResult(gpu_offers=gpu, market_offers=market, token_prices=tokens, lifecycle_events=events,
                       warnings=warnings)
