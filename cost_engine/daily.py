"""Daily repricing step (called by the daily run after prices are loaded).

scenario_costs are dated by observation days, not by the wall clock. The run reprices the day of
the newest observation in the warehouse (always: its prices may have changed since an earlier
run that day) and every other day of the ``CATCH_UP_DAYS``-day window ending there,
``(latest − 30, latest]``, that has no scenario_costs rows yet (never a day before the first
observation). A gap is found wherever it is, not only after the newest repriced day, so a
backfilled later day cannot hide a missed earlier one. A replayed history is therefore priced on
its own dates, and a day on which nothing could be fetched adds no rows dated today.
"""
from __future__ import annotations

from datetime import timedelta

from core.settings import Settings
from cost_engine.catalogue import load_catalogue
from cost_engine.loader import first_observation_date, unpriced_days
from cost_engine.reprice import reprice
from warehouse.asof import latest_observation_date
from warehouse.db import write_connection
from warehouse.policy import Policy, load_policy

CATCH_UP_DAYS = 30
NOTHING_TO_PRICE = "no price observations in the warehouse yet; nothing to price, nothing repriced"


def reprice_latest(settings: Settings, policy: Policy | None = None) -> str:
    catalogue = load_catalogue()
    policy = policy or load_policy(settings)
    with write_connection(settings.db_path) as con:
        latest = latest_observation_date(con)
        if latest is None:
            return NOTHING_TO_PRICE
        start = latest - timedelta(days=CATCH_UP_DAYS - 1)
        first = first_observation_date(con)
        if first is not None:
            start = max(start, first)
        missed = unpriced_days(con, start, latest - timedelta(days=1))
        summaries = [reprice(con, day, catalogue, policy=policy) for day in missed + [latest]]
    last = summaries[-1]
    extra = f" (and {len(missed)} missed day(s), {missed[0]} to {missed[-1]})" if missed else ""
    return f"repriced catalogue v{catalogue.version} as of {last.line()}{extra}"
