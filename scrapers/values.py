"""The one numeric boundary every parser uses: a value from a payload becomes a finite number in
range, or a ``ParseError`` naming the source, field and file (never NaN, inf, an overflow or a
wrongly typed value slipping through)."""
from __future__ import annotations

import math
from typing import Any

from scrapers.errors import ParseError
from scrapers.records import MAX_PLAUSIBLE_USD_PER_GPU_HOUR


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
                   maximum: int = 1024) -> int:
    """A whole count such as a GPU count: an integer (or integral float) in [1, maximum]."""
    number = finite_number(value, source=source, field=field, origin=origin, minimum=1, maximum=maximum)
    if number != int(number):
        raise ParseError(source, field, f"expected a whole number, got {number}", origin)
    return int(number)


def plausible_gpu_price(usd_per_gpu_hour: float) -> bool:
    """A usable per-GPU-hour price: finite, above 0 and at most the plausibility bound
    (``scrapers.records.MAX_PLAUSIBLE_USD_PER_GPU_HOUR``). Collectors skip others with a warning."""
    return math.isfinite(usd_per_gpu_hour) and 0 < usd_per_gpu_hour <= MAX_PLAUSIBLE_USD_PER_GPU_HOUR
