"""The report's charts as server-rendered inline SVG: no JavaScript and no chart library in the
page (the plotly bundle alone weighed 3.5 MB).

Each chart is one ``<svg>``: grid and axes, one ``<g class="trace">`` per series (its line, and
for a short series its markers, one path each), and hover targets whose ``<title>`` the browser
shows as a tooltip: on the time charts one per run of an unchanged price of a series (its value
and the days it held), on the scenario and lifecycle charts one per marker. The legend is HTML
under the chart. Coordinates are whole units of a fixed ``viewBox`` and the SVG scales to the
page width; a flat run of a line is one segment. A two-year history of every GPU source stays
well under the 1.5 MB page limit (``python -m benchmarks growth`` prints the size).
"""
from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from html import escape
from typing import Any

from markupsafe import Markup

from reports.model import (
    HISTORY_DAYS,
    GpuPoint,
    ReportData,
    ScenarioSummary,
    TokenPoint,
    cheapest_point,
    gpu_sort_key,
)
from scrapers.records import INTERRUPTIBLE_TIERS

EVENT_COLOURS = {
    "announced": "#6c8ebf", "deprecated": "#d6a100", "training_unavailable": "#e07b00",
    "inference_shutdown": "#c0392b", "retired": "#6b3fa0",
}
# plotly's default qualitative palette: the report keeps its colours.
PALETTE = ("#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a", "#19d3f3", "#ff6692", "#b6e880", "#ff97ff",
           "#fecb52")
MODELS_PER_MARKER = 12  # hover lists at most this many models per lifecycle marker
MARKERS_UP_TO = 31  # points of a series drawn with a marker each; longer series are a line
WIDTH = 720  # viewBox width of the charts drawn two abreast; the SVG scales to the page width
WIDE = 1180  # viewBox width of the charts drawn across the page (text then stays at its size)
DASH = "5 4"


@dataclass(frozen=True)
class LegendItem:
    name: str
    colour: str
    dash: bool = False
    width: float = 1.5
    symbol: str = "line"  # line | dot | diamond


@dataclass(frozen=True)
class Chart:
    id: str  # the element id; unique in the page
    title: str
    svg: Markup
    legend: tuple[LegendItem, ...]
    height: int  # px of the drawing, so the page does not reflow


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _n(value: float) -> str:
    """A coordinate: a whole viewBox unit (well under a pixel at the page's width)."""
    return str(round(value))


def _text(value: str) -> str:
    return escape(value, quote=True)


# ---------------------------------------------------------------- scales


@dataclass(frozen=True)
class Box:
    """The plot area inside the viewBox."""

    left: float
    top: float
    right: float
    bottom: float


@dataclass(frozen=True)
class TimeScale:
    start: datetime
    end: datetime
    x0: float
    x1: float

    def __call__(self, at: date | datetime) -> float:
        moment = at if isinstance(at, datetime) else datetime.combine(at, time.min)
        span = (self.end - self.start).total_seconds() or 1.0
        return self.x0 + (self.x1 - self.x0) * (moment - self.start).total_seconds() / span

    def ticks(self, most: int = 7) -> list[date]:
        days = max(1, (self.end - self.start).days)
        step = next((s for s in (1, 2, 7, 14, 30, 61, 91, 182, 365) if days / s <= most), 365)
        first = (self.start + timedelta(days=1)).date() if self.start.time() != time.min else self.start.date()
        if step >= 7:  # weekly and longer steps start on a Monday, so ticks do not drift day to day
            first += timedelta(days=(7 - first.weekday()) % 7)
        out, day = [], first
        while datetime.combine(day, time.min) <= self.end:
            out.append(day)
            day += timedelta(days=step)
        return out


@dataclass(frozen=True)
class LinearScale:
    lo: float
    hi: float
    y0: float  # pixel of lo (bottom)
    y1: float  # pixel of hi (top)
    step: float

    def __call__(self, value: float) -> float:
        span = (self.hi - self.lo) or 1.0
        return self.y0 + (self.y1 - self.y0) * (value - self.lo) / span

    def ticks(self) -> list[float]:
        count = int(round((self.hi - self.lo) / self.step))
        return [self.lo + i * self.step for i in range(count + 1)]


def nice_scale(values: Iterable[float], y0: float, y1: float, *, target: int = 5) -> LinearScale:
    """A linear scale over ``values`` with round tick steps (1, 2, 2.5, 5 x 10^k)."""
    vals = [v for v in values if math.isfinite(v)]
    lo, hi = (min(vals), max(vals)) if vals else (0.0, 1.0)
    if hi - lo < 1e-12:
        pad = abs(hi) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    else:  # a little room so no line runs along the frame
        lo, hi = lo - (hi - lo) * 0.04, hi + (hi - lo) * 0.04
    raw = (hi - lo) / target
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    lo_tick = math.floor(lo / step + 1e-9) * step
    hi_tick = math.ceil(hi / step - 1e-9) * step
    if lo >= 0 > lo_tick:
        lo_tick = 0.0
    return LinearScale(lo_tick, hi_tick, y0, y1, step)


@dataclass(frozen=True)
class LogScale:
    lo: float  # decades: 10**lo .. 10**hi
    hi: float
    x0: float
    x1: float

    def __call__(self, value: float) -> float:
        span = (self.hi - self.lo) or 1.0
        return self.x0 + (self.x1 - self.x0) * (math.log10(max(value, 1e-9)) - self.lo) / span


def money_tick(value: float, step: float) -> str:
    decimals = 0 if step >= 1 else min(4, max(2, -math.floor(math.log10(step))))
    return f"${value:,.{decimals}f}"


# ---------------------------------------------------------------- drawing


class Svg:
    """Builds one chart's SVG text."""

    def __init__(self, height: int, label: str, width: int = WIDTH) -> None:
        self.height = height
        self.parts: list[str] = [
            f'<svg class="chart-svg" viewBox="0 0 {width} {height}" role="img" aria-label="{_text(label)}" '
            f'preserveAspectRatio="xMidYMid meet">']

    def add(self, text: str) -> None:
        self.parts.append(text)

    def done(self) -> Markup:
        return Markup("".join(self.parts) + "</svg>")


def _grid_y(svg: Svg, box: Box, scale: LinearScale, fmt: Callable[[float], str]) -> None:
    lines, labels = [], []
    for value in scale.ticks():
        y = scale(value)
        lines.append(f"M{_n(box.left)} {_n(y)}H{_n(box.right)}")
        labels.append(f'<text x="{_n(box.left - 6)}" y="{_n(y + 4)}">{_text(fmt(value))}</text>')
    svg.add(f'<path class="grid" d="{"".join(lines)}"/><g class="ylab">{"".join(labels)}</g>')


def _axis_x_time(svg: Svg, box: Box, scale: TimeScale) -> None:
    lines, labels = [], []
    for day in scale.ticks():
        x = scale(day)
        if box.left - 0.5 <= x <= box.right + 0.5:
            lines.append(f"M{_n(x)} {_n(box.top)}V{_n(box.bottom)}")
            labels.append(f'<text x="{_n(x)}" y="{_n(box.bottom + 16)}">{day:%b %d}</text>')
    svg.add(f'<path class="grid" d="{"".join(lines)}"/><g class="xlab">{"".join(labels)}</g>')
    svg.add(f'<path class="axis" d="M{_n(box.left)} {_n(box.bottom)}H{_n(box.right)}"/>')


def _y_title(svg: Svg, box: Box, title: str) -> None:
    mid = (box.top + box.bottom) / 2
    svg.add(f'<text class="ytitle" transform="translate(12 {_n(mid)}) rotate(-90)">{_text(title)}</text>')


def _trace(svg: Svg, name: str, colour: str, line: str, markers: str, *, dash: bool = False, width: float = 1.5,
           marker_size: float = 5) -> None:
    """One series: its line (may be empty) and its markers (zero-length round-capped segments)."""
    dash_attr = f' stroke-dasharray="{DASH}"' if dash else ""
    svg.add(f'<g class="trace" data-name="{_text(name)}"><title>{_text(name)}</title>')
    if line:
        svg.add(f'<path class="line" d="{line}" stroke="{colour}" stroke-width="{width:g}"{dash_attr}/>')
    if markers:
        svg.add(f'<path class="marks" d="{markers}" stroke="{colour}" stroke-width="{marker_size:g}"/>')
    svg.add("</g>")


def _polyline(points: Sequence[tuple[float, float]], *, step: bool = False) -> str:
    """A path through the points (``step``: horizontal then vertical), in whole units, with the
    middle points of flat runs left out."""
    pts = [(round(x), round(y)) for x, y in points]
    if not pts:
        return ""
    out = [f"M{pts[0][0]} {pts[0][1]}"]
    for i, (x, y) in enumerate(pts[1:], 1):
        px, py = pts[i - 1]
        flat = y == py and i + 1 < len(pts) and pts[i + 1][1] == y
        if flat:
            continue  # the next point continues the same level
        if step or y == py:
            out.append(f"H{x}" if y == py else f"H{x}V{y}")
        else:
            out.append(f"L{x} {y}")
    return "".join(out)


def _dots(points: Sequence[tuple[float, float]]) -> str:
    return "".join(f"M{_n(x)} {_n(y)}h0" for x, y in points)


@dataclass(frozen=True)
class Run:
    """A run of days a series held one value (and the same note, e.g. which offering)."""

    first: date
    last: date
    value: float
    note: str
    days: int


def runs(points: Sequence[tuple[date, float, str]]) -> list[Run]:
    out: list[Run] = []
    for day, value, note in points:
        if out and out[-1].value == value and out[-1].note == note:
            prev = out[-1]
            out[-1] = Run(prev.first, day, value, note, prev.days + 1)
        else:
            out.append(Run(day, day, value, note, 1))
    return out


def _hover_runs(name: str, points: Sequence[tuple[date, float, str]], xs: TimeScale, ys: LinearScale,
                fmt: Callable[[float], str]) -> str:
    """Invisible wide strokes over each run of a series, titled with its value and days."""
    parts = []
    for run in runs(sorted(points)):
        y = ys(run.value)
        x0, x1 = xs(run.first), xs(run.last)
        when = run.first.isoformat() if run.first == run.last else f"{run.first.isoformat()} to {run.last.isoformat()}"
        days = f", {run.days} observation days" if run.days > 1 else ""
        note = f" ({run.note})" if run.note else ""
        title = f"{name}: {fmt(run.value)}{note}\n{when}{days}"
        parts.append(f'<path d="M{_n(x0)} {_n(y)}H{_n(x1)}h0"><title>{_text(title)}</title></path>')
    return "".join(parts)


def _day_range(as_of: date, days: int, first: date) -> tuple[datetime, datetime]:
    """The x range of a history chart: from the first point (at least two weeks, at most the window)
    to the report day, so one point still gets a readable date axis."""
    start_day = max(as_of - timedelta(days=days - 1), min(first, as_of - timedelta(days=13)))
    return (datetime.combine(start_day, time.min) - timedelta(hours=12),
            datetime.combine(as_of, time.min) + timedelta(hours=12))


# A series of a time chart: its legend entry and its points (day, value, note for the tooltip).
Series = tuple[LegendItem, list[tuple[date, float, str]]]


def _time_chart(chart_id: str, title: str, y_title: str, series: list[Series], as_of: date,
                value_text: Callable[[float], str], *, step: bool = False, height: int = 320) -> Chart:
    box = Box(64, 10, WIDTH - 14, height - 28)
    # A value that is not a finite number (a NaN that reached the warehouse) cannot be drawn.
    series = [(item, finite) for item, points in series
              if (finite := [(d, v, note) for d, v, note in points if math.isfinite(v)])]
    if not series:
        series = [(LegendItem("no finite prices", "#999999"), [(as_of, 0.0, "no finite prices")])]
    first = min(day for _, points in series for day, _, _ in points)
    start, end = _day_range(as_of, HISTORY_DAYS, first)
    xs = TimeScale(start, end, box.left, box.right)
    ys = nice_scale((v for _, points in series for _, v, _ in points), box.bottom, box.top)
    svg = Svg(height, title)
    _grid_y(svg, box, ys, lambda v: money_tick(v, ys.step))
    _axis_x_time(svg, box, xs)
    _y_title(svg, box, y_title)
    hover = []
    for item, points in series:
        ordered = sorted(points)
        xy = [(xs(day), ys(value)) for day, value, _ in ordered]
        markers = _dots(xy) if len(xy) <= MARKERS_UP_TO else ""
        _trace(svg, item.name, item.colour, _polyline(xy, step=step), markers, dash=item.dash, width=item.width,
               marker_size=4 if item.width > 2 else 5)
        hover.append(_hover_runs(item.name, ordered, xs, ys, value_text))
    svg.add(f'<g class="hover">{"".join(hover)}</g>')
    return Chart(chart_id, title, svg.done(), tuple(item for item, _ in series), height)


# ---------------------------------------------------------------- the report's charts


def gpu_chart(gpu_model: str, points: list[GpuPoint], as_of: date) -> Chart:
    """One GPU model: a line per (provider, tier) and the cheapest flexible (on-demand) line."""
    by_series: dict[tuple[str, str], list[GpuPoint]] = defaultdict(list)
    by_day: dict[date, list[GpuPoint]] = defaultdict(list)
    for p in points:
        if not math.isfinite(p.usd_per_gpu_hour):
            continue
        by_series[(p.provider, p.tier)].append(p)
        by_day[p.day].append(p)
    series: list[Series] = []
    for i, ((provider, tier), pts) in enumerate(sorted(by_series.items())):
        item = LegendItem(f"{provider} · {tier}", PALETTE[i % len(PALETTE)], dash=tier in INTERRUPTIBLE_TIERS)
        series.append((item, [(p.day, p.usd_per_gpu_hour, "") for p in pts]))
    cheapest = []
    for day, day_points in by_day.items():
        best = cheapest_point(day_points)
        label = f"{best.provider} · {best.tier}" + (" · sold out" if best.sold_out else "")
        cheapest.append((day, best.usd_per_gpu_hour, label))
    series.append((LegendItem("cheapest", "#000000", dash=True, width=3), cheapest))
    return _time_chart(f"chart-gpu-{slug(gpu_model)}", f"{gpu_model}: USD per GPU-hour", "USD / GPU-hour",
                       series, as_of, lambda v: f"${v:,.3f}/GPU-h")


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
    by_series: dict[tuple[str, str], list[TokenPoint]] = defaultdict(list)
    for q in history:
        by_series[(q.model, q.method)].append(q)
    series: list[Series] = [
        (LegendItem(f"{model} · {method}", PALETTE[i % len(PALETTE)]), [(q.day, q.usd, q.source) for q in qs])
        for i, ((model, method), qs) in enumerate(sorted(by_series.items()))]
    return _time_chart(f"chart-tokens-{slug(provider)}", f"{provider}: training price, USD per 1M tokens",
                       "USD / 1M tokens", series, as_of, lambda v: f"${v:,.2f} per 1M tokens", step=True)


def _diamond(x: float, y: float, r: float) -> str:
    return f"M{_n(x)} {_n(y - r)}L{_n(x + r)} {_n(y)}L{_n(x)} {_n(y + r)}L{_n(x - r)} {_n(y)}Z"


def scenario_chart(scenarios: list[ScenarioSummary]) -> Chart | None:
    """Per scenario (rows) and route (colour): the mid estimate on a log scale, low to high as a bar."""
    routes: dict[str, list[tuple[str, Any]]] = defaultdict(list)
    for s in scenarios:
        for r in s.routes:
            if r.available and r.usd_mid is not None:
                routes[r.route].append((s.scenario, r))
    if not routes:
        return None
    rows = [s.scenario for s in scenarios]
    height = 60 + 40 * len(rows)
    label_width = min(320, 16 + 6.2 * max(len(r) for r in rows))
    box = Box(label_width, 10, WIDE - 40, height - 28)
    values = [v for items in routes.values() for _, r in items for v in (r.usd_low, r.usd_mid, r.usd_high)
              if v is not None and v > 0]
    lo, hi = math.floor(math.log10(min(values))), math.ceil(math.log10(max(values)))
    xs = LogScale(lo, hi if hi > lo else lo + 1, box.left, box.right)
    band = (box.bottom - box.top) / len(rows)
    title = "Scenario cost (low–mid–high), USD on a log scale, by route"
    svg = Svg(height, title, WIDE)
    grid = "".join(f"M{_n(xs(10 ** k))} {_n(box.top)}V{_n(box.bottom)}" for k in range(int(xs.lo), int(xs.hi) + 1))
    ticks = "".join(f'<text x="{_n(xs(10 ** k))}" y="{_n(box.bottom + 16)}">${10 ** k:,.0f}</text>'
                    for k in range(int(xs.lo), int(xs.hi) + 1))
    names = "".join(f'<text x="{_n(box.left - 8)}" y="{_n(box.top + band * (i + 0.5) + 4)}">{_text(r)}</text>'
                    for i, r in enumerate(rows))
    svg.add(f'<path class="grid" d="{grid}"/><g class="xlab">{ticks}</g><g class="ylab">{names}</g>')
    svg.add(f'<path class="axis" d="M{_n(box.left)} {_n(box.bottom)}H{_n(box.right)}"/>')
    ordered = sorted(routes)
    legend = []
    for i, route in enumerate(ordered):
        colour = PALETTE[i % len(PALETTE)]
        offset = (i - (len(ordered) - 1) / 2) * min(8.0, band * 0.8 / max(1, len(ordered)))
        bars, marks, hovers = [], [], []
        for scenario, r in routes[route]:
            y = box.top + band * (rows.index(scenario) + 0.5) + offset
            low, high = r.usd_low or r.usd_mid, r.usd_high or r.usd_mid
            bars.append(f"M{_n(xs(low))} {_n(y)}H{_n(xs(high))}M{_n(xs(low))} {_n(y - 3)}v6"
                        f"M{_n(xs(high))} {_n(y - 3)}v6")
            marks.append((xs(r.usd_mid), y))
            tip = f"{route}\n{scenario}\nmid ${r.usd_mid:,.2f} (low ${low:,.2f}, high ${high:,.2f})"
            hovers.append(f'<circle cx="{_n(xs(r.usd_mid))}" cy="{_n(y)}" r="6"><title>{_text(tip)}</title></circle>')
        svg.add(f'<g class="trace" data-name="{_text(route)}"><title>{_text(route)}</title>'
                f'<path class="line" d="{"".join(bars)}" stroke="{colour}" stroke-width="1.2"/>'
                f'<path class="marks" d="{_dots(marks)}" stroke="{colour}" stroke-width="9"/></g>')
        svg.add(f'<g class="hover">{"".join(hovers)}</g>')
        legend.append(LegendItem(route, colour, symbol="dot"))
    return Chart("chart-scenarios", title, svg.done(), tuple(legend), height)


def _models_text(events: list[dict[str, Any]]) -> list[str]:
    lines = [e["model"] + (f" → {e['replacement']}" if e["replacement"] else "") for e in events[:MODELS_PER_MARKER]]
    if len(events) > MODELS_PER_MARKER:
        lines.append(f"… and {len(events) - MODELS_PER_MARKER} more")
    return lines


def lifecycle_chart(events: list[dict[str, Any]], as_of: date) -> Chart | None:
    """Lifecycle events by effective date: a row per (provider, event), a diamond per day sized by
    how many models it covers, and the report day as a dotted line."""
    dated = [e for e in events if e["effective_date"] is not None]
    if not dated:
        return None
    groups: dict[tuple[str, str], dict[date, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for e in dated:
        groups[(e["provider"], e["event"])][e["effective_date"]].append(e)
    rows = sorted(f"{provider} · {event}" for provider, event in groups)
    height = 70 + 34 * len(rows)
    box = Box(min(240, 16 + 6.2 * max(len(r) for r in rows)), 22, WIDE - 40, height - 28)
    days = [e["effective_date"] for e in dated] + [as_of]
    start = datetime.combine(min(days), time.min) - timedelta(days=7)
    end = datetime.combine(max(days), time.min) + timedelta(days=7)
    xs = TimeScale(start, end, box.left, box.right)
    band = (box.bottom - box.top) / len(rows)
    title = "Lifecycle events by effective date (marker size: models affected)"
    svg = Svg(height, title, WIDE)
    names = "".join(f'<text x="{_n(box.left - 8)}" y="{_n(box.top + band * (i + 0.5) + 4)}">{_text(r)}</text>'
                    for i, r in enumerate(rows))
    svg.add(f'<g class="ylab">{names}</g>')
    _axis_x_time(svg, box, xs)
    today = xs(as_of)
    svg.add(f'<path class="today" d="M{_n(today)} {_n(box.top)}V{_n(box.bottom)}"/>'
            f'<text class="note" x="{_n(today)}" y="{_n(box.top - 8)}">report day</text>')
    legend = []
    for event in sorted({event for _, event in groups}):
        colour = EVENT_COLOURS.get(event, "#555555")
        shapes, hovers = [], []
        for (provider, ev), by_day in sorted(groups.items()):
            if ev != event:
                continue
            y = box.top + band * (rows.index(f"{provider} · {event}") + 0.5)
            for day, items in sorted(by_day.items()):
                r = 6 + 1.5 * min(len(items) - 1, 6)
                shapes.append(_diamond(xs(day), y, r))
                tip = "\n".join([f"{provider} · {event} on {day.isoformat()}", *_models_text(items)])
                hovers.append(f'<circle cx="{_n(xs(day))}" cy="{_n(y)}" r="{_n(r + 2)}"><title>{_text(tip)}</title>'
                              "</circle>")
        svg.add(f'<g class="trace" data-name="{_text(event)}"><title>{_text(event)}</title>'
                f'<path class="shape" d="{"".join(shapes)}" fill="{colour}"/></g>')
        svg.add(f'<g class="hover">{"".join(hovers)}</g>')
        legend.append(LegendItem(event, colour, symbol="diamond"))
    return Chart("chart-lifecycle", title, svg.done(), tuple(legend), height)


def all_charts(data: ReportData) -> dict[str, Any]:
    """Charts by section: ``gpu`` and ``tokens`` are lists, the others one chart or None."""
    return {
        "gpu": gpu_charts(data.gpu_history, data.as_of),
        "tokens": token_charts(data.token_history, data.as_of),
        "scenarios": scenario_chart(data.scenarios),
        "lifecycle": lifecycle_chart(data.lifecycle, data.as_of),
    }
