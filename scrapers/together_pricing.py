"""Together AI fine-tuning prices from ``together.ai/pricing`` (HTML; the docs' markdown twin only
links there and carries no rates).

Two tables in the fine-tuning section:
* by model size, a two-row header (``Supervised Fine-Tuning | Direct Preference Optimization``
  over ``LoRA | Full Fine-Tuning``): one price per size bucket and method, USD per 1M tokens
  processed. Buckets keep Together's own edges: ``<=16B``, ``17B-69B``, ``70B-100B``.
* LoRA-only large models (``Model | SFT (LoRA) | DPO (LoRA) | Minimum charge``): cells naming a
  model family ("DeepSeek-R1 / R1-0528 / V3") give one row per model, named as on the page,
  hyphenated ("DeepSeek-R1-0528", "Kimi-K2-Instruct-0905"); "No min price" is a 0 minimum.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from scrapers.base import Source
from scrapers.errors import ParseError
from scrapers.html_tables import find_html_tables
from scrapers.markdown_tables import MarkdownTable
from scrapers.records import FetchFailure, ParseResult, RawPayload, TokenPrice
from scrapers.token_common import (
    expand_model_group,
    fetch_urls,
    guard_page,
    plausible_usd,
    size_bucket_from_text,
)

if TYPE_CHECKING:  # pragma: no cover
    from core.settings import Settings
    from scrapers.http import HttpClient

NAME = "together_pricing"
URL = "https://www.together.ai/pricing"
PAGE_URL = "https://www.together.ai/pricing#fine-tuning"
MIN_BYTES, MAX_BYTES = 1_000, 5_000_000
PLAUSIBLE_USD = (0.01, 1_000.0)
PLAUSIBLE_MINIMUM_USD = (0.0, 100_000.0)
_NO_MINIMUM = re.compile(r"no min", re.I)


def fetch(client: HttpClient, settings: Settings) -> list[RawPayload | FetchFailure]:
    return fetch_urls(client, NAME, [(URL, "html")])


def _method(label: str) -> str | None:
    text = label.lower()
    kind = ("sft" if re.search(r"supervised|\bsft\b", text)
            else "dpo" if re.search(r"preference|\bdpo\b", text) else None)
    impl = "lora" if "lora" in text else "full" if "full" in text else None
    return f"{kind}_{impl}" if kind and impl else None


def _price_columns(table: MarkdownTable) -> dict[int, str]:
    return {i: m for i, h in enumerate(table.header) if i > 0 and (m := _method(h))}


def _usd(cell: str, warnings: list[str], where: str, kind: str = "training_per_1m_tokens") -> float | None:
    return plausible_usd(cell, PLAUSIBLE_USD if kind != "min_charge" else PLAUSIBLE_MINIMUM_USD, warnings, NAME,
                         where, kind)


def _size_rows(table: MarkdownTable, columns: dict[int, str], warnings: list[str]) -> list[TokenPrice]:
    prices: list[TokenPrice] = []
    for row in table.rows:
        bucket = size_bucket_from_text(row[0])
        if bucket is None:
            warnings.append(f"{NAME}: size cell {row[0][:80]!r} is not a size range; row skipped")
            continue
        for col, method in columns.items():
            if (usd := _usd(row[col], warnings, f"{bucket} {method}")) is not None:
                prices.append(TokenPrice("together", bucket, method, "training_per_1m_tokens", usd, PAGE_URL))
    return prices


def _minimum(cell: str, warnings: list[str], where: str) -> float | None:
    """A minimum-charge cell: "No min price" is 0; an amount must be plausible."""
    return 0.0 if _NO_MINIMUM.search(cell) else _usd(cell, warnings, where, "min_charge")


def _model_rows(table: MarkdownTable, columns: dict[int, str], warnings: list[str]) -> list[TokenPrice]:
    prices: list[TokenPrice] = []
    col_min = table.column("minimum", "min charge")
    for row in table.rows:
        models = expand_model_group(row[0])
        minimum = _minimum(row[col_min], warnings, f"{row[0][:80]} minimum") if col_min is not None else None
        for model in models:
            for col, method in columns.items():
                if (usd := _usd(row[col], warnings, f"{model} {method}")) is None:
                    continue
                prices.append(TokenPrice("together", model, method, "training_per_1m_tokens", usd, PAGE_URL))
                if minimum is not None:
                    prices.append(TokenPrice("together", model, method, "min_charge", minimum, PAGE_URL))
    return prices


def parse(body: bytes, *, ext: str, origin: str) -> ParseResult:
    text = guard_page(NAME, body, origin, min_bytes=MIN_BYTES, max_bytes=MAX_BYTES,
                      markers=("fine-tuning",), expect_html=True)
    warnings: list[str] = []
    prices: list[TokenPrice] = []
    size_tables = 0
    for table in find_html_tables(text, source=NAME, origin=origin):
        first = table.header[0].lower() if table.header else ""
        columns = _price_columns(table)
        if not columns:
            continue
        if "size" in first:
            size_tables += 1
            prices += _size_rows(table, columns, warnings)
        elif "model" in first:
            prices += _model_rows(table, columns, warnings)
    if size_tables == 0 or not prices:
        raise ParseError(NAME, "fine-tuning size table", "no table with a 'size' column and SFT/DPO × "
                         "LoRA/Full price columns; the pricing page changed or this is not it", origin)
    return ParseResult(token_prices=prices, warnings=warnings)


SOURCE = Source(
    name=NAME,
    kind="token",
    description="Together AI pricing page: fine-tuning prices per 1M tokens by size bucket and method, "
                "large-model minimums",
    fetch=fetch,
    parse=parse,
)
