"""Names of all sources, in the order the daily run collects them, and the one rule that says
which source to believe first."""
from __future__ import annotations

import importlib

from scrapers.base import Source

GPU_SOURCES = ("runpod", "vastai", "lambda", "skypilot_catalog")
TOKEN_SOURCES = (
    "curated_sheet", "openai_pricing", "openai_deprecations", "together_pricing", "fireworks_pricing",
    "vertex_pricing", "litellm", "openrouter",
)
_MODULES = {"lambda": "scrapers.lambdalabs"}
# Feeds that republish other providers' prices: cross-checks, never the price of record.
AGGREGATOR_SOURCES = ("litellm", "openrouter")
# Multi-cloud catalogues: the price of record for a provider only when no collector of the
# provider's own reads it (a provider seen both ways is read from its own collector).
CATALOGUE_SOURCES = ("skypilot_catalog",)
# Sources whose rows carry their own as-of date (observed_at is not the fetch time).
DATED_SOURCES = ("curated_sheet",)

# Provider ids: a cloud named differently by a catalogue or a marketplace -> the id pricewatch
# uses (the provider's own collector's name where it has one). Anything else is used lower-cased.
PROVIDER_ALIASES = {
    "lambdalabs": "lambda",
    "lambda_labs": "lambda",
    "vast": "vastai",
    "crusoecloud": "crusoe",
    "datacrunch": "verda",  # DataCrunch renamed itself Verda in 2025
    "primecompute": "primeintellect",
}


def provider_id(name: str) -> str:
    """pricewatch's id for a cloud named ``name`` by a catalogue or marketplace."""
    key = name.strip().lower()
    return PROVIDER_ALIASES.get(key, key)


def source_rank(source: str) -> int:
    """Which source to believe first: a provider's own page or API (1), the curated sheet (2), an
    aggregator feed or a multi-cloud catalogue (3). The SQL macro ``source_rank`` is generated
    from this function (warehouse/semantic.py)."""
    if source in AGGREGATOR_SOURCES or source in CATALOGUE_SOURCES:
        return 3
    return 2 if source in DATED_SOURCES else 1


def source_names() -> tuple[str, ...]:
    return GPU_SOURCES + TOKEN_SOURCES


def get_source(name: str) -> Source:
    if name not in source_names():
        raise KeyError(f"unknown source {name!r}; known: {', '.join(source_names())}")
    module = importlib.import_module(_MODULES.get(name, f"scrapers.{name}"))
    return module.SOURCE


def available_sources() -> list[Source]:
    """Sources whose module exists (lets the pipeline run while a source is being written)."""
    found = []
    for name in source_names():
        try:
            found.append(get_source(name))
        except ModuleNotFoundError as exc:
            if exc.name != _MODULES.get(name, f"scrapers.{name}"):
                raise
            continue
    return found
