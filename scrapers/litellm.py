"""LiteLLM's ``model_prices_and_context_window.json``: an aggregator of inference prices.

Kept for the providers we track (provider = the model's provider):
* OpenAI keys (``litellm_provider`` openai / text-completion-openai): base models give
  ``base_input_per_1m``/``base_output_per_1m``; ``ft:<base>`` keys give fine-tuned inference
  prices ``ft_input_per_1m``/``ft_cached_input_per_1m``/``ft_output_per_1m`` on the BASE id
  (``ft:gpt-4o-mini-2024-07-18`` → model ``gpt-4o-mini-2024-07-18``), all with method ``inference``;
* Vertex Gemini keys (``vertex_ai-language-models``), Together and Fireworks model keys, and their
  inference size-bucket keys (``together-ai-4.1b-8b`` → ``4.1B-8B``, ``fireworks-ai-above-16b`` →
  ``>16B``; the MoE buckets have no place in the bucket vocabulary and are skipped).
* ``deprecation_date`` (LiteLLM sets it to the shutdown date) → a ``retired`` event; for ``ft:``
  keys the event is ``inference_shutdown`` on the ``ft:<base>`` id.

Prices are USD per token, read as decimals and multiplied by 1e6 (``token_common.per_token_usd``):
a missing, zero, negative or implausible field (beyond ``scrapers.values.TOKEN_PRICE_BOUNDS``) is
unknown, never a price. ``cache_creation_input_token_cost`` is not a cached-input price and is not
used (it is misfiled on ``ft:gpt-4o-2024-11-20``; a warning says so).
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from scrapers.base import Source, parse_json
from scrapers.errors import ParseError
from scrapers.records import FetchFailure, LifecycleEvent, ParseResult, RawPayload, TokenPrice
from scrapers.token_common import fetch_urls, guard_page, parse_date, per_token_usd, real_date, size_bucket

if TYPE_CHECKING:  # pragma: no cover
    from core.settings import Settings
    from scrapers.http import HttpClient

NAME = "litellm"
URL = "https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json"
MIN_BYTES, MAX_BYTES = 5_000, 30_000_000
RESERVED = {"sample_spec", "fallback_generalizations", "last_updated"}
PROVIDERS = {
    "openai": "openai", "text-completion-openai": "openai", "together_ai": "together",
    "fireworks_ai": "fireworks", "vertex_ai-language-models": "vertex",
}
KEY_PREFIXES = ("together_ai/", "fireworks_ai/", "vertex_ai/", "openai/")
SKIPPED_MODES = {"embedding", "image_generation", "audio_transcription", "audio_speech", "moderation",
                 "rerank", "search", "video_generation", "ocr"}
_BUCKET_KEY = re.compile(r"^(?:together-ai|fireworks-ai)-(.+)$")


def fetch(client: HttpClient, settings: Settings) -> list[RawPayload | FetchFailure]:
    return fetch_urls(client, NAME, [(URL, "json")])


def bucket_from_key(key: str) -> str | None:
    """``together-ai-up-to-4b`` → ``<=4B``; ``together-ai-4.1b-8b`` → ``4.1B-8B``;
    ``fireworks-ai-4.1b-to-16b`` → ``4.1B-16B``; ``fireworks-ai-above-16b`` → ``>16B``;
    MoE, embedding and default keys → None."""
    match = _BUCKET_KEY.match(key)
    if not match or "moe" in key or "embedding" in key or key.endswith("-default"):
        return None
    if key == "fireworks-ai-56b-to-176b":  # LiteLLM's MoE tier, without "moe" in its name
        return None
    rest = match.group(1)
    try:
        if m := re.fullmatch(r"up-to-(\d+(?:\.\d+)?)b", rest):
            return size_bucket(None, float(m[1]))
        if m := re.fullmatch(r"above-(\d+(?:\.\d+)?)b", rest):
            return size_bucket(float(m[1]), None)
        if m := re.fullmatch(r"(\d+(?:\.\d+)?)b-(?:to-)?(\d+(?:\.\d+)?)b", rest):
            return size_bucket(float(m[1]), float(m[2]))
    except ValueError:  # an inverted range ("8b-4b"): no bucket, like any key we cannot place
        return None
    return None


def _usd(entry: dict[str, Any], field: str, kind: str) -> float | None:
    return per_token_usd(entry.get(field), kind)


def _model(key: str) -> str:
    for prefix in KEY_PREFIXES:
        if key.startswith(prefix):
            return key[len(prefix):]
    return key


def _tracked(key: str, entry: object) -> tuple[str, str] | None:
    """(provider, model) of an entry we keep, else None: reserved keys, other providers, modes
    that are not text generation, MoE/default bucket keys. Every field is type-checked (a list
    where a string belongs is simply not tracked)."""
    if key in RESERVED or not isinstance(entry, dict):
        return None
    provider_field, mode = entry.get("litellm_provider"), entry.get("mode")
    provider = PROVIDERS.get(provider_field) if isinstance(provider_field, str) else None
    if provider is None or not (mode is None or isinstance(mode, str)) or mode in SKIPPED_MODES:
        return None
    bucket = bucket_from_key(key)
    if _BUCKET_KEY.match(key) and bucket is None:
        return None  # MoE / default bucket keys: no bucket label for them
    return provider, bucket or (key[3:] if key.startswith("ft:") else _model(key))


def _prices(key: str, entry: dict[str, Any], provider: str, model: str, warnings: list[str]) -> list[TokenPrice]:
    fields: tuple[tuple[str, str], ...]
    if key.startswith("ft:"):
        fields = (("ft_input_per_1m", "input_cost_per_token"),
                  ("ft_cached_input_per_1m", "cache_read_input_token_cost"),
                  ("ft_output_per_1m", "output_cost_per_token"))
        if "cache_read_input_token_cost" not in entry and "cache_creation_input_token_cost" in entry:
            warnings.append(f"{NAME}: {key[:120]} has cache_creation_input_token_cost but no "
                            "cache_read_input_token_cost; no cached-input price stored (probably misfiled upstream)")
    else:
        fields = (("base_input_per_1m", "input_cost_per_token"), ("base_output_per_1m", "output_cost_per_token"))
    return [TokenPrice(provider, model, "inference", kind, usd, URL)
            for kind, field in fields if (usd := _usd(entry, field, kind)) is not None]


def parse(body: bytes, *, ext: str, origin: str) -> ParseResult:
    guard_page(NAME, body, origin, min_bytes=MIN_BYTES, max_bytes=MAX_BYTES)
    data = parse_json(NAME, body, field="body", origin=origin, parse_float=Decimal)
    if not isinstance(data, dict) or "sample_spec" not in data:
        raise ParseError(NAME, "sample_spec", "top level is not LiteLLM's model map (no 'sample_spec' key)", origin)

    prices: list[TokenPrice] = []
    events: list[LifecycleEvent] = []
    warnings: list[str] = []
    for key, entry in data.items():
        if (tracked := _tracked(key, entry)) is None:
            continue
        provider, model = tracked
        prices += _prices(key, entry, provider, model, warnings)
        deprecation = entry.get("deprecation_date")
        shutdown = real_date(parse_date(deprecation)) if isinstance(deprecation, str) else None
        if shutdown is not None:
            fine_tuned = key.startswith("ft:")
            event = "inference_shutdown" if fine_tuned else "retired"
            events.append(LifecycleEvent(provider, key if fine_tuned else model, event, shutdown, None, None, "", URL))
    if not prices:
        raise ParseError(NAME, "models", "no priced OpenAI/Together/Fireworks/Vertex entry found; "
                         "the file is truncated or its schema changed", origin)
    return ParseResult(token_prices=prices, lifecycle_events=events, warnings=warnings)


SOURCE = Source(
    name=NAME,
    kind="token",
    description="LiteLLM model price map: base and fine-tuned (ft:) inference prices, deprecation dates",
    fetch=fetch,
    parse=parse,
)
