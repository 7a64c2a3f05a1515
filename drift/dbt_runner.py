"""dbt step of the daily run."""
from __future__ import annotations

from pricewatch.settings import Settings


def build_models(settings: Settings) -> str:
    raise NotImplementedError("dbt project not built yet")
