"""Scenario alerts follow prices, not preferences (issue #11 item 3), on real Lambda pages.

The two bundled Lambda pages (snapshots/lambda/2026-02-11T000000Z.html and
2026-09-20T120546Z.html) are replayed ten days apart, the February page as if fetched on
2026-09-10 (only its date is shifted, so both are fresh and the prices between them move:
GH200 1x $1.99 → $2.29, H100 SXM 1x $3.29 → $4.29, A100 SXM 80GB 8x $1.79 → $2.79, ...).
"""
from __future__ import annotations

import shutil
from datetime import date

import pytest

from core.paths import BUNDLED_SNAPSHOTS
from cost_engine.changes import LikeForLike, PriceMove, RouteDay, like_for_like
from cost_engine.reprice import backfill
from drift.detect_other import scenario_alerts
from drift.rules import load_rules
from warehouse.db import write_connection
from warehouse.replay import replay


@pytest.fixture(scope="module")
def lambda_moves(tmp_path_factory):
    from core.settings import Settings

    root = tmp_path_factory.mktemp("lambda_moves")
    snaps = root / "snaps" / "lambda"
    snaps.mkdir(parents=True)
    shutil.copy(BUNDLED_SNAPSHOTS / "lambda" / "2026-02-11T000000Z.html", snaps / "2026-09-10T000000Z.html")
    shutil.copy(BUNDLED_SNAPSHOTS / "lambda" / "2026-09-20T120546Z.html", snaps / "2026-09-20T120546Z.html")
    settings = Settings(db_path=root / "p.duckdb", data_dir=root / "data")
    replay(settings, root / "snaps")
    with write_connection(settings.db_path) as con:
        backfill(con, date(2026, 9, 10), date(2026, 9, 20))
        alerts = scenario_alerts(con, load_rules())
    return alerts


def _cost(alerts):
    return [a for a in alerts if a.rule == "scenario_cost_change"]


def test_a_cost_alert_names_the_price_that_moved(lambda_moves):
    weekend = [a for a in _cost(lambda_moves) if a.key == "weekend_lora_7b|total"]
    assert len(weekend) == 1
    alert = weekend[0]
    # The GH200 stays the cheapest 1-GPU route; its whole cost scales with its price: 2.29/1.99 − 1 = +15.08%
    assert alert.evidence["pct"] == pytest.approx(15.08, abs=0.01)
    assert [m["price"] for m in alert.evidence["moved_prices"]] == ["lambda GH200 96GB 1-GPU instance on_demand $/h"]
    assert "$1.99 → $2.29" in alert.message


def test_no_scenario_cost_alert_exceeds_the_largest_underlying_price_move(lambda_moves):
    costs = _cost(lambda_moves)
    assert costs
    for alert in costs:
        assert alert.evidence["moved_prices"], alert.message
        assert abs(alert.evidence["pct"]) <= alert.evidence["largest_price_move_pct"] + 0.01, alert.message


def _day(route: str, total: float, usd: float | None, available: bool = True) -> RouteDay:
    prov = [] if usd is None else [{"kind": "gpu", "provider": "lambda", "offering": f"{route}|on_demand",
                                    "tier": "on_demand", "gpus_rented": 1, "gpu_model": route, "usd": usd,
                                    "instance_usd_per_hour": usd}]
    return RouteDay.from_rows(route, available, {"total": total}, {"provenance": prov, "catalogue_version": 3})


def test_a_preferred_offer_going_stale_is_no_cost_change():
    # Day 1: A at $10 (price 1.0) is cheapest, B costs $15. Day 2: A's price is stale (not usable), B unchanged.
    before = {"A": _day("A", 10.0, 1.0), "B": _day("B", 15.0, 1.5)}
    after = {"A": _day("A", 10.0, 1.0, available=False), "B": _day("B", 15.0, 1.5)}
    lfl = like_for_like(before, after, {"A", "B"}, "total")
    assert lfl == LikeForLike(15.0, 15.0, "B", "B", ())      # compared on B alone: nothing moved


def test_a_price_rise_that_changes_the_cheapest_route_is_bounded_by_the_rise():
    # A's price rises 50% (1.0 → 1.5, cost 10 → 15); B ($12, unchanged) becomes the cheapest: +20% ≤ 50%.
    before = {"A": _day("A", 10.0, 1.0), "B": _day("B", 12.0, 1.2)}
    after = {"A": _day("A", 15.0, 1.5), "B": _day("B", 12.0, 1.2)}
    lfl = like_for_like(before, after, {"A", "B"}, "total")
    assert lfl is not None
    assert (lfl.old, lfl.new, lfl.new_route) == (10.0, 12.0, "B")
    assert lfl.pct == pytest.approx(20.0)
    assert lfl.moves == (PriceMove("lambda A 1-GPU instance on_demand $/h", 1.0, 1.5),)
    assert lfl.largest_move_pct == pytest.approx(50.0)


def test_routes_priced_on_different_offers_are_not_compared():
    before = {"A": _day("A", 10.0, 1.0)}
    after = {"A": RouteDay("A", True, {"total": 20.0}, {("gpu", "lambda", "other", "on_demand", 8): {"usd": 2.0}}, 3)}
    assert like_for_like(before, after, {"A"}, "total") is None
