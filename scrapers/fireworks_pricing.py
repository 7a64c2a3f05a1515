"""Fireworks AI: managed fine-tuning prices and serverless deprecations, from two markdown twins.

* ``docs.fireworks.ai/fine-tuning/cost-estimator.md`` embeds the price bands as JSON
  (``[{"maxParams":16e9,"sft":0.5,"dpo":1}, ...]``, USD per 1M training tokens, LoRA). Each band
  becomes a bucket with Fireworks' edges: ``<=16B``, ``16.1B-80B``, ``80.1B-300B``, ``>300B`` (the
  pricing page writes "80B - 300B"; the JSON puts 80B in the band below, so the label starts at
  80.1B like the page's own "16.1B"). Full-parameter prices are not in the bands: they come from
  the curated sheet.
* ``docs.fireworks.ai/updates/changelog.md``: ``<Update label="date">`` entries titled
  "Serverless deprecation: ..." become lifecycle events with scope "serverless only":
  ``retired`` on the removal date when the entry gives one, else ``deprecated`` on the entry date.
  Models are named by the app.fireworks.ai link slug when the entry links them ("kimi-k2p5"),
  else by a Fireworks-style slug of the display name ("DeepSeek V3.1" → "deepseek-v3p1").

``parse`` tells the two payloads apart by content.
"""
from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from scrapers.base import Source
from scrapers.errors import ParseError
from scrapers.records import FetchFailure, LifecycleEvent, ParseResult, RawPayload, TokenPrice
from scrapers.token_common import fetch_urls, find_date, guard_page, parse_date, size_bucket
from scrapers.values import finite_number, plausible_token_price

if TYPE_CHECKING:  # pragma: no cover
    from core.settings import Settings
    from scrapers.http import HttpClient

NAME = "fireworks_pricing"
ESTIMATOR_URL = "https://docs.fireworks.ai/fine-tuning/cost-estimator.md"
CHANGELOG_URL = "https://docs.fireworks.ai/updates/changelog.md"
ESTIMATOR_PAGE = "https://docs.fireworks.ai/fine-tuning/cost-estimator"
CHANGELOG_PAGE = "https://docs.fireworks.ai/updates/changelog"
MIN_BYTES, MAX_BYTES = 300, 2_000_000
MIN_CHANGELOG_BYTES = 5_000
SCOPE_SERVERLESS = "serverless only"
# Every pattern stays linear on any input (no unbounded scan that can restart at each position):
# the bands hold brackets at most one level deep, and <Update> blocks are cut out by `_updates`.
_BANDS = re.compile(r"\[\s*\{\s*\"maxParams\"(?:[^\[\]]|\[[^\[\]]*\])*+\]")
_UPDATE_HEAD = re.compile(r"\s+label=\"([^\"<>]+)\"[^<>]*>")
_TITLE = re.compile(r"^[ \t]*#[ \t]+(.+)$", re.M)
_LINK = re.compile(r"\[([^\[\]]+)\]\(([^()]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_BULLET = re.compile(r"^[ \t]*[*-][ \t]+(.*migrate to.*)$", re.M | re.I)
_SINGLE = re.compile(r"\*\*([^*]+)\*\*\s+is deprecated", re.I)
_REMOVAL = re.compile(r"(?:removed|decommissioned on|removed on)\s+([A-Z][a-z]+\.? \d{1,2},? \d{4})")


def fetch(client: HttpClient, settings: Settings) -> list[RawPayload | FetchFailure]:
    return fetch_urls(client, NAME, [(ESTIMATOR_URL, "md"), (CHANGELOG_URL, "md")])


Band = tuple[float | None, dict[str, float | None]]  # (upper edge in billions or None, prices by key)
MAX_PARAMS = 1e15  # a million billion parameters: anything above is not a model size


def _band(band: object, where: str, origin: str) -> Band:
    """One band checked at the numeric boundary: ``maxParams`` a positive finite number or null,
    ``sft``/``dpo`` finite non-negative numbers (or absent/null)."""
    if not isinstance(band, dict) or "sft" not in band:
        raise ParseError(NAME, where, f"band {str(band)[:80]} has no 'sft' price", origin)
    if "maxParams" not in band:
        raise ParseError(NAME, f"{where}.maxParams", "missing (a number such as 16e9, or null for the "
                         "open-ended band)", origin)
    high = band["maxParams"]
    high_b = None if high is None else finite_number(
        high, source=NAME, field=f"{where}.maxParams", origin=origin, minimum=1, maximum=MAX_PARAMS) / 1e9
    prices = {key: None if band.get(key) is None else finite_number(
        band[key], source=NAME, field=f"{where}.{key}", origin=origin, minimum=0) for key in ("sft", "dpo")}
    return high_b, prices


def _label(low: float | None, high_b: float | None, origin: str) -> str:
    try:
        if low is None and high_b is None:
            raise ParseError(NAME, "price bands[].maxParams", "the only band is open-ended (maxParams null): "
                             "no size edges to read", origin)
        if low is None:
            return size_bucket(None, high_b)
        if high_b is None:
            return size_bucket(low, None)
        return size_bucket(round(low + 0.1, 3), high_b)
    except ValueError as exc:
        raise ParseError(NAME, "price bands[].maxParams", f"bands do not make ordered size buckets: {exc}",
                         origin) from None


def _band_prices(raw: str, origin: str, warnings: list[str]) -> list[TokenPrice]:
    """Bands sorted by ``maxParams`` (the open-ended band, ``null``, last); each band's label runs
    from just above the previous band's edge to its own."""
    try:
        decoded = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ParseError(NAME, "price bands", f"embedded JSON does not parse: {str(exc)[:200]}", origin) from None
    if not isinstance(decoded, list):
        raise ParseError(NAME, "price bands", "embedded JSON is not a list of bands", origin)
    bands = [_band(band, f"price bands[{i}]", origin) for i, band in enumerate(decoded)]
    if sum(1 for high_b, _ in bands if high_b is None) > 1:
        raise ParseError(NAME, "price bands[].maxParams", "more than one open-ended band (maxParams null)", origin)
    prices: list[TokenPrice] = []
    low: float | None = None
    for high_b, band_prices in sorted(bands, key=lambda b: (b[0] is None, b[0] or 0.0)):
        label = _label(low, high_b, origin)
        for key, method in (("sft", "sft_lora"), ("dpo", "dpo_lora")):
            value = band_prices[key]
            if value is None or value == 0:
                continue
            if not plausible_token_price(value, "training_per_1m_tokens"):
                warnings.append(f"{NAME}: implausible {key} price {value} for {label}; skipped")
                continue
            prices.append(TokenPrice("fireworks", label, method, "training_per_1m_tokens", value, ESTIMATOR_PAGE))
        low = high_b
    return prices


def _updates(text: str) -> list[tuple[str, str]]:
    """(label, body) of every ``<Update label="...">...</Update>`` block, in one linear pass."""
    found = []
    for chunk in text.split("<Update")[1:]:
        head = _UPDATE_HEAD.match(chunk)
        end = chunk.find("</Update>", head.end()) if head else -1
        if head and end >= 0:
            found.append((head.group(1), chunk[head.end():end]))
    return found


def _slug(fragment: str) -> str:
    """Model id from a changelog fragment: the link slug, else the display name slugified."""
    if link := _LINK.search(fragment):
        url = link.group(2).rstrip("/")
        if "app.fireworks.ai/models/" in url:
            return url.rsplit("/", 1)[-1]
        fragment = link.group(1)
    name = re.sub(r"\(.*?\)", "", fragment.replace("*", "")).strip().lower()
    name = re.sub(r"(?<=\d)\.(?=\d)", "p", name)
    return re.sub(r"[^a-z0-9p.]+", "-", name).strip("-")


def _replacement(text: str) -> str | None:
    after = re.split(r"migrate to", text, maxsplit=1, flags=re.I)
    if len(after) < 2:
        return None
    targets = [_slug(m.group(0)) for m in _BOLD.finditer(after[1])]
    return " or ".join(targets) or None


def _changelog_events(text: str, warnings: list[str]) -> list[LifecycleEvent]:
    events: list[LifecycleEvent] = []
    for label, block in _updates(text):
        title_match = _TITLE.search(block)
        title = title_match.group(1).strip() if title_match else ""
        if not title.lower().startswith("serverless deprecation"):
            continue
        entry_date = parse_date(label)
        plain = block.replace("**", "")
        removal = _REMOVAL.search(title) or _REMOVAL.search(plain)
        removal_date = find_date(removal.group(1)) if removal else None
        pairs: list[tuple[str, str | None]] = []
        for bullet in _BULLET.findall(block):
            head = re.split(r"—|migrate to", bullet, maxsplit=1, flags=re.I)[0]
            if bold := _BOLD.search(head):
                pairs.append((_slug(bold.group(1)), _replacement(bullet)))
        if not pairs and (single := _SINGLE.search(block)):
            pairs.append((_slug(single.group(1)), _replacement(block[single.end():])))
        if not pairs:
            warnings.append(f"{NAME}: changelog entry {label} {title!r} names no model we can read")
            continue
        for model, replacement in pairs:
            if removal_date is not None:
                events.append(LifecycleEvent("fireworks", model, "retired", removal_date, entry_date,
                                             replacement, SCOPE_SERVERLESS, CHANGELOG_PAGE))
            else:
                events.append(LifecycleEvent("fireworks", model, "deprecated", entry_date, entry_date,
                                             replacement, SCOPE_SERVERLESS, CHANGELOG_PAGE))
    return events


def parse(body: bytes, *, ext: str, origin: str) -> ParseResult:
    text = guard_page(NAME, body, origin, min_bytes=MIN_BYTES, max_bytes=MAX_BYTES)
    warnings: list[str] = []
    if bands := _BANDS.search(text):
        return ParseResult(token_prices=_band_prices(bands.group(0), origin, warnings), warnings=warnings)
    if "# Changelog" in text and "<Update" in text:
        if len(body) < MIN_CHANGELOG_BYTES:
            raise ParseError(NAME, "body", f"changelog of only {len(body)} bytes; truncated?", origin)
        events = _changelog_events(text, warnings)
        return ParseResult(lifecycle_events=events, warnings=warnings)
    raise ParseError(NAME, "price bands", "neither the cost estimator's price bands "
                     "([{\"maxParams\": ...}]) nor a changelog ('# Changelog' with <Update> entries) "
                     "was found; the docs page changed", origin)


SOURCE = Source(
    name=NAME,
    kind="token",
    description="Fireworks AI docs: fine-tuning price bands (cost estimator) and serverless deprecations "
                "(changelog)",
    fetch=fetch,
    parse=parse,
)
