"""Daily report step of the daily run."""
from __future__ import annotations

from pricewatch.settings import Settings


def render_latest(settings: Settings) -> str:
    raise NotImplementedError("report not built yet")
