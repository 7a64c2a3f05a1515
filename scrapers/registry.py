"""Names of all sources, in the order the daily run collects them."""
from __future__ import annotations

import importlib

from scrapers.base import Source

GPU_SOURCES = ("runpod", "vastai", "lambda")
TOKEN_SOURCES = (
    "curated_sheet", "openai_pricing", "openai_deprecations", "together_pricing", "fireworks_pricing",
    "vertex_pricing", "litellm", "openrouter",
)
_MODULES = {"lambda": "scrapers.lambdalabs"}


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
