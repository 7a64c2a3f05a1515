"""Which part of a scenario's cost change comes from prices (pure; used by the scenario alerts).

A scenario's cheapest cost can move because a price moved, or because the preferred offer
changed with no price beneath it moving (a price went stale, an offer vanished, a fresh fetch
made another offer usable). Only the first is a cost change. ``like_for_like`` compares two
stored days on the routes usable on both days with the same price observations (same offers,
same model snapshot, same catalogue version): on those, a cost can only move when one of those
prices moved, and it moves by at most the largest of those moves (every layer is a sum of
prices times fixed quantities, plus constants). Its ``moves`` name the observations that moved.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cost_engine.snapshot import price_key


@dataclass(frozen=True)
class RouteDay:
    """One route of a scenario on one stored day: usable or not, its layer costs, its prices."""
    route: str
    available: bool
    layers: Mapping[str, float | None]
    prices: Mapping[tuple, dict[str, Any]] = field(default_factory=dict)   # price_key -> provenance entry
    version: Any = None

    @classmethod
    def from_rows(cls, route: str, available: bool, layers: Mapping[str, float | None],
                  total_inputs: Mapping[str, Any] | None) -> RouteDay:
        inputs = total_inputs or {}
        prov = inputs.get("provenance") or []
        return cls(route, available, dict(layers), {price_key(p): p for p in prov}, inputs.get("catalogue_version"))


@dataclass(frozen=True)
class PriceMove:
    label: str
    old: float
    new: float

    @property
    def pct(self) -> float:
        if self.old == 0:
            return 0.0 if self.new == 0 else math.copysign(math.inf, self.new)
        return 100.0 * (self.new - self.old) / self.old


@dataclass(frozen=True)
class LikeForLike:
    old: float
    new: float
    old_route: str
    new_route: str
    moves: tuple[PriceMove, ...]

    @property
    def pct(self) -> float:
        if self.old == 0:
            return 0.0 if self.new == 0 else math.copysign(math.inf, self.new)
        return 100.0 * (self.new - self.old) / self.old

    @property
    def largest_move_pct(self) -> float:
        return max((abs(m.pct) for m in self.moves), default=0.0)


def price_label(p: Mapping[str, Any]) -> str:
    if p.get("kind") == "gpu":
        rented = p.get("gpus_rented") or p.get("gpu_count")
        return f"{p.get('provider')} {p.get('gpu_model')} {rented}-GPU instance {p.get('tier')} $/h"
    return f"{p.get('provider')} {p.get('model')} {p.get('method')} {p.get('price_kind')} ({p.get('source')})"


def charged(p: Mapping[str, Any]) -> float | None:
    """What the price charges: a GPU instance's $/h (the whole instance), else the observed price."""
    value = p.get("instance_usd_per_hour") if p.get("kind") == "gpu" else None
    value = p.get("usd") if value is None else value
    return None if value is None else float(value)


def _comparable(a: RouteDay, b: RouteDay, layer: str) -> bool:
    return (a.available and b.available and a.layers.get(layer) is not None and b.layers.get(layer) is not None
            and set(a.prices) == set(b.prices) and a.version == b.version)


def _layer_cost(day: RouteDay, layer: str) -> float:
    cost = day.layers.get(layer)
    if cost is None:  # _comparable keeps only routes with this layer's cost on both days
        raise ValueError(f"route {day.route}: no {layer} cost")
    return float(cost)


def like_for_like(before: Mapping[str, RouteDay], after: Mapping[str, RouteDay], routes: Iterable[str],
                  layer: str) -> LikeForLike | None:
    """The layer's cost on the comparable ``routes`` (lowest on each day; ties by route name) and
    the prices that moved beneath them; None when no route is comparable across the two days."""
    candidates = sorted({r for r in routes if r in before and r in after and _comparable(before[r], after[r], layer)})
    if not candidates:
        return None
    old_route = min(candidates, key=lambda r: (_layer_cost(before[r], layer), r))
    new_route = min(candidates, key=lambda r: (_layer_cost(after[r], layer), r))
    moves: dict[tuple, PriceMove] = {}
    for r in candidates:
        for key, p in before[r].prices.items():
            old_usd, new_usd = charged(p), charged(after[r].prices[key])
            if old_usd is not None and new_usd is not None and new_usd != old_usd:
                moves[key] = PriceMove(price_label(p), old_usd, new_usd)
    return LikeForLike(_layer_cost(before[old_route], layer), _layer_cost(after[new_route], layer),
                       old_route, new_route, tuple(moves[k] for k in sorted(moves, key=str)))
