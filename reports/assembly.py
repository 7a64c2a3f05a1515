"""Everything the report shows, gathered once: ``load_report_data``.

Each section is filled by its own function from the queries (``reports.queries``) and the
comparisons (``reports.comparisons``). A section whose query fails is left empty and named in
``ReportData.problems``; the other sections still fill.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import duckdb

from cost_engine.service import PricingDay, costs_relation, freshness_warning
from reports import queries
from reports.comparisons import SCENARIO_CHANGE_DAYS, change_set, scenario_summaries
from reports.model import (
    LIFECYCLE_LOOKBACK_DAYS,
    TRAINING_KIND,
    GpuOffering,
    ReportData,
    ScenarioSummary,
    TokenQuote,
    cheapest_by_gpu,
)
from warehouse.policy import Policy, default_policy

CHANGE_DAYS = (1, 30)  # the headline compares with these many days before the report day


def scenario_catalogue(con: duckdb.DuckDBPyConnection, as_of: date, have: set[str] | None = None,
                       customer_profile: str | None = None) -> tuple[date | None, list[ScenarioSummary]]:
    """The latest repricing at or before ``as_of`` (layer 'total'). Each scenario's cheapest route and
    its cost 7 and 30 days before come from the one home of that concept, the scenario cost trend
    (``scenario_cost_trend_of``, warehouse/semantic/50_costs.sql), with the hourly price charged and
    its basis. ``customer_profile`` other than the stored one reprices that day for it."""
    if "scenario_costs" not in (queries.existing_relations(con) if have is None else have):
        return None, []
    day = queries.scenario_day(con, as_of)
    if day is None:
        return None, []
    with costs_relation(con, day, customer_profile) as rel:
        now = queries.route_costs(con, day, rel)
        trend = queries.scenario_trend(con, day, rel)
    before = {n: queries.route_costs(con, queries.scenario_day(con, day - timedelta(days=n)))
              for n in SCENARIO_CHANGE_DAYS}
    return day, scenario_summaries(now, before, trend)


@dataclass
class _Build:
    """One report build: its inputs, the data being filled, and what sections share."""

    con: duckdb.DuckDBPyConnection
    data: ReportData
    have: set[str]
    customer_profile: str | None = None
    policy: Policy | None = None
    today: date | None = None   # None: the report day was asked for (--as-of); prices are judged on it
    then_gpu: dict[int, list[GpuOffering]] = field(default_factory=lambda: {n: [] for n in CHANGE_DAYS})
    then_tokens: dict[int, list[TokenQuote]] = field(default_factory=lambda: {n: [] for n in CHANGE_DAYS})
    all_events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def as_of(self) -> date:
        return self.data.as_of

    def day_before(self, days: int) -> date:
        return self.as_of - timedelta(days=days)


def _freshness(b: _Build) -> None:
    """The cost engine's one-line warning when prices are older than the freshness limit (the CLI's
    first line on stderr): judged on today for the report of the newest day ("today is today"),
    on the report day itself for a day asked for."""
    if not {"gpu_observations", "token_observations"} <= b.have:
        return
    explicit = b.today is None
    day = PricingDay(b.as_of, b.as_of, explicit, b.today or b.as_of)
    b.data.freshness_warning = freshness_warning(b.con, day, b.policy or default_policy())


def _gpu(b: _Build) -> None:
    b.data.gpu_history = queries.gpu_daily_history(b.con, b.as_of, have=b.have)
    b.data.gpu_now = queries.gpu_snapshot(b.con, b.as_of, b.have)
    for n in CHANGE_DAYS:
        b.then_gpu[n] = queries.gpu_snapshot(b.con, b.day_before(n), b.have)
    b.data.cheapest_now = cheapest_by_gpu(b.data.gpu_now)
    b.data.cheapest_yesterday = cheapest_by_gpu(b.then_gpu[1])
    b.data.cheapest_30d = cheapest_by_gpu(b.then_gpu[30])


def _tokens(b: _Build) -> None:
    b.data.tokens_now = queries.token_snapshot(b.con, b.as_of, have=b.have)
    for n in CHANGE_DAYS:
        b.then_tokens[n] = queries.token_snapshot(b.con, b.day_before(n), have=b.have)
    b.data.tokens_30d = {q.key: q.usd for q in b.then_tokens[30] if q.price_kind == TRAINING_KIND}
    b.data.token_history = queries.token_history(b.con, b.as_of, have=b.have)


def _lifecycle(b: _Build) -> None:
    b.all_events = queries.lifecycle_events(b.con, b.as_of, lookback_days=None, have=b.have)
    since = b.day_before(LIFECYCLE_LOOKBACK_DAYS)
    b.data.lifecycle = [e for e in b.all_events if e["effective_date"] is None or e["effective_date"] >= since]


def _changes(b: _Build) -> None:
    b.data.changes = [change_set(b.day_before(n), b.then_gpu[n], b.then_tokens[n],
                                 b.data.gpu_now, b.data.tokens_now, b.all_events) for n in CHANGE_DAYS]


def _scenarios(b: _Build) -> None:
    b.data.scenario_day, b.data.scenarios = scenario_catalogue(b.con, b.as_of, b.have, b.customer_profile)


def _alerts(b: _Build) -> None:
    b.data.alerts = queries.alerts_for_day(b.con, b.as_of, b.have)


def _sources(b: _Build) -> None:
    b.data.sources = queries.source_health(b.con, b.as_of, b.have)


# In this order: the changes compare the snapshots the GPU, token and lifecycle sections read.
SECTIONS: tuple[tuple[str, Callable[[_Build], None]], ...] = (
    ("freshness", _freshness), ("GPU prices", _gpu), ("token prices", _tokens), ("lifecycle", _lifecycle),
    ("changes", _changes), ("scenarios", _scenarios), ("alerts", _alerts), ("sources", _sources),
)


def load_report_data(con: duckdb.DuckDBPyConnection, as_of: date, latest_day: date | None = None,
                     customer_profile: str | None = None, *, policy: Policy | None = None,
                     today: date | None = None) -> ReportData:
    """Everything the report shows, each snapshot queried once. A section whose query fails is left
    empty and named in ``problems``. ``policy`` (default: the bundled one) sets the freshness limit
    of the warning; ``today`` is the day it is judged on for the report of the newest day (None:
    the report day was asked for, and is judged on itself)."""
    build = _Build(con, ReportData(as_of=as_of, latest_day=latest_day), queries.existing_relations(con),
                   customer_profile, policy, today)
    for name, fill in SECTIONS:
        try:
            fill(build)
        except duckdb.Error as exc:
            build.data.problems.append(f"{name}: {str(exc).splitlines()[0]}")
    return build.data
