"""Daily repricing step (called by the daily run after prices are loaded)."""
from __future__ import annotations

from pricewatch.settings import Settings


def reprice_latest(settings: Settings) -> str:
    raise NotImplementedError("cost engine not built yet")
