"""Read-only queries behind the daily report, all relative to one as-of date.

Every function takes an open DuckDB connection (read-only is enough) and returns plain
records. A table, view or as-of macro that does not exist yields an empty result, never an
error, so the report renders on whatever part of the pipeline has run. "As of D" means
everything observed before ``warehouse.asof.day_end(D)``, so a report for a past day shows what
was known that day; the as-of rules themselves are the warehouse's (migration 005):

* GPU snapshot at D: ``gpu_offerings_as_of`` (each provider's last load before the cutoff; a
  provider not reached on D keeps its previous prices, ``observed_at`` shows how old they are);
* token prices at D: ``token_prices_believed_as_of`` (one believed price per line: provider page
  over curated sheet, then newest); aggregator feeds are cross-checks, never the price of record;
* lifecycle events at D: ``lifecycle_events_as_of`` (one row per event, best source, not superseded).

Functions take ``have`` (the names of existing relations and macros) so one report build looks
the catalogue up once; it is looked up when omitted.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

import duckdb

from cost_engine.service import costs_relation
from scrapers.records import COMMITTED_TIERS, INTERRUPTIBLE_TIERS
from scrapers.registry import AGGREGATOR_SOURCES
from warehouse.asof import day_end

# Chart and table order: these families first, then everything else by name.
GPU_PRIORITY = ("H100", "A100", "L40S", "RTX 4090")
PREFERRED_GPU = ("H100 SXM 80GB", "A100 SXM 80GB", "L40S 48GB", "RTX 4090 24GB")
TRAINING_KIND = "training_per_1m_tokens"
HISTORY_DAYS = 90  # GPU and token history charts
LIFECYCLE_LOOKBACK_DAYS = 90
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}
CHANGE_DAYS = (1, 30)  # the headline compares with these many days before the report day


def is_flexible(tier: str) -> bool:
    """Rentable by the hour with no commitment and not pre-emptible: what "cheapest" compares."""
    return tier not in INTERRUPTIBLE_TIERS and tier not in COMMITTED_TIERS


def gpu_sort_key(gpu_model: str) -> tuple[int, int, str]:
    family = next((i for i, f in enumerate(GPU_PRIORITY) if gpu_model.startswith(f)), len(GPU_PRIORITY))
    preferred = 0 if gpu_model in PREFERRED_GPU else 1
    return family, preferred, gpu_model


def existing_relations(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Names of the tables, views and table macros (the as-of helpers) in the warehouse."""
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables UNION "
        "SELECT function_name FROM duckdb_functions() WHERE function_type = 'table_macro'"
    ).fetchall()
    return {r[0] for r in rows}


def _have(con: duckdb.DuckDBPyConnection, have: set[str] | None) -> set[str]:
    return existing_relations(con) if have is None else have


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


# ---------------------------------------------------------------- GPU prices


@dataclass(frozen=True)
class GpuPoint:
    day: date
    gpu_model: str
    provider: str
    tier: str
    usd_per_gpu_hour: float


@dataclass(frozen=True)
class GpuOffering:
    """The cheapest offering of one (GPU model, provider, tier) in a snapshot."""

    gpu_model: str
    provider: str
    tier: str
    usd_per_gpu_hour: float
    gpu_count: int
    region: str | None
    observed_at: datetime
    offer_count: int | None

    @property
    def key(self) -> tuple[str, str, str]:
        return self.gpu_model, self.provider, self.tier

    @property
    def interruptible(self) -> bool:
        return self.tier in INTERRUPTIBLE_TIERS

    @property
    def flexible(self) -> bool:
        return is_flexible(self.tier)


def gpu_daily_history(con: duckdb.DuckDBPyConnection, as_of: date, days: int = HISTORY_DAYS,
                      have: set[str] | None = None) -> list[GpuPoint]:
    """Per day, GPU model, provider and tier: the lowest USD/GPU-hour in that provider's last load of the day."""
    if "gpu_price_history" not in _have(con, have):
        return []
    rows = con.execute(
        """
        WITH loads AS (
            SELECT provider, CAST(observed_at AS DATE) AS day, max(observed_at) AS at
            FROM gpu_price_history WHERE observed_at >= ? AND observed_at < ?
            GROUP BY ALL
        )
        SELECT l.day, h.gpu_model, h.provider, h.tier, min(h.usd_per_gpu_hour)
        FROM gpu_price_history h JOIN loads l ON h.provider = l.provider AND h.observed_at = l.at
        WHERE h.gpu_model IS NOT NULL
        GROUP BY ALL ORDER BY 2, 3, 4, 1
        """,
        [day_end(as_of - timedelta(days=days)), day_end(as_of)],
    ).fetchall()
    return [GpuPoint(*row) for row in rows]


def gpu_snapshot(con: duckdb.DuckDBPyConnection, as_of: date, have: set[str] | None = None) -> list[GpuOffering]:
    """``gpu_offerings_as_of(day_end(as_of))``: cheapest offering per (GPU model, provider, tier)."""
    if "gpu_offerings_as_of" not in _have(con, have):
        return []
    rows = con.execute(
        """
        SELECT gpu_model, provider, tier,
               min(usd_per_gpu_hour) AS usd,
               arg_min(gpu_count, usd_per_gpu_hour) AS gpu_count,
               arg_min(region, usd_per_gpu_hour) AS region,
               max(observed_at) AS observed_at,
               arg_min(offer_count, usd_per_gpu_hour) AS offer_count
        FROM gpu_offerings_as_of(?)
        WHERE gpu_model IS NOT NULL
        GROUP BY ALL
        """,
        [day_end(as_of)],
    ).fetchall()
    offerings = [GpuOffering(*row) for row in rows]
    return sorted(offerings, key=lambda o: (gpu_sort_key(o.gpu_model), o.usd_per_gpu_hour, o.provider, o.tier))


def cheapest_by_gpu(snapshot: list[GpuOffering]) -> dict[str, GpuOffering]:
    """The cheapest flexible offering per GPU model (on demand, no commitment, not interruptible);
    an interruptible or committed one only when the GPU has nothing else."""
    best: dict[str, GpuOffering] = {}
    for o in snapshot:
        current = best.get(o.gpu_model)
        if current is None or (not current.flexible, current.usd_per_gpu_hour) > (not o.flexible, o.usd_per_gpu_hour):
            best[o.gpu_model] = o
    return dict(sorted(best.items(), key=lambda kv: gpu_sort_key(kv[0])))


# ---------------------------------------------------------------- token prices


@dataclass(frozen=True)
class TokenQuote:
    provider: str
    model: str
    method: str
    price_kind: str
    usd: float
    observed_at: datetime
    source: str

    @property
    def key(self) -> tuple[str, str, str, str]:
        return self.provider, self.model, self.method, self.price_kind


@dataclass(frozen=True)
class TokenPoint:
    """The believed training price of one (provider, model, method) as of a day (a chart point)."""

    day: date
    provider: str
    model: str
    method: str
    usd: float
    source: str


def token_snapshot(con: duckdb.DuckDBPyConnection, as_of: date, price_kind: str | None = None,
                   have: set[str] | None = None) -> list[TokenQuote]:
    """The believed price per (provider, model, method, price kind) as of ``as_of``
    (``token_prices_believed_as_of``); a line only an aggregator prices is left out."""
    if "token_prices_believed_as_of" not in _have(con, have):
        return []
    rows = con.execute(
        """
        SELECT provider, model, method, price_kind, usd, observed_at, source
        FROM token_prices_believed_as_of(?)
        WHERE (? IS NULL OR price_kind = ?) AND NOT list_contains(?, source)
        ORDER BY provider, model, method, price_kind
        """,
        [day_end(as_of), price_kind, price_kind, list(AGGREGATOR_SOURCES)],
    ).fetchall()
    return [TokenQuote(*row) for row in rows]


def token_history(con: duckdb.DuckDBPyConnection, as_of: date, price_kind: str = TRAINING_KIND,
                  days: int = HISTORY_DAYS, have: set[str] | None = None) -> list[TokenPoint]:
    """The believed price per (provider, model, method) over the same window as the GPU charts:
    on its first day and on every day a non-aggregator source loaded token prices."""
    have = _have(con, have)
    if "token_prices_believed_as_of" not in have or "token_price_history" not in have:
        return []
    first = as_of - timedelta(days=days - 1)
    loaded = con.execute(
        "SELECT DISTINCT CAST(observed_at AS DATE) FROM token_price_history "
        "WHERE observed_at >= ? AND observed_at < ? AND NOT list_contains(?, source)",
        [day_end(first - timedelta(days=1)), day_end(as_of), list(AGGREGATOR_SOURCES)],
    ).fetchall()
    points = []
    for day in sorted({first} | {r[0] for r in loaded}):
        points += [TokenPoint(day, q.provider, q.model, q.method, q.usd, q.source)
                   for q in token_snapshot(con, day, price_kind, have)]
    return sorted(points, key=lambda p: (p.provider, p.model, p.method, p.day))


# ---------------------------------------------------------------- changes


@dataclass(frozen=True)
class PriceChange:
    label: str  # e.g. "H100 SXM 80GB · runpod · secure"
    before: float | None
    after: float | None
    unit: str

    @property
    def kind(self) -> str:
        if self.before is None:
            return "new"
        if self.after is None:
            return "gone"
        return "up" if self.after > self.before else "down"

    @property
    def pct(self) -> float | None:
        if self.before is None or self.after is None or self.before == 0:
            return None
        return (self.after - self.before) / self.before


def diff_prices(before: dict[tuple, float], after: dict[tuple, float], unit: str) -> list[PriceChange]:
    """Changed, new and gone keys; biggest relative moves first, then new, then gone."""
    changes = []
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key), after.get(key)
        if b is not None and a is not None and abs(a - b) < 1e-9:
            continue
        changes.append(PriceChange(" · ".join(str(k) for k in key), b, a, unit))
    order = {"up": 0, "down": 0, "new": 1, "gone": 2}
    return sorted(changes, key=lambda c: (order[c.kind], -abs(c.pct or 0.0), c.label))


@dataclass
class ChangeSet:
    """What changed between ``since`` and the report day."""

    since: date
    has_baseline: bool  # False when the warehouse holds no prices at ``since``
    gpu: list[PriceChange] = field(default_factory=list)
    tokens: list[PriceChange] = field(default_factory=list)
    new_events: list[dict[str, Any]] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for c in self.gpu + self.tokens if c.kind == kind)


def change_set(since: date, then_gpu: list[GpuOffering], then_tokens: list[TokenQuote],
               now_gpu: list[GpuOffering], now_tokens: list[TokenQuote],
               events: list[dict[str, Any]]) -> ChangeSet:
    """Pure: the snapshots at ``since`` and on the report day, and every lifecycle event known on
    the report day (``lifecycle_events(..., lookback_days=None)``); nothing is queried here."""
    result = ChangeSet(since=since, has_baseline=bool(then_gpu or then_tokens))
    if then_gpu:
        result.gpu = diff_prices({o.key: o.usd_per_gpu_hour for o in then_gpu},
                                 {o.key: o.usd_per_gpu_hour for o in now_gpu}, "USD/GPU-h")
    if then_tokens:
        result.tokens = diff_prices({q.key: q.usd for q in then_tokens},
                                    {q.key: q.usd for q in now_tokens}, "USD")
    result.new_events = [e for e in events if e["first_seen_at"] >= day_end(since)]
    return result


# ---------------------------------------------------------------- lifecycle


def lifecycle_events(con: duckdb.DuckDBPyConnection, as_of: date,
                     lookback_days: int | None = LIFECYCLE_LOOKBACK_DAYS,
                     have: set[str] | None = None) -> list[dict[str, Any]]:
    """``lifecycle_events_as_of(day_end(as_of))`` (one row per event, from the best source, not
    superseded by then), effective from ``as_of - lookback`` on (all when ``lookback_days`` is None)."""
    if "lifecycle_events_as_of" not in _have(con, have):
        return []
    since = None if lookback_days is None else as_of - timedelta(days=lookback_days)
    return _rows(
        con,
        """
        SELECT provider, model, event, effective_date, announced_date, replacement, scope,
               source_url, source, first_seen_at, CAST(effective_date - CAST(? AS DATE) AS INTEGER) AS days_left
        FROM lifecycle_events_as_of(?)
        WHERE CAST(? AS DATE) IS NULL OR effective_date IS NULL OR effective_date >= ?
        ORDER BY effective_date NULLS LAST, provider, model, event, scope
        """,
        [as_of, day_end(as_of), since, since],
    )


# ---------------------------------------------------------------- scenarios


@dataclass(frozen=True)
class RouteCost:
    scenario: str
    route: str
    usd_low: float | None
    usd_mid: float | None
    usd_high: float | None
    available: bool
    reason: str | None
    mid_7d: float | None = None
    mid_30d: float | None = None
    usd_per_hour: float | None = None   # the hourly price actually charged (whole instance), GPU routes
    basis: str | None = None            # provider page, curated sheet, aggregator, reconstructed/second-hand
    status: str | None = None           # available, stale, unpriced, unavailable (None: stored before v3)


@dataclass(frozen=True)
class ScenarioSummary:
    scenario: str
    cheapest: RouteCost | None  # None when no route is usable
    cheapest_7d: float | None
    cheapest_30d: float | None
    routes: list[RouteCost]

    @property
    def unavailable(self) -> list[RouteCost]:
        return [r for r in self.routes if not r.available]


def _scenario_day(con: duckdb.DuckDBPyConnection, day: date) -> date | None:
    row = con.execute("SELECT max(as_of) FROM scenario_costs WHERE as_of <= ?", [day]).fetchone()
    return None if row is None else row[0]


def _route_costs(con: duckdb.DuckDBPyConnection, day: date | None, rel: str = "scenario_costs") -> list[dict[str, Any]]:
    if day is None:
        return []
    return _rows(
        con,
        "SELECT scenario, route, usd_low, usd_mid, usd_high, available, reason, "
        f"CAST(inputs AS JSON) ->> 'status' AS status FROM {rel} "
        "WHERE as_of = ? AND layer = 'total' ORDER BY scenario, usd_mid NULLS LAST, route",
        [day],
    )


def scenario_catalogue(con: duckdb.DuckDBPyConnection, as_of: date, have: set[str] | None = None,
                       customer_profile: str | None = None) -> tuple[date | None, list[ScenarioSummary]]:
    """The latest repricing at or before ``as_of`` (layer 'total'). Each scenario's cheapest route and
    its cost 7 and 30 days before come from the one home of that concept, the scenario cost trend
    (``scenario_cost_trend_of``, warehouse/semantic/50_costs.sql), with the hourly price charged and
    its basis. ``customer_profile`` other than the stored one reprices that day for it."""
    if "scenario_costs" not in _have(con, have):
        return None, []
    day = _scenario_day(con, as_of)
    if day is None:
        return None, []
    with costs_relation(con, day, customer_profile) as rel:
        now = _route_costs(con, day, rel)
        trend = {r["scenario"]: r for r in _rows(
            con, "SELECT scenario, cheapest_route, usd_mid_7d_ago, usd_mid_30d_ago, usd_per_hour, basis "
                 f"FROM scenario_cost_trend_of('{rel}') WHERE as_of = ? AND layer = 'total'", [day])}
    before = {n: _route_costs(con, _scenario_day(con, day - timedelta(days=n))) for n in (7, 30)}
    mids = {n: {(r["scenario"], r["route"]): r["usd_mid"] for r in rows if r["available"]}
            for n, rows in before.items()}
    by_scenario: dict[str, list[RouteCost]] = defaultdict(list)
    for r in now:
        key = (r["scenario"], r["route"])
        by_scenario[r["scenario"]].append(RouteCost(**r, mid_7d=mids[7].get(key), mid_30d=mids[30].get(key)))
    summaries = []
    for scenario, routes in sorted(by_scenario.items()):
        t = trend.get(scenario, {})
        cheapest = next((r for r in routes if r.route == t.get("cheapest_route")), None)
        if cheapest is not None:
            cheapest = replace(cheapest, usd_per_hour=t.get("usd_per_hour"), basis=t.get("basis"))
            open_route = f"cheapest open route: {cheapest.route} (${cheapest.usd_mid:,.2f})"
            routes = [replace(r, reason=f"{r.reason}; {open_route}") if r.status == "unavailable" else r
                      for r in routes]
        summaries.append(ScenarioSummary(scenario, cheapest, t.get("usd_mid_7d_ago"), t.get("usd_mid_30d_ago"),
                                         routes))
    return day, summaries


# ---------------------------------------------------------------- alerts and sources


def alerts_for_day(con: duckdb.DuckDBPyConnection, as_of: date, have: set[str] | None = None) -> list[dict[str, Any]]:
    """Alerts active on ``as_of`` in the state they had then: opened before ``day_end(as_of)`` and
    not resolved before the day began. ``state`` is 'resolved' only when ``resolved_at`` falls
    before the cutoff (a later resolution is not known on that day, and ``resolved_at`` is then
    None). Most severe first, new first."""
    if "alerts" not in _have(con, have):
        return []
    cutoff, day_start = day_end(as_of), day_end(as_of - timedelta(days=1))
    rows = _rows(
        con,
        """
        WITH known AS (
            SELECT *, resolved_at IS NOT NULL AND resolved_at < $cutoff AS resolved_by_then FROM alerts
            WHERE first_seen_at < $cutoff AND (resolved_at IS NULL OR resolved_at >= $day_start)
        )
        SELECT rule, key, severity, message, first_seen_at, least(last_seen_at, $cutoff) AS last_seen_at,
               CASE WHEN resolved_by_then THEN 'resolved' ELSE 'open' END AS state,
               CASE WHEN resolved_by_then THEN resolved_at END AS resolved_at,
               first_seen_at >= $day_start AS is_new,
               resolved_by_then AS resolved_today
        FROM known
        """,
        {"cutoff": cutoff, "day_start": day_start},  # type: ignore[arg-type]
    )
    return sorted(rows, key=lambda r: (SEVERITY_ORDER.get(r["severity"], 9), not r["is_new"], r["resolved_today"],
                                       r["rule"], r["key"]))


def source_health(con: duckdb.DuckDBPyConnection, as_of: date, have: set[str] | None = None) -> list[dict[str, Any]]:
    """Per source: last fetch by ``as_of``, its outcome, the last good load and failures that day."""
    if "fetch_log" not in _have(con, have):
        return []
    return _rows(
        con,
        """
        SELECT source,
               max(fetched_at) AS last_fetch,
               arg_max(outcome, fetched_at) AS last_outcome,
               max(observed_at) FILTER (WHERE outcome IN ('ok', 'empty')) AS last_ok,
               count(*) FILTER (WHERE outcome NOT IN ('ok', 'empty')
                                AND CAST(fetched_at AS DATE) = CAST(? AS DATE)) AS failures_today,
               arg_max(error, fetched_at) AS last_error
        FROM fetch_log WHERE fetched_at < ?
        GROUP BY source ORDER BY source
        """,
        [as_of, day_end(as_of)],
    )


# ---------------------------------------------------------------- everything the report shows


@dataclass
class ReportData:
    as_of: date
    latest_day: date | None = None  # the newest observation day in the warehouse when built
    gpu_history: list[GpuPoint] = field(default_factory=list)
    gpu_now: list[GpuOffering] = field(default_factory=list)
    cheapest_now: dict[str, GpuOffering] = field(default_factory=dict)
    cheapest_yesterday: dict[str, GpuOffering] = field(default_factory=dict)
    cheapest_30d: dict[str, GpuOffering] = field(default_factory=dict)
    tokens_now: list[TokenQuote] = field(default_factory=list)
    tokens_30d: dict[tuple, float] = field(default_factory=dict)
    token_history: list[TokenPoint] = field(default_factory=list)
    changes: list[ChangeSet] = field(default_factory=list)
    scenario_day: date | None = None
    scenarios: list[ScenarioSummary] = field(default_factory=list)
    lifecycle: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # sections that could not be read

    @property
    def training_now(self) -> list[TokenQuote]:
        return [q for q in self.tokens_now if q.price_kind == TRAINING_KIND]

    @property
    def is_latest(self) -> bool:
        """True when this is the report of the newest data (what ``latest.html`` should show)."""
        return self.latest_day is None or self.as_of >= self.latest_day

    @property
    def is_empty(self) -> bool:
        return not (self.gpu_now or self.tokens_now or self.lifecycle or self.scenarios or self.alerts)


def load_report_data(con: duckdb.DuckDBPyConnection, as_of: date, latest_day: date | None = None,
                     customer_profile: str | None = None) -> ReportData:
    """Everything the report shows, each snapshot queried once. A section whose query fails is left
    empty and named in ``problems``."""
    data = ReportData(as_of=as_of, latest_day=latest_day)
    have = existing_relations(con)
    then_gpu: dict[int, list[GpuOffering]] = {n: [] for n in CHANGE_DAYS}
    then_tokens: dict[int, list[TokenQuote]] = {n: [] for n in CHANGE_DAYS}
    all_events: list[dict[str, Any]] = []

    def attempt(section: str, fill) -> None:  # type: ignore[no-untyped-def]
        try:
            fill()
        except duckdb.Error as exc:
            data.problems.append(f"{section}: {str(exc).splitlines()[0]}")

    def gpu() -> None:
        data.gpu_history = gpu_daily_history(con, as_of, have=have)
        data.gpu_now = gpu_snapshot(con, as_of, have)
        for n in CHANGE_DAYS:
            then_gpu[n] = gpu_snapshot(con, as_of - timedelta(days=n), have)
        data.cheapest_now = cheapest_by_gpu(data.gpu_now)
        data.cheapest_yesterday = cheapest_by_gpu(then_gpu[1])
        data.cheapest_30d = cheapest_by_gpu(then_gpu[30])

    def tokens() -> None:
        data.tokens_now = token_snapshot(con, as_of, have=have)
        for n in CHANGE_DAYS:
            then_tokens[n] = token_snapshot(con, as_of - timedelta(days=n), have=have)
        data.tokens_30d = {q.key: q.usd for q in then_tokens[30] if q.price_kind == TRAINING_KIND}
        data.token_history = token_history(con, as_of, have=have)

    def lifecycle() -> None:
        all_events[:] = lifecycle_events(con, as_of, lookback_days=None, have=have)
        since = as_of - timedelta(days=LIFECYCLE_LOOKBACK_DAYS)
        data.lifecycle = [e for e in all_events if e["effective_date"] is None or e["effective_date"] >= since]

    def changes() -> None:
        data.changes = [change_set(as_of - timedelta(days=n), then_gpu[n], then_tokens[n],
                                   data.gpu_now, data.tokens_now, all_events) for n in CHANGE_DAYS]

    def scenarios() -> None:
        data.scenario_day, data.scenarios = scenario_catalogue(con, as_of, have, customer_profile)

    def alerts() -> None:
        data.alerts = alerts_for_day(con, as_of, have)

    def sources() -> None:
        data.sources = source_health(con, as_of, have)

    for name, fill in (("GPU prices", gpu), ("token prices", tokens), ("lifecycle", lifecycle),
                       ("changes", changes), ("scenarios", scenarios), ("alerts", alerts),
                       ("sources", sources)):
        attempt(name, fill)
    return data
