"""Shared, pure helpers of the token-price and lifecycle collectors.

* ``guard_page``: reject what is not the page we expect (HTML error pages where markdown/JSON
  was expected, truncated or bloated bodies, pages missing their required markers), in the
  manner of modeldeprecations.dev's fetch guards.
* ``parse_date`` / ``parse_usd``: the mixed date formats and price cells of provider pages;
  ``plausible_usd``: a price cell within a plausibility window (else a warning and None);
  ``per_token_usd``: an aggregator's USD-per-token value as USD per 1M tokens (one rule for 0).
* ``size_bucket``: the size-bucket vocabulary (``<=16B``, ``16.1B-80B``, ``>300B``) that the cost
  engine parses with ``SIZE_BUCKET_RE``.
* ``fetch_urls``: the common ``fetch`` body (GET each URL, wrap unreachable ones as failures).
"""
from __future__ import annotations

import math
import re
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from scrapers.base import looks_like_html_error
from scrapers.errors import ParseError
from scrapers.records import LIFECYCLE_EVENTS, PRICE_KINDS, TOKEN_METHODS, FetchFailure, RawPayload
from scrapers.values import plausible_token_price

if TYPE_CHECKING:  # pragma: no cover
    from scrapers.http import HttpClient

SIZE_BUCKET_RE = re.compile(r"^<=(\d+(\.\d+)?)B$|^(\d+(\.\d+)?)B-(\d+(\.\d+)?)B$|^>(\d+(\.\d+)?)B$")
PROVIDERS = ("openai", "together", "fireworks", "vertex", "bedrock")
# Dates this far out are placeholders (OpenRouter uses 2098-12-31), not announcements.
PLACEHOLDER_YEAR = 2090

_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
_HYPHENS = str.maketrans({"\u2011": "-", "\u2010": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u00a0": " "})
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MDY = re.compile(r"^([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")
_DMY = re.compile(r"^(\d{1,2})\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})$")
_DATE_IN_TEXT = re.compile(
    r"(\d{4}-\d{2}-\d{2})|((?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4})")


def normalise_text(text: str) -> str:
    return text.translate(_HYPHENS).strip()


def parse_date(text: str | None) -> date | None:
    """A whole cell that is one date: ``2026-10-23``, ``2026‑03‑26`` (U+2011), ``Oct 23, 2026``,
    ``October 23, 2026``, ``May 7th, 2026``. Anything else (``at earliest 2024-06-13``,
    ``July 21, 2027 or later``, blanks) is None: not a firm date."""
    if not text:
        return None
    cleaned = normalise_text(text).strip("* ")
    try:
        if m := _ISO.match(cleaned):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := _MDY.match(cleaned):
            month = _MONTHS.get(m[1][:3].lower())
            return date(int(m[3]), month, int(m[2])) if month else None
        if m := _DMY.match(cleaned):
            month = _MONTHS.get(m[2][:3].lower())
            return date(int(m[3]), month, int(m[1])) if month else None
    except ValueError:
        return None
    return None


def find_date(text: str) -> date | None:
    """The first date written anywhere in a sentence ("On May 7th, 2026, we notified ...")."""
    match = _DATE_IN_TEXT.search(normalise_text(text))
    return parse_date(match.group(0)) if match else None


def real_date(value: date | None) -> date | None:
    return None if value is None or value.year >= PLACEHOLDER_YEAR else value


_USD = re.compile(r"\$\s*([0-9][0-9,]*(?:\.[0-9]+)?)")


def parse_usd(text: str | None) -> float | None:
    """The dollar amount in a price cell (``$25.00``, ``$100.00 / hour``); None for ``-``/blank and
    for an amount that is not a finite float (thousands of digits overflow to inf)."""
    if not text:
        return None
    match = _USD.search(text)
    if not match:
        bare = normalise_text(text).replace(",", "")
        amount = float(bare) if re.fullmatch(r"[0-9]+(\.[0-9]+)?", bare) else None
    else:
        amount = float(match.group(1).replace(",", ""))
    return amount if amount is not None and math.isfinite(amount) else None


def plausible_usd(cell: str | None, bounds: tuple[float, float], warnings: list[str], source: str,
                  where: str, price_kind: str = "training_per_1m_tokens", factor: float = 1.0) -> float | None:
    """The price in a provider-page cell (times ``factor``, for a unit conversion), or None:
    blank/"-" cells, and amounts outside ``bounds`` (a misread cell, a unit change) or the shared
    plausibility bound of ``price_kind`` (``scrapers.values.plausible_token_price``), which also
    add a warning naming the cell."""
    usd = parse_usd(cell)
    if usd is None:
        return None
    usd *= factor
    if not (bounds[0] <= usd <= bounds[1] and plausible_token_price(usd, price_kind)):
        warnings.append(f"{source}: implausible price {str(cell)[:80]!r} for {where}; skipped")
        return None
    return usd


def per_token_to_per_1m(value: Decimal | float | str) -> float:
    """USD per token → USD per 1M tokens, exact in decimal (1.875e-06 → 1.875)."""
    return round(float(Decimal(str(value)) * Decimal(1_000_000)), 9)


def per_token_usd(value: object, price_kind: str = "base_input_per_1m") -> float | None:
    """An aggregator's USD-per-token value as USD per 1M tokens, or None when it is not a price:
    missing, not a number (booleans, text, lists), not finite, negative (OpenRouter's "-1" =
    variable price), zero (aggregators write 0 for "unknown" and for placeholder entries, never for
    a real free price we would compare with a provider page), or beyond the plausibility bound of
    ``price_kind`` (``scrapers.values.plausible_token_price``; "1e400" would overflow to inf)."""
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        return None
    try:
        amount = Decimal(str(value).strip())
    except (ArithmeticError, ValueError):  # not a number; an int too long to print
        return None
    if not amount.is_finite() or amount <= 0 or amount > 1:  # over $1 per token: over $1M per 1M
        return None
    usd = per_token_to_per_1m(amount)
    return usd if plausible_token_price(usd, price_kind) else None


def size_bucket(low_b: float | None, high_b: float | None) -> str:
    """Bucket label from bounds in billions: (None, 16) → ``<=16B``; (16.1, 80) → ``16.1B-80B``;
    (300, None) → ``>300B``."""
    def fmt(x: float) -> str:
        return format(Decimal(str(x)).normalize(), "f")

    if low_b is None and high_b is not None:
        label = f"<={fmt(high_b)}B"
    elif high_b is None and low_b is not None:
        label = f">{fmt(low_b)}B"
    elif low_b is not None and high_b is not None:
        label = f"{fmt(low_b)}B-{fmt(high_b)}B"
    else:
        raise ValueError("a size bucket needs at least one bound")
    if low_b is not None and high_b is not None and low_b >= high_b:
        raise ValueError(f"size bucket {label!r}: the lower bound must be below the upper bound")
    if not SIZE_BUCKET_RE.match(label):
        raise ValueError(f"size bucket {label!r} is not like '<=16B', '16.1B-80B' or '>300B'")
    return label


_BUCKET_UP_TO = re.compile(r"(?:up to|≤|<=)\s*(\d+(?:\.\d+)?)\s*B\b", re.I)
_BUCKET_ABOVE = re.compile(r"(?:>|\babove|\bover)\s*(\d+(?:\.\d+)?)\s*B\b", re.I)
# A range label starts the cell ("17B–69B", "70-100B", "Models 17B - 69B"): a range further on
# is a model name in an example ("Models >300B (e.g. Llama-3-70B)"), not the bucket.
_BUCKET_RANGE = re.compile(r"^(?:[A-Za-z]+\s+)?(\d+(?:\.\d+)?)\s*B?\s*[-–]\s*(\d+(?:\.\d+)?)\s*B\b", re.I)
_PARENTHESES = re.compile(r"\([^()]*\)")


def size_bucket_from_text(text: str) -> str | None:
    """A provider's size label as a bucket: "Up to 16B" → ``<=16B``; "17B–69B" → ``17B-69B``;
    "70-100B" → ``70B-100B``; "Models >300B (e.g. Llama-3-70B)" → ``>300B`` (text in parentheses
    is an example, never the bound). None means not a size bucket (or an inverted range)."""
    cleaned = _PARENTHESES.sub(" ", normalise_text(text)).strip()
    try:
        if m := _BUCKET_UP_TO.search(cleaned):
            return size_bucket(None, float(m[1]))
        if m := _BUCKET_ABOVE.search(cleaned):
            return size_bucket(float(m[1]), None)
        if m := _BUCKET_RANGE.search(cleaned):
            return size_bucket(float(m[1]), float(m[2]))
    except ValueError:
        return None
    return None


def expand_model_group(text: str) -> list[str]:
    """Split a pricing-page cell naming several models into one name each, hyphenated.

    "DeepSeek-R1 / R1-0528 / V3" → DeepSeek-R1, DeepSeek-R1-0528, DeepSeek-V3 (shorthand parts
    take the first part's family prefix); "K2 Instruct(-0905)" → K2-Instruct and
    K2-Instruct-0905; "Llama 4 Maverick (Instruct)" → Llama-4-Maverick-Instruct.
    """
    parts = [p.strip() for p in normalise_text(text).split("/") if p.strip()]
    if not parts:
        return []
    first = parts[0]
    family = re.split(r"[-\s]", first, maxsplit=1)[0]
    names: list[str] = []
    for part in parts:
        if not part.lower().startswith(family.lower()):
            part = f"{family}{'-' if '-' in first.split(' ')[0] else ' '}{part}"
        variants = [part]
        if m := re.search(r"\((-[^()]+)\)", part):  # optional suffix "(-0905)"
            base = part[: m.start()] + part[m.end():]
            variants = [base, part[: m.start()] + m.group(1) + part[m.end():]]
        for variant in variants:
            variant = re.sub(r"[()]", " ", variant)
            names.append(re.sub(r"[\s]+", "-", variant.strip()))
    return list(dict.fromkeys(names))


def check_vocabulary(source: str, origin: str, *, provider: str, method: str | None = None,
                     price_kind: str | None = None, event: str | None = None) -> None:
    if provider not in PROVIDERS:
        raise ParseError(source, "provider", f"unknown provider {provider[:80]!r}; expected one of {PROVIDERS}", origin)
    if method is not None and method not in TOKEN_METHODS:
        raise ParseError(source, "method", f"unknown method {method[:80]!r}; expected one of {TOKEN_METHODS}", origin)
    if price_kind is not None and price_kind not in PRICE_KINDS:
        raise ParseError(source, "price_kind", f"unknown price kind {price_kind[:80]!r}; expected one of {PRICE_KINDS}",
                         origin)
    if event is not None and event not in LIFECYCLE_EVENTS:
        raise ParseError(source, "event", f"unknown event {event[:80]!r}; expected one of {LIFECYCLE_EVENTS}", origin)


def guard_page(source: str, body: bytes, origin: str, *, min_bytes: int, max_bytes: int,
               markers: tuple[str, ...] = (), expect_html: bool = False) -> str:
    """Decode and vet a fetched page; raise ParseError naming what is wrong and what to check."""
    if not expect_html and looks_like_html_error(body):
        raise ParseError(source, "body", "got an HTML page where markdown/JSON was expected "
                         "(error page, captcha or login wall); the source URL may have moved", origin)
    if len(body) < min_bytes:
        raise ParseError(source, "body", f"only {len(body)} bytes (expected at least {min_bytes}); "
                         "the page looks truncated or emptied", origin)
    if len(body) > max_bytes:
        raise ParseError(source, "body", f"{len(body)} bytes (expected at most {max_bytes}); "
                         "the page changed shape, check it by hand", origin)
    text = body.decode("utf-8", errors="replace")
    for marker in markers:
        if marker.lower() not in text.lower():
            raise ParseError(source, marker, f"required marker {marker!r} is missing; the page "
                             "was restructured or is not the expected page", origin)
    return text


def fetch_urls(client: HttpClient, source: str, urls: list[tuple[str, str]]) -> list[RawPayload | FetchFailure]:
    """GET each (url, ext); any HTTP status is a payload (ingest records 4xx/5xx), no answer a failure."""
    return [client.try_fetch(source, "GET", url, ext=ext) for url, ext in urls]
