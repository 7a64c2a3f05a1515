"""Google Vertex AI: Gemini tuning prices and model retirement dates, from markdown twins.

* Pricing page (``…/generative-ai/pricing.md.txt``): the tuning table (``Model | Supervised
  tuning (per 1M training tokens) | Preference tuning ...``). Display names become Vertex model ids
  ("Gemini 2.5 Flash-Lite" → ``gemini-2.5-flash-lite``). Vertex tuning is adapter-based, so
  supervised tuning is ``sft_lora`` and preference tuning ``dpo_lora``.
* "Model versions and lifecycle" page: every ``Model ID | Release date | Retirement date`` table.
  A firm retirement date gives a ``retired`` event (with the replacement column); "... or later",
  "No sooner than ...", "No retirement date announced" and blanks give none.

``parse`` tells the two payloads apart by their tables: a table with "Model ID" and "Retirement"
columns is the lifecycle page; otherwise tables whose price columns say "tuning" and "per 1M".
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from scrapers.base import Source
from scrapers.errors import ParseError
from scrapers.markdown_tables import MarkdownTable, find_tables, strip_markup
from scrapers.records import FetchFailure, LifecycleEvent, ParseResult, RawPayload, TokenPrice
from scrapers.token_common import fetch_urls, guard_page, parse_date, plausible_usd

if TYPE_CHECKING:  # pragma: no cover
    from core.settings import Settings
    from scrapers.http import HttpClient

NAME = "vertex_pricing"
PRICING_URL = "https://docs.cloud.google.com/vertex-ai/generative-ai/pricing.md.txt"
VERSIONS_URL = "https://docs.cloud.google.com/gemini-enterprise-agent-platform/models/model-versions.md.txt"
PRICING_PAGE = "https://cloud.google.com/vertex-ai/generative-ai/pricing"
VERSIONS_PAGE = "https://docs.cloud.google.com/gemini-enterprise-agent-platform/models/model-versions"
MIN_BYTES, MAX_BYTES = 500, 3_000_000
PLAUSIBLE_USD = (0.01, 1_000.0)
_PER_1M = re.compile(r"per\s*1\s*m\b|per\s+(?:one\s+)?million")


def fetch(client: HttpClient, settings: Settings) -> list[RawPayload | FetchFailure]:
    return fetch_urls(client, NAME, [(PRICING_URL, "md"), (VERSIONS_URL, "md")])


def model_id(display: str) -> str:
    """"Gemini 2.5 Flash-Lite" → "gemini-2.5-flash-lite"; ids already written as ids are kept."""
    return re.sub(r"\s+", "-", strip_markup(display).strip().lower())


def _method(header: str) -> str | None:
    """The method of a tuning-price column; None unless the header names tuning AND the unit
    (per 1M training tokens): a price per 1K tokens or per hour must not be read as per 1M."""
    text = header.lower()
    if not _PER_1M.search(text) or ("tuning" not in text and "training token" not in text):
        return None
    if "preference" in text or "dpo" in text:
        return "dpo_lora"
    if "supervised" in text or "sft" in text or "tuning" in text:
        return "sft_lora"
    return None


def _is_retirement_table(table: MarkdownTable) -> bool:
    return table.column("model id") is not None and table.column("retirement") is not None


def _tuning_prices(tables: list[MarkdownTable], warnings: list[str]) -> list[TokenPrice]:
    prices: list[TokenPrice] = []
    for table in tables:
        col_model = table.column("model")
        columns = {i: m for i, h in enumerate(table.header) if i != col_model and (m := _method(h))}
        if col_model is None or not columns:
            continue
        for row in table.rows:
            model = model_id(row[col_model])
            for col, method in columns.items():
                usd = plausible_usd(row[col], PLAUSIBLE_USD, warnings, NAME, f"{model} {method}")
                if usd is None:
                    continue
                prices.append(TokenPrice("vertex", model, method, "training_per_1m_tokens", usd, PRICING_PAGE))
    return prices


def _retirements(tables: list[MarkdownTable]) -> list[LifecycleEvent]:
    events: list[LifecycleEvent] = []
    for table in tables:
        col_model, col_retire = table.column("model id"), table.column("retirement")
        col_repl = table.column("replacement", "upgrade")
        if col_model is None or col_retire is None:
            continue
        for row in table.rows:
            when = parse_date(row[col_retire])
            if when is None:
                continue
            model = strip_markup(row[col_model]).replace("\\", "").rstrip("*").strip()
            replacement = strip_markup(row[col_repl]) or None if col_repl is not None else None
            events.append(LifecycleEvent("vertex", model, "retired", when, None, replacement, "", VERSIONS_PAGE))
    return events


def parse(body: bytes, *, ext: str, origin: str) -> ParseResult:
    text = guard_page(NAME, body, origin, min_bytes=MIN_BYTES, max_bytes=MAX_BYTES)
    warnings: list[str] = []
    tables = find_tables(text)
    if retirement_tables := [t for t in tables if _is_retirement_table(t)]:
        events = _retirements(retirement_tables)
        if not events:
            raise ParseError(NAME, "retirement tables", "model-versions page without a readable "
                             "'Model ID | Release date | Retirement date' row", origin)
        return ParseResult(lifecycle_events=events)
    prices = _tuning_prices(tables, warnings)
    if not prices:
        raise ParseError(NAME, "tuning table", "no table with a Model column and a tuning price per 1M "
                         "training tokens; the pricing page changed or this is not it", origin)
    return ParseResult(token_prices=prices, warnings=warnings)


SOURCE = Source(
    name=NAME,
    kind="token",
    description="Vertex AI docs: Gemini tuning prices per 1M training tokens and model retirement dates",
    fetch=fetch,
    parse=parse,
)
