"""Which catalogue scenarios a lifecycle event makes unavailable (cost_engine's own rules).

Loading the scenario catalogue may fail (a broken or missing catalogue file): then alerts say
the impact is unknown instead of failing, and lifecycle rules treat unknown as possibly
route-ending.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cost_engine.availability import scenarios_affected
from cost_engine.catalogue import load_catalogue
from scrapers.records import LifecycleEvent


class ImpactFinder:
    """Loads the catalogue once per evaluation; ``None`` from ``affected`` means unknown."""

    def __init__(self, loader: Callable[[], Any] = load_catalogue) -> None:
        self._loader = loader
        self._loaded = False
        self._catalogue: Any = None
        self.problem: str | None = None

    def affected(self, event: LifecycleEvent) -> list[str] | None:
        if not self._loaded:
            self._loaded = True
            try:
                self._catalogue = self._loader()
            except Exception as exc:  # noqa: BLE001 - impact is a nicety, never a failure
                self.problem = f"loading the scenario catalogue failed: {exc}"
        if self._catalogue is None:
            return None
        try:
            return sorted(set(scenarios_affected(event, self._catalogue)))
        except Exception as exc:  # noqa: BLE001 - an engine bug must not stop the alerts
            self.problem = f"working out the scenarios affected failed: {type(exc).__name__}: {exc}"
            return None
