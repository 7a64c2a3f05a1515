"""Daily repricing step (called by the daily run after prices are loaded).

scenario_costs are dated by observation days, not by the wall clock: the run reprices the day of
the newest price observation in the warehouse, plus any days since the last repriced day that
were missed (at most ``MAX_CATCH_UP_DAYS``). A replayed history is therefore priced on its own
dates, and a day on which nothing could be fetched adds no rows dated today.
"""
from __future__ import annotations

from datetime import timedelta

from cost_engine.catalogue import load_catalogue
from cost_engine.loader import latest_observation_date, latest_repriced_date
from cost_engine.reprice import reprice
from pricewatch.settings import Settings
from warehouse.db import write_connection

MAX_CATCH_UP_DAYS = 31


def reprice_latest(settings: Settings) -> str:
    catalogue = load_catalogue()
    with write_connection(settings.db_path) as con:
        latest = latest_observation_date(con)
        if latest is None:
            return "no price observations in the warehouse yet; nothing repriced"
        done = latest_repriced_date(con)
        start = latest
        if done is not None and done < latest:
            start = max(done + timedelta(days=1), latest - timedelta(days=MAX_CATCH_UP_DAYS - 1))
        summaries = [reprice(con, start + timedelta(days=i), catalogue)
                     for i in range((latest - start).days + 1)]
    last = summaries[-1]
    extra = f" (and {len(summaries) - 1} missed day(s) from {start})" if len(summaries) > 1 else ""
    return f"repriced catalogue v{catalogue.version} as of {last.line()}{extra}"
