"""The daily series of warehouse/semantic/80_report.sql and the report's reads of them.

SYNTHETIC HISTORIES (see SOURCES.md): small, built with the real loaders so each rule of the daily
GPU price and of the one-query token history is exercised once. Every expected value below is
worked out by hand from the rows loaded here, or, for the token history, read through the per-day
as-of macro ``token_prices_believed_as_of`` (a different query from the one under test).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from core.settings import Settings
from reports.model import GpuOffering, GpuPoint, cheapest_by_gpu, cheapest_point
from reports.queries import gpu_daily_history, gpu_snapshot, token_history, token_snapshot
from scrapers.records import GpuOffer, TokenPrice
from warehouse.asof import day_end
from warehouse.db import read_connection, write_connection
from warehouse.load import FetchLogEntry, insert_fetch_log, load_gpu_offers, load_token_prices

DAY1, DAY2 = date(2026, 3, 1), date(2026, 3, 2)
H100 = "H100 SXM 80GB"


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, datetime.min.time()) + timedelta(hours=hour)


def offer(provider: str, key: str, model: str | None, tier: str, usd: float, *, available: bool | None = None,
          source: str | None = None, catalog: str | None = None) -> GpuOffer:
    return GpuOffer(provider, key, model, key, 1, tier, usd, usd, available=available, source=source, catalog=catalog)


def load(con, source: str, when: datetime, offers: list[GpuOffer]) -> int:
    fid = insert_fetch_log(con, FetchLogEntry(source, f"https://{source}.example/", when, when, "replay", "ok",
                                              records_parsed=len(offers)))
    load_gpu_offers(con, offers, when, fid)
    return fid


@pytest.fixture
def gpu_days(settings: Settings) -> tuple[Settings, dict[date, int]]:
    """Two days of GPU loads; returns the newest fetch id of each day."""
    sky = "skypilot_catalog"
    with write_connection(settings.db_path) as con:
        load(con, "runpod", at(DAY1, 6), [
            offer("runpod", "h100-a", H100, "secure", 2.50, available=False),
            offer("runpod", "h100-b", H100, "secure", 2.70, available=True),
            offer("runpod", "a100-c", "A100 SXM 80GB", "secure", 1.40),
            offer("runpod", "mystery", None, "secure", 9.99)])
        # the day's last load: A100 no longer listed, B cheaper
        load(con, "runpod", at(DAY1, 18), [
            offer("runpod", "h100-a", H100, "secure", 2.50, available=False),
            offer("runpod", "h100-b", H100, "secure", 2.60, available=True)])
        # a catalogue's copy of RunPod, later and cheaper: the provider's own collector is read
        load(con, sky, at(DAY1, 20), [offer("runpod", "sky-h100", H100, "secure", 2.10, source=sky, catalog="runpod")])
        last1 = load(con, sky, at(DAY1, 21), [offer("lambda", "sky-l-h100", H100, "on_demand", 2.99, source=sky,
                                                    catalog="lambda")])
        # day 2: RunPod only through the catalogue (its one H100 offering sold out); Lambda from
        # its own catalogue folder and from a reseller's, later and cheaper: its own folder is read
        load(con, sky, at(DAY2, 6), [offer("runpod", "sky-h100", H100, "secure", 2.20, available=False, source=sky,
                                           catalog="runpod")])
        load(con, sky, at(DAY2, 6) + timedelta(minutes=1), [
            offer("lambda", "sky-l-h100", H100, "on_demand", 2.95, source=sky, catalog="lambda")])
        last2 = load(con, sky, at(DAY2, 7), [offer("lambda", "shade-h100", H100, "on_demand", 2.80, source=sky,
                                                   catalog="shadeform")])
    return settings, {DAY1: last1, DAY2: last2}


DAILY_COLUMNS = ("day, gpu_model, provider, tier, usd_per_gpu_hour_min, usd_per_gpu_hour_median, "
                 "usd_per_gpu_hour_max, usd_per_gpu_hour_min_available, offering_count, available_offering_count, "
                 "source, catalog, observed_at, last_fetch_id")


def daily(path: Path, cutoff: datetime = datetime(9999, 12, 31), since: datetime | None = None) -> list[tuple]:
    with read_connection(path) as con:
        return con.execute(f"SELECT {DAILY_COLUMNS} FROM gpu_prices_daily_as_of(?, since := ?) ORDER BY ALL",
                           [cutoff, since]).fetchall()


def test_the_daily_gpu_price_reads_one_feed_per_provider_and_its_last_load_of_the_day(gpu_days):
    settings, last_fetch = gpu_days
    assert daily(settings.db_path) == [
        # day 1, Lambda: the catalogue is its only feed
        (DAY1, H100, "lambda", "on_demand", 2.99, 2.99, 2.99, 2.99, 1, 1, "skypilot_catalog", "lambda",
         at(DAY1, 21), last_fetch[DAY1]),
        # day 1, RunPod: its own collector's 18:00 load (A at 2.50 sold out, B at 2.60); the A100
        # gone from that load has no row; the unnamed GPU is left out; the catalogue's 2.10 unused
        (DAY1, H100, "runpod", "secure", 2.50, 2.55, 2.60, 2.60, 2, 1, "runpod", None, at(DAY1, 18), last_fetch[DAY1]),
        # day 2, Lambda: its own catalogue folder (2.95) over the reseller's later, cheaper 2.80
        (DAY2, H100, "lambda", "on_demand", 2.95, 2.95, 2.95, 2.95, 1, 1, "skypilot_catalog", "lambda",
         at(DAY2, 6) + timedelta(minutes=1), last_fetch[DAY2]),
        # day 2, RunPod: only the catalogue loaded it; its one offering sold out
        (DAY2, H100, "runpod", "secure", 2.20, 2.20, 2.20, None, 1, 0, "skypilot_catalog", "runpod",
         at(DAY2, 6), last_fetch[DAY2]),
    ]


def test_the_daily_gpu_price_window_is_since_to_cutoff(gpu_days):
    settings, _ = gpu_days
    assert {r[0] for r in daily(settings.db_path, cutoff=day_end(DAY1))} == {DAY1}
    assert {r[0] for r in daily(settings.db_path, since=day_end(DAY1))} == {DAY2}
    # a cutoff inside day 1 sees its 06:00 load only: the A100 is still listed then
    morning = daily(settings.db_path, cutoff=at(DAY1, 12))
    runpod = [(r[1], r[4], r[7]) for r in morning if r[2] == "runpod"]
    assert runpod == [("A100 SXM 80GB", 1.40, 1.40), (H100, 2.50, 2.70)]


def test_the_report_charts_the_cheapest_rentable_offer_and_flags_a_day_all_sold_out(gpu_days):
    settings, _ = gpu_days
    with read_connection(settings.db_path) as con:
        points = gpu_daily_history(con, DAY2, days=2)
    assert points == [
        GpuPoint(DAY1, H100, "lambda", "on_demand", 2.99), GpuPoint(DAY2, H100, "lambda", "on_demand", 2.95),
        GpuPoint(DAY1, H100, "runpod", "secure", 2.60), GpuPoint(DAY2, H100, "runpod", "secure", 2.20, sold_out=True)]
    day2 = [p for p in points if p.day == DAY2]
    assert cheapest_point(day2) == GpuPoint(DAY2, H100, "lambda", "on_demand", 2.95)  # 2.20 cannot be rented


def test_the_snapshot_prices_each_tier_at_its_cheapest_offering_not_sold_out(gpu_days):
    settings, _ = gpu_days
    with read_connection(settings.db_path) as con:
        day1 = {o.key: o for o in gpu_snapshot(con, DAY1)}
        day2 = {o.key: o for o in gpu_snapshot(con, DAY2)}
    # RunPod's last load (18:00): A at 2.50 is sold out, B at 2.60 is not
    runpod = day1[(H100, "runpod", "secure")]
    assert (runpod.usd_per_gpu_hour, runpod.sold_out) == (2.60, False)
    # on day 2 the snapshot still reads RunPod's own collector (fresh, loaded the day before)
    assert (day2[(H100, "runpod", "secure")].usd_per_gpu_hour, day2[(H100, "lambda", "on_demand")].usd_per_gpu_hour) \
        == (2.60, 2.95)
    assert cheapest_by_gpu(list(day2.values()))[H100].provider == "runpod"


def test_a_tier_whose_every_offering_is_sold_out_keeps_its_list_price_and_ranks_last():
    seen = datetime(2026, 3, 2, 6)
    sold_out = GpuOffering(H100, "runpod", "secure", 2.20, 1, None, seen, None, sold_out=True)
    rentable = GpuOffering(H100, "lambda", "on_demand", 2.95, 1, None, seen, None)
    spot = GpuOffering(H100, "runpod", "secure_spot", 1.75, 1, None, seen, None)
    assert cheapest_by_gpu([sold_out, rentable, spot])[H100] is rentable
    assert cheapest_by_gpu([sold_out, spot])[H100] is spot
    assert cheapest_by_gpu([sold_out])[H100] is sold_out


def test_the_cheapest_point_prefers_rentable_then_flexible_then_price():
    spot = GpuPoint(DAY1, H100, "runpod", "secure_spot", 1.50)
    sold_out = GpuPoint(DAY1, H100, "runpod", "secure", 2.00, sold_out=True)
    on_demand = GpuPoint(DAY1, H100, "lambda", "on_demand", 2.99)
    assert cheapest_point([spot, sold_out, on_demand]) == on_demand
    assert cheapest_point([spot, sold_out]) == spot
    assert cheapest_point([sold_out]) == sold_out


# ---------------------------------------------------------------- token prices, one query

TOKEN_FIRST, TOKEN_LAST = date(2026, 3, 1), date(2026, 3, 7)
GPT41, MINI = "gpt-4.1-2025-04-14", "gpt-4o-mini-2024-07-18"
TRAIN = "training_per_1m_tokens"


def token_load(con, source: str, when: datetime, prices: list[TokenPrice]) -> None:
    dated = source == "curated_sheet"
    fid = None if dated else insert_fetch_log(con, FetchLogEntry(source, f"https://{source}.example/", when, when,
                                                                 "replay", "ok", records_parsed=len(prices)))
    load_token_prices(con, prices, when, source, fid)


@pytest.fixture
def token_days(settings: Settings) -> Settings:
    """A week of token loads with every case the as-of rules distinguish: a source that skips
    days, two loads in a day, a price change, a line dropped from a page, a source that stops, an
    aggregator that disagrees and prices a line alone, two aggregators (the same rank: the newest
    wins), curated rows dated before and inside the window (one for a line a provider page also
    prices)."""
    with write_connection(settings.db_path) as con:
        token_load(con, "curated_sheet", at(TOKEN_FIRST, 0), [
            TokenPrice("fireworks", "<=16B", "sft_lora", TRAIN, 0.50, as_of=date(2026, 2, 15)),
            TokenPrice("openai", GPT41, "sft_full", TRAIN, 26.0, as_of=date(2026, 2, 15)),
            TokenPrice("fireworks", "<=16B", "sft_lora", TRAIN, 0.45, as_of=date(2026, 3, 4))])
        for i in range(7):
            day = TOKEN_FIRST + timedelta(days=i)
            if i not in (2, 3):  # OpenAI's page was not read on 03-03 and 03-04
                openai = [TokenPrice("openai", GPT41, "sft_full", TRAIN, 25.0 if i < 4 else 20.0),
                          TokenPrice("openai", GPT41, "inference", "ft_input_per_1m", 3.0)]
                if i < 5:  # gpt-4o-mini leaves the page on 03-06
                    openai.append(TokenPrice("openai", MINI, "sft_full", TRAIN, 3.0))
                token_load(con, "openai_pricing", at(day, 6), openai)
            if i == 1:  # a second load that day, at a new price
                token_load(con, "openai_pricing", at(day, 18), [TokenPrice("openai", GPT41, "sft_full", TRAIN, 24.0),
                                                                 TokenPrice("openai", MINI, "sft_full", TRAIN, 3.5)])
            if i < 2:  # Together's page was read on the first two days only, the second at midnight
                together = TokenPrice("together", "<=16B", "sft_lora", TRAIN, 0.48 + i / 100)
                token_load(con, "together_pricing", at(day, 7 * (1 - i)), [together])
            token_load(con, "litellm", at(day, 8), [TokenPrice("openai", GPT41, "sft_full", TRAIN, 24.0 + i % 2),
                                                    TokenPrice("openai", MINI, "sft_full", TRAIN, 3.1),
                                                    TokenPrice("openai", "gpt-4o-2024-08-06", "sft_full", TRAIN, 25.0)])
            if i % 3 == 0:  # a second aggregator (the same rank), an hour later on some days
                token_load(con, "openrouter", at(day, 9), [TokenPrice("openai", MINI, "sft_full", TRAIN, 3.2)])
    return settings


def test_the_one_query_token_history_equals_the_as_of_macro_on_every_day(token_days):
    with read_connection(token_days.db_path) as con:
        for offset in range(-1, 7):  # the day before the first one through the last
            day = TOKEN_FIRST + timedelta(days=offset)
            windowed = con.execute("SELECT * EXCLUDE (day) FROM token_prices_believed_daily(?, ?) WHERE day = ? "
                                   "ORDER BY ALL", [TOKEN_FIRST - timedelta(days=1), TOKEN_LAST, day]).fetchall()
            as_of = con.execute("SELECT * FROM token_prices_believed_as_of(?) ORDER BY ALL", [day_end(day)]).fetchall()
            assert windowed == as_of, day
            assert len(as_of) >= 2, day  # never two empty sets (the day before the window: the 2 curated rows)


def test_the_windowed_token_prices_worked_by_hand(token_days):
    with read_connection(token_days.db_path) as con:
        rows = con.execute("SELECT day, provider, model, usd, source FROM token_prices_believed_daily(?, ?) "
                           "WHERE price_kind = ? ORDER BY day, provider, model",
                           [TOKEN_FIRST, TOKEN_LAST, TRAIN]).fetchall()
    believed = {(d, p, m): (usd, s) for d, p, m, usd, s in rows}
    d = {n: TOKEN_FIRST + timedelta(days=n - 1) for n in range(1, 8)}
    assert believed[(d[1], "openai", GPT41)] == (25.0, "openai_pricing")     # the page over the sheet's 26
    assert believed[(d[2], "openai", GPT41)] == (24.0, "openai_pricing")     # the 18:00 load of 03-02
    assert believed[(d[4], "openai", GPT41)] == (24.0, "openai_pricing")     # no read on 03-03/04: 03-02's
    assert believed[(d[5], "openai", GPT41)] == (20.0, "openai_pricing")
    assert believed[(d[5], "openai", MINI)] == (3.0, "openai_pricing")
    assert believed[(d[6], "openai", MINI)] == (3.1, "litellm")              # left the page: the aggregator's
    assert believed[(d[7], "openai", MINI)] == (3.2, "openrouter")           # the newer of two aggregators
    assert believed[(d[1], "together", "<=16B")] == (0.48, "together_pricing")  # 03-02 00:00 is the next day's
    assert believed[(d[7], "together", "<=16B")] == (0.49, "together_pricing")  # stopped on 03-02: still 03-02's
    assert believed[(d[3], "fireworks", "<=16B")] == (0.50, "curated_sheet")
    assert believed[(d[4], "fireworks", "<=16B")] == (0.45, "curated_sheet")  # the row dated 03-04


def test_the_report_token_history_is_the_snapshot_of_each_loaded_day(token_days):
    """What the report charted before it read the history in one query: on the window's first day
    and each day a non-aggregator source loaded, ``token_snapshot`` of that day."""
    with read_connection(token_days.db_path) as con:
        history = token_history(con, TOKEN_LAST, days=7)
        days = [TOKEN_FIRST, date(2026, 3, 2), date(2026, 3, 4), date(2026, 3, 5), date(2026, 3, 6), date(2026, 3, 7)]
        expected = sorted(((day, q.provider, q.model, q.method, q.usd, q.source)
                           for day in days for q in token_snapshot(con, day, TRAIN)),
                          key=lambda p: (p[1], p[2], p[3], p[0]))
    assert [(p.day, p.provider, p.model, p.method, p.usd, p.source) for p in history] == expected
    # 03-03 brought aggregator rows only; 03-04 the curated row dated that day...
    assert {p.day for p in history} == set(days)
    # ...and gpt-4o-mini, priced only by the aggregator from 03-06, leaves the chart then
    assert max(p.day for p in history if p.model == MINI) == date(2026, 3, 5)
