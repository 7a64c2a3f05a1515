"""`pricewatch estimate` and `scenarios` on the bundled offline history (issue #11 items 2, 4, 5, 7).

Prices (snapshots/SOURCES.md): Lambda 2026-09-20 (GH200 1x $2.29, H100 SXM 1x $4.29), SkyPilot's
catalogue stamped 2026-10-01 (vast.csv line 17: one RTX 6000 Ada at $0.37/h on demand), OpenAI
pricing 2026-08-05 (gpt-4o fine-tuning $25/1M training tokens), Vertex 2026-08-21 (gemini-2.5-flash
$5/1M); events: openai_deprecations 2026-08-20 (the fine-tuning wind-down), Vertex model
versions 2026-08-21 (gemini-2.5-flash retires 2026-10-20).
"""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from pricewatch.cli import main
from tests.cost_engine.test_bundled_history import WEEKEND_MID

JOB = ["--params", "7e9", "--method", "lora", "--examples", "20000", "--tokens-per-example", "1024", "--epochs", "3"]
# The weekend scenario's job: 20,000 × 1,000 tokens × 3 epochs × 3 runs, Llama-2-7B (6.74e9 params)
WEEKEND = ["--params", "6.74e9", "--method", "lora", "--examples", "20000", "--tokens-per-example", "1000",
           "--epochs", "3", "--runs", "3"]


def _run(bundled, *args: str):
    result = CliRunner().invoke(main, [*args, "--db", str(bundled.db_path)])
    assert result.exit_code == 0, result.output
    return result


def _json(bundled, *args: str):
    return json.loads(_run(bundled, *args, "--format", "json").stdout)


def test_estimate_route_all_lists_every_route_that_fits_usable_ones_cheapest_first(bundled):
    routes = _json(bundled, "estimate", *JOB, "--route", "all")
    assert len(routes) >= 10
    usable = [r for r in routes if r["status"] == "available"]
    mids = [r["total"]["usd_mid"] for r in usable]
    assert mids == sorted(mids) and len(usable) >= 5
    assert routes[0]["cheapest"] and [r["route"] for r in routes if r["cheapest"]] == [routes[0]["route"]]
    first = routes[0]
    assert {"wall_hours_per_run", "gpu_hours_per_run", "cost_per_epoch", "effective_usd_per_gpu_hour", "provider",
            "tier", "spot", "basis", "observed_at", "layers", "provenance"} <= set(first)
    # Today's cheapest, by hand: 61.44M / 0.96 × 4 × 7e9 / (364e12 × 0.30 × 0.96) = 17,094.0 s = 4.74834 h
    # + 0.375 h = 5.12334 h × $0.37 = $1.8956 (one run), on vast.csv line 17's RTX 6000 Ada.
    assert first["route"] == "gpu:RTX 6000 Ada 48GB:1:vastai:on_demand" and first["usd_per_hour"] == 0.37
    wall = 61.44e6 / 0.96 * 4 * 7e9 / (364e12 * 0.30 * 0.96) / 3600 + 0.375
    assert first["total"]["usd_mid"] == pytest.approx(wall * 0.37, rel=1e-6)
    assert first["basis"] == "multi-cloud catalogue" and first["observed_at"] == "2026-10-01"
    # Routes in the old shape are still there: route, available, reason, layers per name.
    assert first["available"] is True and "compute" in first["layers"]


def test_estimate_cost_per_epoch_and_hours_by_hand(bundled):
    # 7B (7e9) LoRA, 20,000 × 1,024 × 3 = 61.44M tokens on one GH200:
    #   t = 61.44e6/0.96 × 4 × 7e9 / (989e12 × 0.27) = 6,710.5 s = 1.86404 h; + 0.375 h = 2.23904 h
    #   cost per epoch = 2.23904 × $2.29 / 3 = $1.7091
    route = next(r for r in _json(bundled, "estimate", *JOB, "--route", "gpu:GH200 96GB:1"))
    wall = 61.44e6 / 0.96 * 4 * 7e9 / (989e12 * 0.27) / 3600 + 0.375
    assert route["wall_hours_per_run"][1] == pytest.approx(wall, abs=1e-3)
    assert route["cost_per_epoch"][1] == pytest.approx(wall * 2.29 / 3, abs=1e-3)


def test_the_same_question_has_one_answer(bundled):
    # scenarios, the documented SQL (the scenario_cost_trend view) and estimate agree on weekend_lora_7b.
    scenario = next(r for r in _json(bundled, "scenarios", "--as-of", "2026-10-08")
                    if r["scenario"] == "weekend_lora_7b")
    sql = json.loads(_run(bundled, "sql", "--format", "json",
                          "SELECT cheapest_route, usd_mid FROM scenario_cost_trend WHERE as_of = '2026-10-08' "
                          "AND scenario = 'weekend_lora_7b' AND layer = 'total'").stdout)[0]
    estimate = _json(bundled, "estimate", *WEEKEND, "--route", "gpu:any:1", "--as-of", "2026-10-08")[0]
    assert scenario["cheapest_route"] == sql["cheapest_route"] == "gpu:RTX 6000 Ada 48GB:1"
    assert scenario["usd_mid"] == pytest.approx(WEEKEND_MID) and sql["usd_mid"] == pytest.approx(WEEKEND_MID)
    assert estimate["route"] == "gpu:RTX 6000 Ada 48GB:1:vastai:on_demand"
    assert estimate["total"]["usd_mid"] == pytest.approx(WEEKEND_MID)


@pytest.mark.parametrize("profile,available", [("active", True), ("new", False)])
def test_gpt_4o_on_2026_11_01_follows_the_customer_profile(bundled, profile, available):
    route = _json(bundled, "estimate", *JOB, "--route", "hosted:openai:gpt-4o", "--customer-profile", profile,
                  "--as-of", "2026-11-01")[0]
    assert route["available"] is available
    # 20,000 × 1,024 × 3 = 61.44M tokens × $25/1M = $1,536 (gpt-4o-2024-08-06, not the retiring 2024-05-13)
    assert route["layers"]["compute"]["usd_mid"] == pytest.approx(1536.0)
    if not available:
        assert ("training_unavailable (openai * for organisations that have never fine-tuned) since 2026-05-07"
                in route["reason"])
        assert "first seen 2026-08-20" in route["reason"]
    else:
        assert "gpt-4o-2024-05-13" not in (route["reason"] or "")


def test_without_as_of_lifecycle_is_judged_today(bundled):
    today = _json(bundled, "estimate", *JOB, "--route", "hosted:vertex:gemini-2.5-flash")[0]
    then = _json(bundled, "estimate", *JOB, "--route", "hosted:vertex:gemini-2.5-flash", "--as-of", "2026-10-08")[0]
    assert today["status"] == "unavailable" and "since 2026-10-20" in today["reason"]
    assert then["status"] == "available"


def test_output_on_old_prices_starts_with_the_freshness_warning(bundled):
    result = _run(bundled, "estimate", *JOB, "--route", "gpu:H100:1")
    assert result.stderr.splitlines()[0].startswith("warning: prices older than the freshness limit")


def test_price_override_is_a_what_if(bundled):
    # H100 SXM at $1.80/GPU-h instead of Lambda's $4.29: 2.23904 h (see above, the H100 has the GH200's
    # peak and MFU band) × $1.80 = $4.0303 for the run.
    route = next(r for r in _json(bundled, "estimate", *JOB, "--route", "gpu:H100 SXM 80GB:1",
                                  "--price-override", "gpu:H100 SXM 80GB=1.80") if r["route"] == "gpu:H100 SXM 80GB:1")
    wall = 61.44e6 / 0.96 * 4 * 7e9 / (989e12 * 0.27) / 3600 + 0.375
    assert route["total"]["usd_mid"] == pytest.approx(wall * 1.80, abs=1e-3)
    assert route["basis"] == "what-if override" and route["provider"] == "override"


def test_scenarios_follow_the_customer_profile(bundled):
    # hosted_1k_x_500_3ep: Together, Fireworks, OpenAI ×3, Vertex gemini-2.0-flash (retired 2026-06-01).
    # New customers lose the three OpenAI routes to the wind-down; active customers keep them.
    def available(profile: str) -> str:
        rows = _json(bundled, "scenarios", "--as-of", "2026-10-08", "--customer-profile", profile)
        return next(r["routes_available"] for r in rows if r["scenario"] == "hosted_1k_x_500_3ep")
    assert (available("new"), available("active")) == ("2/6", "5/6")


def test_scenario_detail_tells_a_closed_route_the_cheapest_open_one(bundled):
    rows = _json(bundled, "scenarios", "--as-of", "2026-10-08", "--scenario", "hosted_1k_x_500_3ep")
    vertex = next(r for r in rows if r["route"] == "hosted:vertex:gemini-2.0-flash")
    assert vertex["status"] == "unavailable"
    assert "vertex names gemini-3.1-flash-lite as the replacement" in vertex["reason"]
    assert "cheapest open route: hosted:together:llama-3.1-8b ($0.72)" in vertex["reason"]


def test_route_all_names_the_offered_gpus_it_cannot_price(bundled):
    result = _run(bundled, "estimate", *JOB, "--route", "all", "--format", "json")
    note = next(line for line in result.stderr.splitlines() if line.startswith("note: offered but not priced"))
    assert "B300 288GB" in note and "RTX A5000 24GB" in note          # offered in the catalogue, no spec
    assert "RTX 6000 Ada 48GB" not in note


def test_min_ram_skips_instances_known_to_be_too_small(bundled):
    # primeintellect.csv "primecompute__8xH100_80GB__104__752": 8x H100 with 752 GB of RAM.
    routes = _json(bundled, "estimate", "--params", "7e9", "--method", "lora", "--examples", "1000",
                   "--tokens-per-example", "500", "--route", "gpu:H100 SXM 80GB:8:primeintellect",
                   "--min-ram-gb", "800", "--as-of", "2026-10-08")
    used = {p["offering"] for r in routes for p in r["provenance"]}
    assert used and not any("752" in o for o in used)
    assert all(p["ram_gb"] >= 800 for r in routes for p in r["provenance"])
