"""OpenRouter's public model list (``GET /api/v1/models``): a cross-check of base inference prices.

Only models whose author maps to a provider we track are kept: ``openai/<id>`` → provider
``openai``, model ``<id>`` (as OpenRouter names it, e.g. ``gpt-5.2-chat``). Open-weight models are
not kept: OpenRouter routes them to many hosts, so its price is not Together's or Fireworks'.
Google models are not mapped to Vertex either (they may be served by AI Studio).

* ``pricing.prompt`` / ``pricing.completion`` (USD per token, strings) → ``base_input_per_1m`` /
  ``base_output_per_1m``. ``"-1"`` (variable price) is unknown, not a price; variants such as
  ``:free`` are skipped. Long-context ``overrides`` are not stored.
* ``expiration_date`` → a ``retired`` event (placeholder years ≥ 2090, e.g. 2098-12-31, are ignored).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from scrapers.base import Source, parse_json
from scrapers.errors import ParseError
from scrapers.records import FetchFailure, LifecycleEvent, ParseResult, RawPayload, TokenPrice
from scrapers.token_common import fetch_urls, guard_page, parse_date, per_token_usd, real_date

if TYPE_CHECKING:  # pragma: no cover
    from core.settings import Settings
    from scrapers.http import HttpClient

NAME = "openrouter"
URL = "https://openrouter.ai/api/v1/models"
MODEL_PAGE = "https://openrouter.ai/{id}"
MIN_BYTES, MAX_BYTES = 1_000, 50_000_000
AUTHORS = {"openai": "openai"}


def fetch(client: HttpClient, settings: Settings) -> list[RawPayload | FetchFailure]:
    return fetch_urls(client, NAME, [(URL, "json")])


def parse(body: bytes, *, ext: str, origin: str) -> ParseResult:
    guard_page(NAME, body, origin, min_bytes=MIN_BYTES, max_bytes=MAX_BYTES)
    payload = parse_json(NAME, body, field="body", origin=origin)
    models = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(models, list) or not models:
        raise ParseError(NAME, "data", "no 'data' list of models; the API answered something else", origin)

    prices: list[TokenPrice] = []
    events: list[LifecycleEvent] = []
    for entry in models:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or "/" not in entry["id"]:
            continue
        author, model = entry["id"].split("/", 1)
        provider = AUTHORS.get(author)
        if provider is None or ":" in model:
            continue
        url = MODEL_PAGE.format(id=entry["id"])
        pricing = entry.get("pricing")
        if not isinstance(pricing, dict) or "prompt" not in pricing:
            raise ParseError(NAME, f"data[{entry['id'][:120]}].pricing.prompt", "model without a prompt price", origin)
        for field, kind in (("prompt", "base_input_per_1m"), ("completion", "base_output_per_1m")):
            usd = per_token_usd(pricing.get(field), kind)  # "-1" (variable), "0", "1e400" are not prices
            if usd is not None:
                prices.append(TokenPrice(provider, model, "inference", kind, usd, url))
        expiration = entry.get("expiration_date")
        expires = real_date(parse_date(expiration)) if isinstance(expiration, str) else None
        if expires is not None:
            events.append(LifecycleEvent(provider, model, "retired", expires, None, None, "", url))
    if not prices:
        raise ParseError(NAME, "data", "no priced model of a tracked provider (openai/*); the list is "
                         "truncated or its schema changed", origin)
    return ParseResult(token_prices=prices, lifecycle_events=events)


SOURCE = Source(
    name=NAME,
    kind="token",
    description="OpenRouter models API: base inference prices (openai/*) and expiration dates",
    fetch=fetch,
    parse=parse,
)
