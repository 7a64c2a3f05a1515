"""Plotly figures for the report, returned as JSON for the page to draw (no JS here).

Each chart is drawn by the page from its JSON with ``Plotly.newPlot``; plotly.js itself is
inlined once per page by ``reports.render``.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import plotly.graph_objects as go

from reports.data import HISTORY_DAYS, GpuPoint, ReportData, ScenarioSummary, TokenPoint, gpu_sort_key, is_flexible
from scrapers.records import INTERRUPTIBLE_TIERS

EVENT_COLOURS = {
    "announced": "#6c8ebf", "deprecated": "#d6a100", "training_unavailable": "#e07b00",
    "inference_shutdown": "#c0392b", "retired": "#6b3fa0",
}
MODELS_PER_MARKER = 12  # hover lists at most this many models per lifecycle marker


@dataclass(frozen=True)
class Chart:
    id: str  # the div id; unique in the page
    title: str
    figure_json: str
    height: int  # px; the div gets it up front so the page does not reflow while charts draw


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _layout(title: str, *, height: int = 340, y_title: str = "", **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = dict(
        title=dict(text=title, x=0.01, font=dict(size=15)), template="plotly_white", height=height,
        margin=dict(l=60, r=20, t=40, b=40), hovermode="closest", yaxis=dict(title=y_title),
        legend=dict(orientation="h", y=-0.18, font=dict(size=11)),
    )
    return layout | extra


def _chart(chart_id: str, title: str, fig: go.Figure) -> Chart:
    # "</" inside inline JSON could close the <script> element; escape it.
    return Chart(chart_id, title, fig.to_json().replace("</", "<\\/"), int(fig.layout.height or 340))


def _day_range(as_of: date, days: int, first: date) -> list[str]:
    """The x range of a history chart: from the first point (at least two weeks, at most the window)
    to the report day, so one point still gets a readable date axis."""
    start_day = max(as_of - timedelta(days=days - 1), min(first, as_of - timedelta(days=13)))
    start = datetime.combine(start_day, time.min) - timedelta(hours=12)
    return [start.isoformat(), (datetime.combine(as_of, time.min) + timedelta(hours=12)).isoformat()]


def gpu_chart(gpu_model: str, points: list[GpuPoint], as_of: date) -> Chart:
    """One GPU model: a line per (provider, tier) and the cheapest flexible (on-demand) line."""
    fig = go.Figure()
    series: dict[tuple[str, str], list[GpuPoint]] = defaultdict(list)
    for p in points:
        series[(p.provider, p.tier)].append(p)
    for (provider, tier), pts in sorted(series.items()):
        fig.add_trace(go.Scatter(
            x=[p.day for p in pts], y=[p.usd_per_gpu_hour for p in pts], mode="lines+markers",
            name=f"{provider} · {tier}", marker=dict(size=5),
            line=dict(dash="dot" if tier in INTERRUPTIBLE_TIERS else "solid", width=1.5),
            hovertemplate=f"{provider} · {tier}<br>%{{x|%Y-%m-%d}}: $%{{y:.3f}}/GPU-h<extra></extra>",
        ))
    by_day: dict[date, list[GpuPoint]] = defaultdict(list)
    for p in points:
        by_day[p.day].append(p)
    days = sorted(by_day)
    cheapest = []
    for d in days:
        flexible = [p for p in by_day[d] if is_flexible(p.tier)] or by_day[d]
        cheapest.append(min(flexible, key=lambda p: p.usd_per_gpu_hour))
    fig.add_trace(go.Scatter(
        x=days, y=[p.usd_per_gpu_hour for p in cheapest], mode="lines+markers", name="cheapest",
        line=dict(color="black", width=3, dash="dash"), marker=dict(size=4, color="black"),
        customdata=[[p.provider, p.tier] for p in cheapest],
        hovertemplate="cheapest %{x|%Y-%m-%d}: $%{y:.3f}/GPU-h<br>%{customdata[0]} · %{customdata[1]}<extra></extra>",
    ))
    return _chart(f"chart-gpu-{slug(gpu_model)}", gpu_model,
                  fig.update_layout(**_layout(f"{gpu_model}: USD per GPU-hour", y_title="USD / GPU-hour",
                                              xaxis=dict(type="date", range=_day_range(as_of, HISTORY_DAYS, days[0])))))


def gpu_charts(history: list[GpuPoint], as_of: date) -> list[Chart]:
    by_model: dict[str, list[GpuPoint]] = defaultdict(list)
    for p in history:
        by_model[p.gpu_model].append(p)
    return [gpu_chart(m, by_model[m], as_of) for m in sorted(by_model, key=gpu_sort_key)]


def token_charts(history: list[TokenPoint], as_of: date) -> list[Chart]:
    """One chart per provider: a step line per (model, method) of the believed price."""
    by_provider: dict[str, list[TokenPoint]] = defaultdict(list)
    for q in history:
        by_provider[q.provider].append(q)
    return [token_chart(provider, points, as_of) for provider, points in sorted(by_provider.items())]


def token_chart(provider: str, history: list[TokenPoint], as_of: date) -> Chart:
    fig = go.Figure()
    series: dict[tuple[str, str, str], list[TokenPoint]] = defaultdict(list)
    for q in history:
        series[(q.provider, q.model, q.method)].append(q)
    for (_, model, method), qs in sorted(series.items()):
        name = f"{model} · {method}"
        fig.add_trace(go.Scatter(
            x=[q.day for q in qs], y=[q.usd for q in qs], mode="lines+markers", line_shape="hv",
            name=name, marker=dict(size=5),
            hovertemplate=f"{name}<br>%{{x|%Y-%m-%d}}: $%{{y:.2f}} per 1M tokens<extra></extra>",
        ))
    height = 340 + 20 * (len(series) // 2)
    return _chart(f"chart-tokens-{slug(provider)}", f"{provider} training price",
                  fig.update_layout(**_layout(f"{provider}: training price, USD per 1M tokens", height=height,
                                              y_title="USD / 1M tokens",
                                              xaxis=dict(type="date", range=_day_range(
                                                  as_of, HISTORY_DAYS, min(q.day for q in history))))))


def scenario_chart(scenarios: list[ScenarioSummary]) -> Chart | None:
    routes: dict[str, list] = defaultdict(list)
    for s in scenarios:
        for r in s.routes:
            if r.available and r.usd_mid is not None:
                routes[r.route].append((s.scenario, r))
    if not routes:
        return None
    fig = go.Figure()
    for route, items in sorted(routes.items()):
        mids = [r.usd_mid for _, r in items]
        fig.add_trace(go.Scatter(
            x=mids, y=[s for s, _ in items], mode="markers", name=route, marker=dict(size=9),
            error_x=dict(type="data", symmetric=False,
                         array=[(r.usd_high or r.usd_mid) - r.usd_mid for _, r in items],
                         arrayminus=[r.usd_mid - (r.usd_low or r.usd_mid) for _, r in items]),
            customdata=[[r.usd_low, r.usd_high] for _, r in items],
            hovertemplate=f"{route}<br>%{{y}}<br>mid $%{{x:,.2f}} (low $%{{customdata[0]:,.2f}}, "
                          f"high $%{{customdata[1]:,.2f}})<extra></extra>",
        ))
    height = 200 + 40 * len(scenarios)
    return _chart("chart-scenarios", "Scenario cost ranges",
                  fig.update_layout(**_layout("Scenario cost (low–mid–high), USD on a log scale, by route",
                                              height=height, scattermode="group",
                                              xaxis=dict(type="log", dtick=1, tickprefix="$", tickformat=",.0f"))))


def _models_text(events: list[dict[str, Any]]) -> str:
    lines = [e["model"] + (f" → {e['replacement']}" if e["replacement"] else "") for e in events[:MODELS_PER_MARKER]]
    if len(events) > MODELS_PER_MARKER:
        lines.append(f"… and {len(events) - MODELS_PER_MARKER} more")
    return "<br>".join(lines)


def lifecycle_chart(events: list[dict[str, Any]], as_of: date) -> Chart | None:
    dated = [e for e in events if e["effective_date"] is not None]
    if not dated:
        return None
    fig = go.Figure()
    # One marker per (event, provider, day), sized by how many models it covers.
    groups: dict[str, dict[tuple[str, date], list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for e in dated:
        groups[e["event"]][(e["provider"], e["effective_date"])].append(e)
    for event, by_key in sorted(groups.items()):
        keys = sorted(by_key, key=lambda k: (k[1], k[0]))
        fig.add_trace(go.Scatter(
            x=[k[1] for k in keys], y=[f"{k[0]} · {event}" for k in keys], mode="markers", name=event,
            marker=dict(size=[10 + 3 * min(len(by_key[k]) - 1, 6) for k in keys],
                        color=EVENT_COLOURS.get(event, "#555"), symbol="diamond", line=dict(width=1, color="white")),
            customdata=[[_models_text(by_key[k])] for k in keys],
            hovertemplate=f"{event} on %{{x|%Y-%m-%d}}<br>%{{customdata[0]}}<extra>%{{y}}</extra>",
        ))
    today = datetime.combine(as_of, time.min).isoformat()
    rows = sorted({f"{e['provider']} · {e['event']}" for e in dated}, reverse=True)
    fig.update_layout(**_layout("Lifecycle events by effective date (marker size: models affected)",
                                height=200 + 34 * len(rows), margin=dict(l=170, r=20, t=40, b=40),
                                yaxis=dict(categoryorder="array", categoryarray=rows)))
    fig.add_shape(type="line", x0=today, x1=today, yref="paper", y0=0, y1=1, line=dict(color="#888", dash="dot"))
    fig.add_annotation(x=today, yref="paper", y=1.02, text="report day", showarrow=False, font=dict(size=11))
    return _chart("chart-lifecycle", "Lifecycle timeline", fig)


def all_charts(data: ReportData) -> dict[str, Any]:
    """Charts by section: ``gpu`` and ``tokens`` are lists, the others one chart or None."""
    return {
        "gpu": gpu_charts(data.gpu_history, data.as_of),
        "tokens": token_charts(data.token_history, data.as_of),
        "scenarios": scenario_chart(data.scenarios),
        "lifecycle": lifecycle_chart(data.lifecycle, data.as_of),
    }
