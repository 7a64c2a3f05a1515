"""Scenario cost drift, evaluated incrementally: each scenario and cost layer is a series of
stored days (its cheapest usable route and that route's cost: ``scenario_cheapest_of``, the one
cheapest rule of warehouse/semantic/50_costs.sql), folded one day at a time.

Scenario alerts follow prices, not preferences (issue #11 item 3): a cost change alert names the
price observations that moved beneath it (``cost_engine.changes.like_for_like``); a change of the
preferred route with no price move beneath it is a route change, never a cost change.

The state carried from one evaluation to the next (``ScenarioState``, saved in ``drift_state``):
each series' previous day and each cost rule's reference day and route; a fingerprint of every
stored day (row count, newest ``computed_at``, a hash of the costs); the newest evaluated day and
the series as they stood before it. A run reads only the days whose fingerprint changed or is new:

* new days after the newest evaluated one: folded onto the saved series;
* the newest evaluated day repriced again (the daily run always reprices its newest day): folded
  again, with the days after it, onto the series as they stood before it;
* anything else (an earlier day repriced or filled in, a day deleted, no saved state, changed
  rules): every day is read again (``whole``), as a full evaluation does.

Either way the alerts are the ones the whole history gives (tests/drift/test_incremental.py).
"""
from __future__ import annotations

import copy
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb

from cost_engine.changes import LikeForLike, RouteDay, like_for_like
from drift.detect_prices import change_alert
from drift.model import Alert, day_start, iso, money, pct_text, pct_value
from drift.rules import Rule, RuleSet
from drift.series import Change

# One fingerprint per stored day: a day repriced (rows replaced) or edited gets a new one.
DAYS_SQL = """
SELECT as_of, count(*), max(computed_at), bit_xor(hash(scenario, route, layer, usd_mid, available))
FROM scenario_costs GROUP BY as_of ORDER BY as_of
"""
# The relation the cheapest rule reads for days from a given day on (a temp view: the rule is
# per day, so the days read alone give the rows the whole table gives for them).
DAYS_VIEW = "_drift_scenario_days"
# The cheapest route per scenario, layer and stored day of `rel`: the one home of that concept.
# Days with no usable route are left out.
TREND_SQL = """
SELECT scenario, layer, as_of, cheapest_route, usd_mid FROM scenario_cheapest_of('{rel}')
WHERE cheapest_route IS NOT NULL AND usd_mid IS NOT NULL ORDER BY scenario, layer, as_of
"""
# The stored days of the (scenario, route)s in `_drift_routes` from day $start on (every day when
# NULL) and on the $also days: their layers, whether usable, and the total row's inputs
# (provenance and catalogue version).
ROUTE_DAYS_SQL = """
SELECT c.scenario, c.as_of, c.route, c.layer, c.usd_mid, c.available,
       CASE WHEN c.layer = 'total' THEN c.inputs END AS inputs
FROM scenario_costs c JOIN _drift_routes n ON c.scenario = n.scenario AND c.route = n.route
WHERE $start::DATE IS NULL OR c.as_of >= $start::DATE OR list_contains($also::DATE[], c.as_of)
"""

RouteDays = dict[tuple[str, date], dict[str, RouteDay]]   # (scenario, as_of) -> route -> its day
TrendDay = tuple[date, str, float]                         # (as_of, cheapest route, its cost)
_SEP = "\x1f"


# ---------------------------------------------------------------- one series


@dataclass
class Series:
    """One scenario and cost layer, after the days folded so far."""

    last: TrendDay | None = None   # the previous day with a usable route (route changes)
    refs: dict[str, tuple[date, str]] = field(default_factory=dict)   # cost rule -> reference (day, route)

    def to_json(self) -> dict[str, Any]:
        return {"last": None if self.last is None else [self.last[0].isoformat(), self.last[1], self.last[2]],
                "refs": {r: [d.isoformat(), route] for r, (d, route) in self.refs.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Series:
        last = data["last"]
        return cls(None if last is None else (date.fromisoformat(last[0]), last[1], float(last[2])),
                   {r: (date.fromisoformat(d), route) for r, (d, route) in data["refs"].items()})


def _moves_text(lfl: LikeForLike) -> str:
    return "; ".join(f"{m.label} {money(m.old)} → {money(m.new)} ({pct_text(m.pct)})" for m in lfl.moves)


def _cost_alert(rule: Rule, scenario: str, layer: str, day: date, ref_day: date, lfl: LikeForLike) -> Alert:
    ch = Change(day_start(day), lfl.old, lfl.new, day_start(ref_day))
    evidence = {"scenario": scenario, "layer": layer, "old_route": lfl.old_route, "new_route": lfl.new_route,
                "moved_prices": [{"price": m.label, "old": m.old, "new": m.new, "pct": pct_value(m.pct)}
                                 for m in lfl.moves],
                "largest_price_move_pct": pct_value(lfl.largest_move_pct)}
    alert = change_alert(rule, f"{scenario}|{layer}", f"scenario {scenario} ({layer}), cheapest like-for-like",
                         "", ch, evidence)
    alert.message += f"; prices that moved: {_moves_text(lfl)}"
    return alert


def _cost_step(rule: Rule, series: Series, scenario: str, layer: str, today: TrendDay,
               route_days: RouteDays) -> Alert | None:
    """A move of the scenario's cost that prices explain (``like_for_like``) of at least the
    threshold, from a reference day: the first, then the day of the last alert. A day with no route
    comparable with the reference day (the preferred offer changed with no price beneath it)
    becomes the new reference without an alert; the route-change rule reports the switch."""
    day, route, _ = today
    ref = series.refs.get(rule.name)
    if ref is None:
        series.refs[rule.name] = (day, route)
        return None
    ref_day, ref_route = ref
    lfl = like_for_like(route_days.get((scenario, ref_day), {}), route_days.get((scenario, day), {}),
                        {ref_route, route}, layer)
    if lfl is None:
        series.refs[rule.name] = (day, route)
        return None
    if not lfl.moves or abs(lfl.pct) < rule.threshold_pct - 1e-9:
        return None
    series.refs[rule.name] = (day, route)
    if rule.direction == "any" or (lfl.pct < 0) == (rule.direction == "down"):
        return _cost_alert(rule, scenario, layer, day, ref_day, lfl)
    return None


def _why_switched(old_route: str, old_day: RouteDay | None, old_usd: float) -> str:
    if old_day is None:
        return f"{old_route} is no longer priced"
    if not old_day.available:
        return f"{old_route} is no longer usable"
    total = old_day.layers.get("total")
    if total is not None and total != old_usd:
        return f"{old_route} now costs {money(total)}"
    return f"{old_route} unchanged"


def _route_alert(rule: Rule, scenario: str, layer: str, before: TrendDay, today: TrendDay,
                 route_days: RouteDays) -> Alert:
    (_, old_route, old_usd), (day, route, usd) = before, today
    at = day_start(day)
    why = _why_switched(old_route, route_days.get((scenario, day), {}).get(old_route), old_usd)
    return Alert(
        rule=rule.name, key=f"{scenario}|{layer}", severity=rule.severity, first_seen_at=at, trigger=iso(at),
        message=(f"scenario {scenario} ({layer}): cheapest route is now {route} at {money(usd)} "
                 f"(was {old_route} at {money(old_usd)}; {why})"),
        evidence={"scenario": scenario, "layer": layer, "old_route": old_route, "new_route": route,
                  "old_usd": old_usd, "new_usd": usd, "why": why})


def fold_day(series: Series, scenario: str, layer: str, today: TrendDay, rules: list[Rule],
             route_days: RouteDays) -> list[Alert]:
    """Fold one stored day into the series (rules: the cost and route rules matching it)."""
    alerts: list[Alert] = []
    for rule in rules:
        if rule.type == "scenario_route_change":
            if series.last is not None and today[1] != series.last[1]:
                alerts.append(_route_alert(rule, scenario, layer, series.last, today, route_days))
        elif (alert := _cost_step(rule, series, scenario, layer, today, route_days)) is not None:
            alerts.append(alert)
    series.last = today
    return alerts


# ---------------------------------------------------------------- the carried state


@dataclass
class ScenarioState:
    days: dict[str, str] = field(default_factory=dict)        # stored day -> fingerprint
    last_day: date | None = None                              # the newest evaluated day
    series: dict[str, Series] = field(default_factory=dict)   # "scenario<US>layer" -> after every day
    before_last: dict[str, Series] = field(default_factory=dict)   # ... after every day before last_day

    def to_json(self) -> dict[str, Any]:
        return {"days": self.days, "last_day": self.last_day and self.last_day.isoformat(),
                "series": {k: s.to_json() for k, s in self.series.items()},
                "before_last": {k: s.to_json() for k, s in self.before_last.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScenarioState:
        return cls(dict(data["days"]), data["last_day"] and date.fromisoformat(data["last_day"]),
                   {k: Series.from_json(v) for k, v in data["series"].items()},
                   {k: Series.from_json(v) for k, v in data["before_last"].items()})


@dataclass
class ScenarioEvaluation:
    alerts: list[Alert]   # produced by the days read (a whole evaluation: every alert)
    state: dict[str, Any]   # to save for the next evaluation
    whole: bool   # every day was read
    why_whole: str | None = None


def _fingerprints(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return {d.isoformat(): f"{n}|{newest}|{digest}" for d, n, newest, digest in con.execute(DAYS_SQL).fetchall()}


def _changed_days(saved: ScenarioState, days: dict[str, str]) -> set[str]:
    return {d for d, fp in days.items() if saved.days.get(d) != fp} | (saved.days.keys() - days.keys())


def _resume_point(saved: ScenarioState, changed: set[str], days: dict[str, str]
                  ) -> tuple[date | None, dict[str, Series], str | None]:
    """(the first day to read, the series to fold it onto, None), or (None, {}, why every day is
    read). ``changed``: the days whose fingerprint changed (not empty)."""
    first = date.fromisoformat(min(changed))
    newest = date.fromisoformat(max(days)) if days else None
    if saved.last_day is None or first > saved.last_day:
        return first, saved.series, None   # new days only
    if first == saved.last_day and newest is not None and newest >= first:
        return first, saved.before_last, None   # the newest evaluated day repriced (and maybe new days)
    return None, {}, f"scenario_costs of {first.isoformat()} changed (the newest evaluated day was {saved.last_day})"


def _trend(con: duckdb.DuckDBPyConnection, start: date | None) -> dict[tuple[str, str], list[TrendDay]]:
    if start is None:
        rows = con.execute(TREND_SQL.format(rel="scenario_costs")).fetchall()
    else:
        con.execute(f"CREATE OR REPLACE TEMP VIEW {DAYS_VIEW} AS "
                    f"SELECT * FROM scenario_costs WHERE as_of >= DATE '{start.isoformat()}'")
        try:
            rows = con.execute(TREND_SQL.format(rel=DAYS_VIEW)).fetchall()
        finally:
            con.execute(f"DROP VIEW IF EXISTS {DAYS_VIEW}")
    series: dict[tuple[str, str], list[TrendDay]] = defaultdict(list)
    for scenario, layer, as_of, route, usd in rows:
        series[(scenario, layer)].append((as_of, route, float(usd)))
    return series


def _needed(trend: dict[tuple[str, str], list[TrendDay]], carried: dict[str, Series]
            ) -> tuple[set[tuple[str, str]], set[date]]:
    """What the fold looks at: every route that is or was a cheapest one of a scenario (in the days
    read or the carried state), as (scenario, route), on the days read and the reference days."""
    routes: set[tuple[str, str]] = set()
    ref_days: set[date] = set()
    for (scenario, _), entries in trend.items():
        routes.update((scenario, r) for _, r, _ in entries)
    read = {scenario for scenario, _ in trend}
    for ident, series in carried.items():
        scenario = ident.split(_SEP)[0]
        if scenario not in read:
            continue  # no day read: nothing folded
        if series.last is not None:
            routes.add((scenario, series.last[1]))
        for ref_day, ref_route in series.refs.values():
            ref_days.add(ref_day)
            routes.add((scenario, ref_route))
    return routes, ref_days


def _route_days(con: duckdb.DuckDBPyConnection, routes: set[tuple[str, str]], start: date | None,
                ref_days: set[date]) -> RouteDays:
    import pyarrow as pa

    if not routes:
        return {}
    pairs = sorted(routes)
    con.register("_drift_routes", pa.table({"scenario": pa.array([p[0] for p in pairs], pa.string()),
                                            "route": pa.array([p[1] for p in pairs], pa.string())}))
    try:
        rows = con.execute(ROUTE_DAYS_SQL, {"start": start, "also": sorted(ref_days)}).fetchall()
    finally:
        con.unregister("_drift_routes")
    layers: dict[tuple[str, date, str], dict[str, float | None]] = defaultdict(dict)
    meta: dict[tuple[str, date, str], tuple[bool, Any]] = {}
    for scenario, as_of, route, layer, usd, available, inputs in rows:
        key = (scenario, as_of, route)
        layers[key][layer] = None if usd is None else float(usd)
        if layer == "total":
            meta[key] = (bool(available), json.loads(inputs) if isinstance(inputs, str) else inputs)
    out: RouteDays = defaultdict(dict)
    for (scenario, as_of, route), by_layer in layers.items():
        available, inputs = meta.get((scenario, as_of, route), (False, None))
        out[(scenario, as_of)][route] = RouteDay.from_rows(route, available, by_layer, inputs)
    return out


def _matching(rules: RuleSet, scenario: str, layer: str) -> list[Rule]:
    return [r for r in rules.of_type("scenario_cost_change", "scenario_route_change")
            if r.matches(scenario=scenario, layer=layer)]


def evaluate_scenarios(con: duckdb.DuckDBPyConnection, rules: RuleSet, saved: dict[str, Any] | None = None
                       ) -> ScenarioEvaluation:
    """The scenario alerts of the stored days not yet evaluated (see the module doc); with no
    ``saved`` state (``ScenarioState.to_json``), of every stored day."""
    if not rules.of_type("scenario_cost_change", "scenario_route_change"):
        return ScenarioEvaluation([], {}, True)
    previous = ScenarioState.from_json(saved) if saved else None
    days = _fingerprints(con)
    start: date | None = None
    carried: dict[str, Series] = {}
    why: str | None = None
    if previous is not None:
        changed = _changed_days(previous, days)
        if not changed:
            return ScenarioEvaluation([], saved or {}, False)
        start, carried, why = _resume_point(previous, changed, days)
    newest = date.fromisoformat(max(days)) if days else None
    series = {k: copy.deepcopy(s) for k, s in carried.items()}
    trend = _trend(con, start)
    routes, ref_days = _needed(trend, series)
    route_days = _route_days(con, routes, start, ref_days)
    alerts: list[Alert] = []
    before_newest = {k: copy.deepcopy(s) for k, s in series.items()}
    for (scenario, layer), entries in trend.items():
        ident = f"{scenario}{_SEP}{layer}"
        state = series.setdefault(ident, Series())
        matching = _matching(rules, scenario, layer)
        for entry in entries:
            if entry[0] == newest:
                before_newest[ident] = copy.deepcopy(state)
            alerts += fold_day(state, scenario, layer, entry, matching, route_days)
        if entries[-1][0] != newest:
            before_newest[ident] = copy.deepcopy(state)
    state_out = ScenarioState(days, newest, series, before_newest)
    return ScenarioEvaluation(alerts, state_out.to_json(), start is None, why)


def scenario_alerts(con: duckdb.DuckDBPyConnection, rules: RuleSet) -> list[Alert]:
    """Every scenario alert of the stored history (a whole evaluation)."""
    return evaluate_scenarios(con, rules).alerts
