"""Drift detection and alert delivery step of the daily run."""
from __future__ import annotations

from pricewatch.settings import Settings


def evaluate_and_notify(settings: Settings) -> str:
    raise NotImplementedError("drift rules not built yet")
