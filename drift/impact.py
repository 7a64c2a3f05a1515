"""Which catalogue scenarios a lifecycle event makes unavailable (cost_engine, imported lazily).

The cost engine is optional here: when ``cost_engine.availability.scenarios_affected`` or a
catalogue loader is missing or fails, alerts say the impact is unknown instead of failing.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from scrapers.records import LifecycleEvent

# (module, function) tried in order to load the scenario catalogue.
CATALOGUE_LOADERS = (
    ("cost_engine.catalogue", "load_catalogue"),
    ("cost_engine.catalog", "load_catalogue"),
    ("cost_engine.scenarios", "load_catalogue"),
    ("cost_engine.catalogue", "load"),
    ("cost_engine.availability", "load_catalogue"),
)


class ImpactFinder:
    """Caches the catalogue for one evaluation; ``None`` from ``affected`` means unknown."""

    def __init__(self) -> None:
        self._ready = False
        self._fn: Callable[[Any, Any], list[str]] | None = None
        self._catalogue: Any = None
        self.problem: str | None = None

    def _load(self) -> None:
        self._ready = True
        try:
            self._fn = importlib.import_module("cost_engine.availability").scenarios_affected
        except (ImportError, AttributeError) as exc:
            self.problem = f"cost_engine.availability.scenarios_affected unavailable ({exc})"
            return
        for module_name, func_name in CATALOGUE_LOADERS:
            try:
                loader = getattr(importlib.import_module(module_name), func_name)
            except (ImportError, AttributeError):
                continue
            try:
                self._catalogue = loader()
                return
            except Exception as exc:  # noqa: BLE001 - impact is a nicety, never a failure
                self.problem = f"loading the scenario catalogue failed: {exc}"
                self._fn = None
                return
        self.problem = "no scenario catalogue loader found in cost_engine"
        self._fn = None

    def affected(self, event: LifecycleEvent) -> list[str] | None:
        if not self._ready:
            self._load()
        if self._fn is None:
            return None
        try:
            return sorted(set(self._fn(event, self._catalogue)))
        except Exception as exc:  # noqa: BLE001
            self.problem = f"scenarios_affected failed: {exc}"
            return None
