"""How money, percentages and numbers are written for people: reports, alert messages, the CLI.

One home, so a value that is not a finite number can never print as ``$nan`` or ``$inf``: it
prints as ``n/a`` (``NOT_AVAILABLE``). A missing value (None) prints as the caller's ``missing``
mark (``—`` by default). Parsers already refuse non-finite prices (``scrapers.values``); this is
the last line for anything that slipped into the warehouse another way or was computed from it.
"""
from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

NOT_AVAILABLE = "n/a"
MISSING = "—"


def finite(value: Any) -> float | None:
    """``value`` as a float when it is a finite real number (int, float, Decimal; not a bool),
    else None."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    try:
        number = float(value)
    except (OverflowError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _signed(text: str, negative: bool) -> str:
    return f"-{text}" if negative else text


def usd(value: Any, digits: int = 2, *, missing: str = MISSING) -> str:
    """``$1,234.57`` (``digits`` decimals), ``-$2.47``; ``missing`` for None, ``n/a`` otherwise."""
    if value is None:
        return missing
    number = finite(value)
    if number is None:
        return NOT_AVAILABLE
    text = f"${abs(number):,.{digits}f}"
    return _signed(text, number < 0 and text.strip("$0.,") != "")


def usd_price(value: Any, *, missing: str = MISSING) -> str:
    """A unit price, as precise as it needs: ``$2.99``, ``$0.0035``, ``$1,234.50`` (up to four
    decimals below $100, trailing zeros dropped; two from $100)."""
    if value is None:
        return missing
    number = finite(value)
    if number is None:
        return NOT_AVAILABLE
    if abs(number) >= 100:
        return usd(number)
    text = f"${abs(number):,.4f}".rstrip("0").rstrip(".")
    return _signed(text, number < 0 and text != "$0")


def percent(value: Any, *, missing: str = MISSING, digits: int = 1) -> str:
    """A signed fraction as a percentage: 0.123 → ``+12.3%``; a change that rounds to nothing is
    ``0.0%``."""
    if value is None:
        return missing
    number = finite(value)
    if number is None:
        return NOT_AVAILABLE
    if abs(number) < 0.5 * 10 ** -(digits + 2):
        return f"{0:.{digits}%}"
    return f"{number:+.{digits}%}"


def number(value: Any, spec: str = "g", *, missing: str = MISSING) -> str:
    """Any number through a format ``spec`` (``",.0f"``, ``"g"``), ``n/a`` when not finite."""
    if value is None:
        return missing
    result = finite(value)
    return NOT_AVAILABLE if result is None else format(result, spec)
