"""What the cost commands ask of the engine, as functions over an open warehouse connection.

* ``pricing_day``: which day's prices and which day's lifecycle ("today is today": without
  ``--as-of`` prices are the newest observation day's, lifecycle is judged on the real date, and
  events are those known now; with ``--as-of D`` both are D, still with every event known now).
* ``freshness_warning``: the one-line warning that starts any output built on prices older than
  the freshness limit, naming the newest observation date per source kind.
* ``scenario_table``: each scenario's cheapest route with its 7/30-day change, read from the one
  home of that concept, the ``scenario_cost_trend_of`` macro (warehouse/semantic/50_costs.sql):
  stored days from the ``scenario_cost_trend`` view, a day priced on the fly through the same
  macro over the stored history plus the new rows.
* ``estimate``: an ad-hoc fine-tune on any routes (patterns included), cheapest by the same macro.
* ``apply_overrides``: what-if prices (``--price-override``).
"""
from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import Any

import duckdb

from core import money
from core.clock import utcnow
from cost_engine.catalogue import Catalogue, Scenario
from cost_engine.gpus import GPU_SPECS
from cost_engine.loader import latest_repriced_date, load_snapshot, newest_observations, read_scenario_costs, rows_table
from cost_engine.pricing import STATUSES, RouteEstimate, price_catalogue, price_scenario
from cost_engine.reprice import estimate_rows
from cost_engine.routes import RouteError, RoutePattern, parse_pattern, resolve_gpu
from cost_engine.snapshot import GpuPrice, PriceSnapshot, TokenObs, model_matches
from scrapers.records import MAX_PLAUSIBLE_USD_PER_GPU_HOUR
from warehouse.asof import day_end, latest_observation_date
from warehouse.policy import SOURCE_KINDS, Policy, PolicyError

KNOWN_NOW = datetime(9999, 12, 31)       # events first seen before this: every event known today
MAX_TOKEN_PRICE = 10_000.0               # USD per 1M tokens, the ceiling of a what-if price
OVERRIDE = "override"
_ADHOC = "_pricewatch_adhoc_costs"
_WITH_ADHOC = "_pricewatch_costs_with_adhoc"


@dataclass(frozen=True)
class PricingDay:
    price_day: date           # prices as of the end of this day
    lifecycle_day: date       # lifecycle events judged on this day
    explicit: bool            # --as-of was given
    today: date

    @property
    def reference_day(self) -> date:
        """The day the freshness warning is judged on: today, or the --as-of day."""
        return self.price_day if self.explicit else self.today


def pricing_day(con: duckdb.DuckDBPyConnection, as_of: date | None, today: date | None = None) -> PricingDay | None:
    """None when the warehouse has no observation and no day was given."""
    today = today or utcnow().date()
    if as_of is not None:
        return PricingDay(as_of, as_of, True, today)
    latest = latest_observation_date(con)
    if latest is None:
        return None
    return PricingDay(latest, max(today, latest), False, today)


def freshness_warning(con: duckdb.DuckDBPyConnection, day: PricingDay, policy: Policy) -> str | None:
    """One line when any source kind's newest price (up to the priced day) is older than its
    maximum age on the reference day; it names the newest observation date of every kind."""
    newest: dict[str, datetime] = {}
    for source, at, gpu in newest_observations(con, day_end(day.price_day)):
        kind = policy.source_kind(source, gpu=gpu)
        newest[kind] = max(newest.get(kind, at), at)
    parts, over = [], False
    for kind in SOURCE_KINDS:
        if kind not in newest:
            continue
        age = (day.reference_day - newest[kind].date()).days
        limit = policy.max_age_days[kind]
        over = over or age > limit
        parts.append(f"{kind} {newest[kind].date()} ({age} d {'>' if age > limit else '<='} {limit})")
    if not over:
        return None
    return (f"warning: prices older than the freshness limit on {day.reference_day}; newest per source kind: "
            f"{', '.join(parts)}. Stale prices are shown, never used as the cheapest; run `pricewatch run` to refresh")


# ---------------------------------------------------------------- what-if prices


@dataclass(frozen=True)
class Override:
    text: str
    kind: str                 # gpu | hosted
    usd: float
    gpus: tuple[str, ...] = ()
    provider: str | None = None
    model: str | None = None


def parse_override(text: str) -> Override:
    """``gpu:<GPU or alias>[:<provider>]=USD_PER_GPU_HOUR`` or ``hosted:<provider>[:<model>]=USD_PER_1M``."""
    target, sep, value = text.rpartition("=")
    try:
        usd = float(value)
    except ValueError:
        usd = math.nan
    head = target.split(":")[0].strip().lower()
    limit = MAX_PLAUSIBLE_USD_PER_GPU_HOUR if head == "gpu" else MAX_TOKEN_PRICE
    if not sep or not math.isfinite(usd) or not 0 < usd <= limit:
        raise PolicyError(f"price override {text!r} must be ROUTE=USD with USD above 0 and at most {limit:g}, "
                          f"e.g. 'gpu:H100 SXM 80GB=1.80' or 'hosted:openai:gpt-4o-mini=2.5'")
    parts = [p.strip() for p in target.split(":")]
    if head == "gpu" and len(parts) in (2, 3):
        gpus = resolve_gpu(parts[1])
        if not gpus:
            raise PolicyError(f"price override {text!r}: unknown GPU {parts[1]!r}; use a canonical name or an "
                              f"alias such as H100, A100-80G, 4090")
        return Override(text, "gpu", usd, gpus=gpus, provider=parts[2] if len(parts) == 3 and parts[2] else None)
    if head == "hosted" and len(parts) in (2, 3) and parts[1]:
        return Override(text, "hosted", usd, provider=parts[1].lower(), model=parts[2] if len(parts) == 3 else None)
    raise PolicyError(f"price override {text!r} must be gpu:<GPU>[:<provider>]=USD or hosted:<provider>[:<model>]=USD")


def apply_overrides(snap: PriceSnapshot, overrides: Iterable[Override]) -> PriceSnapshot:
    """A copy of the snapshot with each override's prices replacing the observed ones, observed on
    the priced day (usable) and marked as a what-if (source ``override``, basis "what-if override").
    A GPU override is a per-GPU price for an instance of any size (up to 64 GPUs)."""
    at = datetime.combine(snap.as_of, time(12))
    gpu, tokens = list(snap.gpu), list(snap.tokens)
    pods = dict(snap.policy.per_gpu_pods)
    for o in overrides:
        if o.kind == "gpu":
            gpu = [p for p in gpu if not (p.gpu_model in o.gpus and o.provider in (None, p.provider))]
            gpu += [GpuPrice(OVERRIDE, f"{o.text}|{name}", name, 1, "on_demand", o.usd, at) for name in o.gpus]
            pods[OVERRIDE] = 64
            continue
        hit = [t for t in tokens if t.provider == o.provider and t.price_kind == "training_per_1m_tokens"
               and (o.model is None or model_matches(o.model, t.model))]
        tokens = [t for t in tokens if t not in hit]
        if hit:
            tokens += [replace(t, usd=o.usd, source=OVERRIDE, observed_at=at, fetch_url=None) for t in hit]
        else:
            tokens += [TokenObs(o.provider or "", o.model or "", method, "training_per_1m_tokens", o.usd, OVERRIDE, at)
                       for method in ("sft_lora", "sft_full")]
    policy = replace(snap.policy, per_gpu_pods=pods)
    return replace(snap, gpu=gpu, tokens=tokens, policy=policy)


# ---------------------------------------------------------------- the one cheapest rule, through SQL


def _register(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> None:
    con.register(_ADHOC, rows_table(rows))


def _unregister(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"DROP VIEW IF EXISTS {_WITH_ADHOC}")
    con.unregister(_ADHOC)


def cheapest_routes(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> dict[str, str | None]:
    """Per scenario, the cheapest route among ``rows`` (scenario_costs-shaped) by ``scenario_cheapest_of``."""
    if not rows:
        return {}
    _register(con, rows)
    try:
        found = con.execute(f"SELECT scenario, cheapest_route FROM scenario_cheapest_of('{_ADHOC}') "
                            "WHERE layer = 'total'").fetchall()
    finally:
        con.unregister(_ADHOC)
    return {r[0]: r[1] for r in found}


def _trend_rows(con: duckdb.DuckDBPyConnection, day: date, rows: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """``scenario_cost_trend`` rows (layer total) of ``day``: stored, or ``rows`` over the stored history."""
    if rows is None:
        cursor = con.execute("SELECT * FROM scenario_cost_trend WHERE as_of = ? AND layer = 'total'", [day])
    else:
        _register(con, rows)
        con.execute(f"CREATE OR REPLACE TEMP VIEW {_WITH_ADHOC} AS "
                    f"SELECT as_of, scenario, route, layer, usd_low, usd_mid, usd_high, available, inputs::VARCHAR "
                    f"AS inputs FROM scenario_costs WHERE as_of <> DATE '{day.isoformat()}' "
                    f"UNION ALL SELECT as_of, scenario, route, layer, usd_low, usd_mid, usd_high, available, inputs "
                    f"FROM {_ADHOC}")
        try:
            cursor = con.execute(f"SELECT * FROM scenario_cost_trend_of('{_WITH_ADHOC}') "
                                 "WHERE as_of = ? AND layer = 'total'", [day])
            return _dicts(cursor)
        finally:
            _unregister(con)
    return _dicts(cursor)


def _dicts(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


@contextmanager
def costs_relation(con: duckdb.DuckDBPyConnection, day: date, customer_profile: str | None = None) -> Iterator[str]:
    """The name of a relation shaped like scenario_costs for reading ``day``: the stored table, or,
    when ``customer_profile`` differs from the profile the day was stored for, the stored history
    with ``day`` repriced for that profile (prices and events as known that day, as stored rows are).
    Used by ``pricewatch report --customer-profile``."""
    row = con.execute("SELECT inputs FROM scenario_costs WHERE as_of = ? AND layer = 'total' LIMIT 1", [day]).fetchone()
    stored = (json.loads(row[0]) if row and isinstance(row[0], str) else (row[0] if row else None)) or {}
    if customer_profile is None or row is None or stored.get("customer_profile") == customer_profile:
        yield "scenario_costs"
        return
    from cost_engine.catalogue import load_catalogue
    from warehouse.policy import load_policy

    policy = load_policy().with_overrides(customer_profile=customer_profile)
    snap = load_snapshot(con, day, policy)
    rows = estimate_rows(price_catalogue(load_catalogue(), snap), day, utcnow())
    _register(con, rows)
    con.execute(f"CREATE OR REPLACE TEMP VIEW {_WITH_ADHOC} AS "
                f"SELECT as_of, scenario, route, layer, usd_low, usd_mid, usd_high, available, reason, "
                f"inputs::VARCHAR AS inputs FROM scenario_costs WHERE as_of <> DATE '{day.isoformat()}' "
                f"UNION ALL SELECT as_of, scenario, route, layer, usd_low, usd_mid, usd_high, available, reason, "
                f"inputs FROM {_ADHOC}")
    try:
        yield _WITH_ADHOC
    finally:
        _unregister(con)


# ---------------------------------------------------------------- scenarios


@dataclass
class ScenarioTable:
    day: PricingDay
    stored: bool
    note: str | None
    lines: list[dict[str, Any]]
    routes: list[dict[str, Any]] = field(default_factory=list)   # every route row of the day (all layers)


def _stored_matches(con: duckdb.DuckDBPyConnection, day: PricingDay, catalogue: Catalogue, policy: Policy) -> bool:
    row = con.execute("SELECT inputs FROM scenario_costs WHERE as_of = ? AND layer = 'total' LIMIT 1",
                      [day.price_day]).fetchone()
    if row is None:
        return False
    inputs = json.loads(row[0]) if isinstance(row[0], str) else (row[0] or {})
    later_events = con.execute("SELECT count(*) FROM lifecycle_events WHERE first_seen_at >= ?",
                               [day_end(day.price_day)]).fetchone()
    return (inputs.get("lifecycle_date") == day.lifecycle_day.isoformat()
            and inputs.get("customer_profile") == policy.customer_profile
            and inputs.get("catalogue_version") == catalogue.version
            and inputs.get("max_price_age_days") == dict(policy.max_age_days)
            and later_events is not None and later_events[0] == 0)


def _no_route_reason(totals: list[dict[str, Any]]) -> str:
    counts = {s: 0 for s in STATUSES}
    for r in totals:
        counts[(r["inputs"] or {}).get("status") or ("available" if r["available"] else "unavailable")] += 1
    stale = [r for r in totals if (r["inputs"] or {}).get("status") == "stale" and r["usd_mid"] is not None]
    parts = [f"{n} {s}" for s, n in counts.items() if n]
    text = "no usable route: " + ", ".join(parts)
    if stale:
        best = min(stale, key=lambda r: (r["usd_mid"], r["route"]))
        text += f" (cheapest on stale prices: {best['route']} {money.usd(best['usd_mid'])})"
    return text


def scenario_table(con: duckdb.DuckDBPyConnection, catalogue: Catalogue, policy: Policy,
                   day: PricingDay) -> ScenarioTable:
    """Each catalogue scenario's cheapest route on ``day`` with its 7/30-day change."""
    stored = _stored_matches(con, day, catalogue, policy)
    note = None
    if stored:
        rows = read_scenario_costs(con, day.price_day)
        trend = _trend_rows(con, day.price_day, None)
    else:
        snap = load_snapshot(con, day.price_day, policy, lifecycle_date=day.lifecycle_day, events_known_at=KNOWN_NOW)
        rows = estimate_rows(price_catalogue(catalogue, snap), day.price_day, utcnow())
        for r in rows:
            r["inputs"] = json.loads(json.dumps(r["inputs"], default=str))
        trend = _trend_rows(con, day.price_day, rows)
        repriced = latest_repriced_date(con)
        note = (f"note: priced on the fly (prices of {day.price_day}, lifecycle judged on {day.lifecycle_day}, "
                f"every lifecycle event known today, customer profile {policy.customer_profile}); stored rows "
                f"are what was known on their day" + (f" (newest stored: {repriced})" if repriced else ""))
    by_scenario = {t["scenario"]: t for t in trend}
    lines = []
    for s in catalogue.scenarios:
        t = by_scenario.get(s.name, {})
        totals = [r for r in rows if r["scenario"] == s.name and r["layer"] == "total"]
        best = next((r for r in totals if r["route"] == t.get("cheapest_route")), None)
        lines.append({
            "scenario": s.name, "as_of": day.price_day.isoformat(), "cheapest_route": t.get("cheapest_route"),
            "usd_low": t.get("usd_low"), "usd_mid": t.get("usd_mid"), "usd_high": t.get("usd_high"),
            "routes_available": f"{t.get('available_routes') or 0}/{len(totals)}",
            "change_7d_pct": t.get("change_7d_pct"), "change_30d_pct": t.get("change_30d_pct"),
            "mid_7d_ago": t.get("usd_mid_7d_ago"), "mid_30d_ago": t.get("usd_mid_30d_ago"),
            "usd_per_hour": t.get("usd_per_hour"), "effective_usd_per_gpu_hour": t.get("effective_usd_per_gpu_hour"),
            "basis": t.get("basis"), "observed_at": t.get("observed_at"),
            "provenance": (best["inputs"] or {}).get("provenance", []) if best else [],
            "reason": best["reason"] if best else _no_route_reason(totals),
        })
    return ScenarioTable(day, stored, note, lines, rows)


# ---------------------------------------------------------------- estimate


@dataclass
class EstimateRequest:
    params: float
    method: str
    examples: int
    tokens_per_example: float
    epochs: float
    runs: int
    seq_len: int
    routes: list[str]
    overrides: list[str] = field(default_factory=list)
    min_ram_gb: float | None = None     # instance needs (Scenario.min_ram_gb / min_disk_gb)
    min_disk_gb: float | None = None


def parse_routes(texts: list[str]) -> list[RoutePattern]:
    """Every route string, or the first bad one's ``RouteError``."""
    return [parse_pattern(t) for t in texts]


_ORDER = {s: i for i, s in enumerate(("available", "stale", "unpriced", "unavailable"))}


def route_sort_key(e: RouteEstimate) -> tuple:
    """Display order: usable routes first, each group cheapest first (by total mid), then by name."""
    mid = e.total.mid if e.total is not None else math.inf
    return (_ORDER[e.status], mid, e.route)


def gpus_without_spec(snap: PriceSnapshot) -> list[str]:
    """Canonical GPU models offered (usable prices) that the engine cannot price for lack of a
    compute spec (``cost_engine.gpus.UNSPECIFIED`` and any other), sorted."""
    return sorted({p.gpu_model for p in snap.gpu if p.gpu_model not in GPU_SPECS and snap.gpu_usable(p)})


def estimate(con: duckdb.DuckDBPyConnection, catalogue: Catalogue, policy: Policy, day: PricingDay,
             request: EstimateRequest, notes: list[str] | None = None) -> list[RouteEstimate]:
    """Price an ad-hoc fine-tune on its routes, sorted (``route_sort_key``), the cheapest marked by
    the one cheapest rule, and every closed route told the cheapest open one. For a pattern over
    every GPU (``all``, ``gpu:any``), ``notes`` receives a line naming the offered GPUs that have no
    compute spec, so they are not dropped silently."""
    patterns = parse_routes(request.routes)
    overrides = [parse_override(o) for o in request.overrides]
    scenario = Scenario(name="estimate", params=request.params, method=request.method, examples=request.examples,
                        tokens_per_example=request.tokens_per_example, epochs=request.epochs, runs=request.runs,
                        seq_len=request.seq_len, routes=[], min_ram_gb=request.min_ram_gb,
                        min_disk_gb=request.min_disk_gb)
    snap = load_snapshot(con, day.price_day, policy, lifecycle_date=day.lifecycle_day, events_known_at=KNOWN_NOW)
    snap = apply_overrides(snap, overrides)
    unspecced = gpus_without_spec(snap)
    if notes is not None and unspecced and any(p.kind == "all" or len(p.gpus) == len(GPU_SPECS) for p in patterns):
        notes.append(f"note: offered but not priced (no compute spec in cost_engine/gpus.py): {', '.join(unspecced)}")
    estimates = price_scenario(scenario, catalogue, snap, patterns=patterns, detail=True)
    rows = estimate_rows(estimates, day.price_day, utcnow())
    best = cheapest_routes(con, [r for r in rows if r["layer"] == "total"]).get(scenario.name)
    for e in estimates:
        e.cheapest = e.route == best
    cheapest = next((e for e in estimates if e.cheapest), None)
    if cheapest is not None and cheapest.total is not None:
        for e in estimates:
            if e.status == "unavailable":
                e.reasons.append(f"cheapest open route: {cheapest.route} ({money.usd(cheapest.total.mid)})")
    return sorted(estimates, key=route_sort_key)


__all__ = ["KNOWN_NOW", "PricingDay", "pricing_day", "freshness_warning", "scenario_table", "estimate",
           "EstimateRequest", "parse_override", "apply_overrides", "cheapest_routes", "RouteError", "gpus_without_spec",
           "route_sort_key"]
