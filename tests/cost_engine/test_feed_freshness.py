"""A provider seen by several feeds is read from its own collector while that is within its
maximum price age, otherwise from the freshest feed (issue #12 + #11: one freshness policy for
the SQL as-of views and the cost engine). Hand-built histories: RunPod's A100 SXM 80GB secure
price from seed article 001 ("RunPod Secure $2.21") seen directly, and the same GPU at $1.64
(001's community price) through a SkyPilot catalogue folder; dates are synthetic.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from core.clock import utcnow
from cost_engine.loader import load_snapshot
from scrapers.records import GpuOffer
from tests.cost_engine.ce_history import A100_RUNPOD_COMMUNITY, A100_RUNPOD_SECURE, at
from tests.sql import one_row, scalar
from warehouse.db import read_connection, write_connection
from warehouse.load import FetchLogEntry, insert_fetch_log, load_gpu_offers
from warehouse.policy import SOURCE_KINDS, default_policy

A100 = "A100 SXM 80GB"
DAY = date(2026, 10, 8)
CUTOFF = "TIMESTAMP '2026-10-09'"     # the end of DAY


def offer(provider: str, usd: float, *, catalog: str | None = None) -> GpuOffer:
    source = "skypilot_catalog" if catalog else None
    key = f"{catalog}/{provider}-a100" if catalog else "a100|secure"
    return GpuOffer(provider, key, A100, A100, 1, "on_demand" if catalog else "secure", usd, usd,
                    source=source, catalog=catalog)


def load(db, when: datetime, offers: list[GpuOffer]) -> None:
    with write_connection(db) as con:
        source = offers[0].source or offers[0].provider
        fid = insert_fetch_log(con, FetchLogEntry(source=source, url=f"test://{source}", fetched_at=when,
                                                  observed_at=when, mode="replay", outcome="ok"))
        load_gpu_offers(con, offers, when, fid)


def feed_of(db, provider: str, extra: str = "", cutoff: str = CUTOFF) -> str:
    with read_connection(db) as con:
        rows = con.execute(f"SELECT DISTINCT source FROM gpu_offerings_as_of({cutoff}{extra}) WHERE provider = ?",
                           [provider]).fetchall()
    assert len(rows) == 1, rows
    return rows[0][0]


def two_feeds(db, direct_age: int, catalogue_age: int, provider: str = "runpod", catalog: str = "runpod") -> None:
    load(db, at(DAY - timedelta(days=direct_age)), [offer(provider, A100_RUNPOD_SECURE)])
    load(db, at(DAY - timedelta(days=catalogue_age)), [offer(provider, A100_RUNPOD_COMMUNITY, catalog=catalog)])


def test_the_direct_feed_is_read_while_within_its_maximum_age(settings):
    two_feeds(settings.db_path, direct_age=30, catalogue_age=1)       # gpu_provider: 30 days
    assert feed_of(settings.db_path, "runpod") == "runpod"


def test_a_direct_feed_older_than_its_maximum_age_gives_way_to_the_freshest(settings):
    two_feeds(settings.db_path, direct_age=31, catalogue_age=7)
    assert feed_of(settings.db_path, "runpod") == "skypilot_catalog"


def test_a_marketplace_has_the_marketplace_limit_whichever_feed_reports_it(settings):
    two_feeds(settings.db_path, direct_age=8, catalogue_age=2, provider="vastai", catalog="vast")   # 8 > 7
    assert feed_of(settings.db_path, "vastai") == "skypilot_catalog"


def test_when_no_feed_is_fresh_the_freshest_is_read(settings):
    two_feeds(settings.db_path, direct_age=60, catalogue_age=45)
    assert feed_of(settings.db_path, "runpod") == "skypilot_catalog"


def test_a_fresher_direct_feed_wins_even_among_stale_ones(settings):
    two_feeds(settings.db_path, direct_age=40, catalogue_age=45)
    assert feed_of(settings.db_path, "runpod") == "runpod"


def test_the_ages_in_effect_are_passed_by_the_cost_engine(settings):
    two_feeds(settings.db_path, direct_age=31, catalogue_age=7)
    assert feed_of(settings.db_path, "runpod", ", gpu_provider_max_age := 60") == "runpod"
    policy = default_policy().with_overrides(max_age={"gpu_provider": 60})   # --max-price-age gpu_provider=60
    with read_connection(settings.db_path) as con:
        default = load_snapshot(con, DAY)
        longer = load_snapshot(con, DAY, policy)
    assert {p.source for p in default.gpu} == {"skypilot_catalog"}
    assert {p.source for p in longer.gpu} == {"runpod"}
    assert [p.usd_per_gpu_hour for p in longer.gpu] == [A100_RUNPOD_SECURE]


def test_what_is_offered_now_is_judged_on_todays_date(settings):
    today = utcnow().date()
    load(settings.db_path, at(today - timedelta(days=40)), [offer("runpod", A100_RUNPOD_SECURE)])
    load(settings.db_path, at(today - timedelta(days=5)), [offer("runpod", A100_RUNPOD_COMMUNITY, catalog="runpod")])
    with read_connection(settings.db_path) as con:
        current = con.execute("SELECT DISTINCT source FROM gpu_offerings_current WHERE provider = 'runpod'").fetchall()
    assert current == [("skypilot_catalog",)]
    # ... while judged on a day the direct page was 20 days old (both feeds loaded), it is the one read.
    then = f", reference_day := DATE '{today - timedelta(days=20)}'"
    assert feed_of(settings.db_path, "runpod", then, cutoff="TIMESTAMP '9999-12-31'") == "runpod"


def test_the_sql_ages_are_generated_from_the_policy(settings):
    policy = default_policy()
    with write_connection(settings.db_path) as con:
        ages = {kind: scalar(con.execute("SELECT max_price_age_days(?)", [kind])) for kind in SOURCE_KINDS}
        kinds = one_row(con.execute("SELECT gpu_price_kind('vastai'), gpu_price_kind('verda')"))
    assert ages == dict(policy.max_age_days)
    assert kinds == (policy.gpu_kind("vastai"), policy.gpu_kind("verda")) == ("gpu_marketplace", "gpu_provider")
