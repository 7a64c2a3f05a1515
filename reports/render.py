"""Turn ``ReportData`` into one self-contained HTML page (Jinja2 templates, inline SVG charts, no script)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import jinja2

from core import money
from reports.charts import all_charts
from reports.model import (
    GPU_PRIORITY,
    PREFERRED_GPU,
    ROUTE_STATES,
    GpuOffering,
    ReportData,
    RouteCost,
    ScenarioSummary,
)

TEMPLATES = Path(__file__).parent / "templates"
CHANGES_SHOWN = 12  # rows per change table in the headline
ALERTS_SHOWN = 15  # alerts in the headline table; the rest sit in a collapsed table


def usd(value: float | None, digits: int = 2) -> str:
    return money.usd(value, digits)


def pct_change(now: float | None, before: float | None) -> float | None:
    now, before = money.finite(now), money.finite(before)
    if now is None or before is None or before == 0:
        return None
    return (now - before) / before


def charged(route: RouteCost) -> str:
    """The price a route is charged: a GPU instance's USD per hour and the GPUs it rents, or a
    hosted route's USD per 1M training tokens; "—" when it has none (unpriced, or stored before
    routes carried it)."""
    if route.usd_per_hour is not None:
        gpus = route.gpus_rented
        rented = f" ({gpus} GPU{'s' if gpus != 1 else ''})" if gpus else ""
        return f"{money.usd_price(route.usd_per_hour)}/h{rented}"
    if route.usd_per_1m_tokens is not None:
        return f"{money.usd_price(route.usd_per_1m_tokens)}/1M tokens"
    return "—"


def not_used(summary: ScenarioSummary) -> str:
    """The routes the cheapest rule skips, by status: ``1 stale, 2 unavailable``; ``—`` for none."""
    parts = [f"{summary.count(state)} {state}" for state in ROUTE_STATES[1:] if summary.count(state)]
    return ", ".join(parts) or "—"


def pct(value: float | None) -> str:
    return money.percent(value)


def day(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    return value.strftime("%Y-%m-%d")


def stamp(value: datetime | None) -> str:
    return "—" if value is None else value.strftime("%Y-%m-%d %H:%M")


def direction(value: float | None) -> str:
    """CSS class for a change: prices going up are bad news here."""
    value = money.finite(value)
    if value is None or abs(value) < 1e-12:
        return "flat"
    return "up" if value > 0 else "down"


def environment(autoescape: bool = True, **options: Any) -> jinja2.Environment:
    """The report's Jinja environment (filters and globals); the markdown summary uses it unescaped."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=autoescape, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, **options,
    )
    env.filters.update(usd=usd, pct=pct, day=day, stamp=stamp, direction=direction, charged=charged)
    env.globals.update(pct_change=pct_change, not_used=not_used)
    return env


@dataclass(frozen=True)
class CheapestRow:
    gpu_model: str
    best: GpuOffering
    yesterday: float | None
    days_30: float | None
    interruptible: GpuOffering | None
    offerings: int


def cheapest_rows(data: ReportData) -> list[CheapestRow]:
    rows = []
    for gpu_model, best in data.cheapest_now.items():
        mine = [o for o in data.gpu_now if o.gpu_model == gpu_model]
        spot = [o for o in mine if o.interruptible]
        y = data.cheapest_yesterday.get(gpu_model)
        m = data.cheapest_30d.get(gpu_model)
        rows.append(CheapestRow(
            gpu_model, best, y.usd_per_gpu_hour if y else None, m.usd_per_gpu_hour if m else None,
            min(spot, key=lambda o: o.usd_per_gpu_hour) if spot else None, len(mine),
        ))
    return rows


def headline_rows(rows: list[CheapestRow]) -> list[CheapestRow]:
    """One card per priority family (H100, A100, L40S, RTX 4090): its preferred model, else its first."""
    picked = []
    for family in GPU_PRIORITY:
        mine = [r for r in rows if r.gpu_model.startswith(family)]
        preferred = [r for r in mine if r.gpu_model in PREFERRED_GPU]
        if preferred or mine:
            picked.append((preferred or mine)[0])
    return picked


def context(data: ReportData, generated_at: datetime | None = None) -> dict[str, Any]:
    cheapest = cheapest_rows(data)
    today = [e for e in data.lifecycle if e["days_left"] is None or e["days_left"] >= 0]
    return {
        "data": data,
        "charts": all_charts(data),
        "cheapest": cheapest,
        "headline_gpus": headline_rows(cheapest),
        "alerts_shown": data.alerts[:ALERTS_SHOWN],
        "alerts_more": data.alerts[ALERTS_SHOWN:],
        "lifecycle_upcoming": today,
        "lifecycle_recent": [e for e in data.lifecycle if e not in today],
        "changes_shown": CHANGES_SHOWN,
        "generated_at": generated_at or datetime.now(UTC).replace(tzinfo=None),
    }


def render_html(data: ReportData, generated_at: datetime | None = None) -> str:
    return environment().get_template("report.html.j2").render(**context(data, generated_at))
