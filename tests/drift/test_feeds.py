"""New / vanished offerings are judged per feed (a collector, and for a multi-cloud catalogue one
catalogue folder), by the rule of gpu_prices_latest.is_current: an offering is current when its
feed's latest load lists it.

HAND-BUILT HISTORY: Lambda seen by its own collector and by the SkyPilot catalogue's `lambda` and
`shadeform` folders, loading at different times, through the real loader (fetch_log +
warehouse.load.load_gpu_offers). Offering keys and prices are invented; the shapes are the real
ones (a catalogue key is prefixed with its folder).
"""
from __future__ import annotations

import io
from datetime import datetime, timedelta

import duckdb
import pytest

from core.settings import Settings
from drift.daily import run_drift
from drift.detect_prices import provider_states
from drift.rules import load_rules, parse_rules
from scrapers.records import GpuOffer
from tests.drift.conftest import alert_rows
from warehouse.db import write_connection
from warehouse.load import FetchLogEntry, insert_fetch_log, load_gpu_offers

T0 = datetime(2026, 9, 1, 6)
OWN = ("lambda", None)                          # Lambda's own collector
CATALOGUE = ("skypilot_catalog", "lambda")      # the catalogue's lambda folder
RESOLD = ("skypilot_catalog", "shadeform")      # shadeform reselling Lambda


def offer(feed: tuple[str, str | None], key: str, usd: float = 2.0) -> GpuOffer:
    source, catalog = feed
    return GpuOffer(provider="lambda", offering_key=key, gpu_model="H100 SXM 80GB", gpu_raw_name="H100", gpu_count=1,
                    tier="on_demand", usd_per_gpu_hour=usd, usd_per_instance_hour=usd,
                    source=None if source == "lambda" else source, catalog=catalog)


def load(settings: Settings, feed: tuple[str, str | None], at: datetime, keys: list[str]) -> None:
    """One load of ``feed`` at ``at`` listing ``keys``."""
    source = feed[0]
    with write_connection(settings.db_path) as con:
        fetch_id = insert_fetch_log(con, FetchLogEntry(source, f"https://example.invalid/{feed[1] or source}", at, at,
                                                       "replay", "ok", records_parsed=len(keys)))
        load_gpu_offers(con, [offer(feed, k) for k in keys], at, fetch_id)


def drift(settings: Settings, now: datetime, rules=None) -> None:
    run_drift(settings, rules=rules or load_rules(), now=now, stream=io.StringIO())


def test_two_feeds_of_one_provider_loading_at_different_times_vanish_nothing(settings):
    # Lambda's page in the morning, the catalogue at noon, three days running: every feed lists
    # the same offerings every time, but no load of one feed lists the other's.
    for day in range(3):
        morning = T0 + timedelta(days=day)
        load(settings, OWN, morning, ["1x H100 SXM 80GB|on_demand", "8x H100 SXM 80GB|on_demand"])
        load(settings, CATALOGUE, morning + timedelta(hours=6), ["lambda/gpu_1x_h100_sxm5 80GB@us-east-1|on_demand"])
        load(settings, RESOLD, morning + timedelta(hours=7), ["shadeform/lambdalabs_H100 80GB@dulles-usa-1|on_demand"])
        drift(settings, morning + timedelta(hours=8))

    assert alert_rows(settings, "gpu_offering_vanished") == []
    assert alert_rows(settings, "gpu_offering_new") == []  # each feed's first load is its baseline


def test_a_feed_that_stops_listing_an_offering_twice_in_a_row_vanishes_it(settings):
    gone = "lambda/gpu_8x_h100_sxm5 80GB@us-east-1|on_demand"
    kept = "lambda/gpu_1x_h100_sxm5 80GB@us-east-1|on_demand"
    catalogue_loads = [[kept, gone], [kept], [kept]]  # missing from the 2nd and 3rd catalogue loads
    for day, keys in enumerate(catalogue_loads):
        morning = T0 + timedelta(days=day)
        load(settings, OWN, morning, ["1x H100 SXM 80GB|on_demand"])
        load(settings, CATALOGUE, morning + timedelta(hours=6), keys)
        drift(settings, morning + timedelta(hours=8))

    vanished = alert_rows(settings, "gpu_offering_vanished")
    assert [(a["key"], a["first_seen_at"], a["state"]) for a in vanished] == [
        (f"lambda|{gone}", T0 + timedelta(days=2, hours=6), "open")]  # the catalogue's 3rd load confirms it
    assert "missing from 2 loads of skypilot_catalog/lambda since 2026-09-02 12:00:00" in vanished[0]["message"]


def test_one_missing_catalogue_load_vanishes_nothing(settings):
    gone_once = ["lambda/gpu_1x_h100_sxm5 80GB@us-east-1|on_demand", "lambda/gpu_8x_h100_sxm5 80GB@us-east-1|on_demand"]
    for day, keys in enumerate([gone_once, gone_once[:1], gone_once]):
        load(settings, CATALOGUE, T0 + timedelta(days=day), keys)
    drift(settings, T0 + timedelta(days=3))

    assert alert_rows(settings, "gpu_offering_vanished") == []


# --- one definition: drift's rule and gpu_prices_latest.is_current agree -------------------------

# (feed, hours after T0, keys listed): feeds interleaved, offerings dropped, added and returning.
HISTORY = [
    (OWN, 0, ["a|on_demand", "b|on_demand"]),
    (CATALOGUE, 5, ["lambda/c|on_demand", "lambda/d|on_demand"]),
    (RESOLD, 7, ["shadeform/e|on_demand"]),
    (OWN, 24, ["a|on_demand"]),
    (CATALOGUE, 30, ["lambda/c|on_demand", "lambda/d|on_demand", "lambda/f|on_demand"]),
    (OWN, 48, ["a|on_demand", "b|on_demand", "g|on_demand"]),
    (CATALOGUE, 49, ["lambda/f|on_demand"]),
    (RESOLD, 50, ["shadeform/h|on_demand"]),
]
ONE_LOAD = parse_rules("persist_observations: 1\nrules:\n"
                       "  - {name: gone, type: offering_vanished}\n  - {name: new, type: offering_new}\n")


def _current_by_the_view(con: duckdb.DuckDBPyConnection) -> tuple[set[str], set[str]]:
    rows = con.execute("SELECT offering_key, is_current FROM gpu_prices_latest WHERE provider = 'lambda'").fetchall()
    return {k for k, cur in rows if cur}, {k for k, cur in rows if not cur}


@pytest.mark.parametrize("upto", range(1, len(HISTORY) + 1))
def test_with_one_load_of_persistence_drift_sees_exactly_what_gpu_prices_latest_calls_current(settings, upto):
    for feed, hours, keys in HISTORY[:upto]:
        load(settings, feed, T0 + timedelta(hours=hours), keys)
    drift(settings, T0 + timedelta(days=3), rules=ONE_LOAD)

    with write_connection(settings.db_path) as con:
        current, not_current = _current_by_the_view(con)
        present = provider_states(con, ONE_LOAD)["lambda"].presence.present()
    open_gone = {a["key"].split("|", 1)[1] for a in alert_rows(settings, "gone") if a["state"] == "open"}
    assert present == current
    assert open_gone == not_current  # an offering is vanished exactly when the view says it is not current


def test_the_hand_built_history_ends_with_what_each_feeds_last_load_lists(settings):
    # Computed by hand from HISTORY: each feed's last load, whatever the other feeds did after it.
    for feed, hours, keys in HISTORY:
        load(settings, feed, T0 + timedelta(hours=hours), keys)
    with write_connection(settings.db_path) as con:
        current, not_current = _current_by_the_view(con)
    assert current == {"a|on_demand", "b|on_demand", "g|on_demand", "lambda/f|on_demand", "shadeform/h|on_demand"}
    assert not_current == {"lambda/c|on_demand", "lambda/d|on_demand", "shadeform/e|on_demand"}
