"""Issue #11's "Done when" on the bundled offline history (`make run`'s data, the ``bundled`` fixture).

Prices used below, from the bundled snapshots (snapshots/SOURCES.md):
* snapshots/lambda/2026-09-20T120546Z.html: GH200 96GB 1x $2.29, H100 SXM 80GB 1x $4.29 / 2x $4.19
  / 8x $3.99, H100 PCIe 80GB 1x $3.29, A100 SXM 80GB only 8x at $2.79 per GPU-hour.
* RunPod (2025-06-21) and Vast.ai (2024-07-30) are 474 and 800 days older than the newest
  observation day 2026-10-08: stale under the 30-day and 7-day limits, shown but never chosen.
"""
from __future__ import annotations

import json

import pytest

from cost_engine.catalogue import load_catalogue
from cost_engine.policy import load_policy
from cost_engine.service import freshness_warning, pricing_day
from warehouse.db import read_connection

DAY = "2026-10-08"
# Weekend LoRA 7B on one GH200 (hand arithmetic, docs/cost_engine.md "Formulas"):
#   tokens 20,000 × 1,000 × 3 epochs = 60M; T_eff = 60M / 0.96 = 62.5M; F_tok = 4 × 6.74e9 = 26.96 GFLOP
#   FLOPs = 62.5e6 × 26.96e9 = 1.685e18; throughput = 989e12 × 0.27 (Hopper 1-GPU LoRA mid MFU) = 2.6703e14
#   t = 1.685e18 / 2.6703e14 = 6,310.1 s = 1.75281 h; + 0.375 h overhead = 2.12781 h per run
#   3 runs × 2.12781 h × $2.29 = $14.618 (data $0, engineering $0: 000's "$0 (you)")
WEEKEND_MID = 3 * (62.5e6 * 26.96e9 / (989e12 * 0.27) / 3600 + 0.375) * 2.29


def _trend(settings, scenario: str, layer: str = "total"):
    with read_connection(settings.db_path) as con:
        return con.execute("SELECT cheapest_route, usd_mid, usd_per_hour, basis FROM scenario_cost_trend "
                           "WHERE as_of = ? AND scenario = ? AND layer = ?", [DAY, scenario, layer]).fetchone()


def _total_inputs(settings, scenario: str, route: str) -> dict:
    with read_connection(settings.db_path) as con:
        row = con.execute("SELECT inputs FROM scenario_costs WHERE as_of = ? AND scenario = ? AND route = ? "
                          "AND layer = 'total'", [DAY, scenario, route]).fetchone()
    return json.loads(row[0])


def test_weekend_lora_7b_is_in_the_seed_range_on_an_instance_of_its_size(bundled):
    route, mid, per_hour, basis = _trend(bundled, "weekend_lora_7b")
    assert route == "gpu:GH200 96GB:1" and per_hour == 2.29 and basis == "provider page"
    assert mid == pytest.approx(WEEKEND_MID, rel=1e-6) and 10 <= mid <= 30     # seed 000: $10–30
    summary = _total_inputs(bundled, "weekend_lora_7b", route)["summary"]
    assert summary["gpus_rented"] == summary["gpus_needed"] == 1 and not summary["oversized"]


def test_the_a100_route_names_the_8_gpu_instance_it_pays_for(bundled):
    inputs = _total_inputs(bundled, "weekend_lora_7b", "gpu:A100 SXM 80GB:1")
    assert inputs["summary"]["usd_per_hour"] == pytest.approx(22.32)            # 8 × $2.79
    assert inputs["summary"]["oversized"] and inputs["status"] == "available"


def test_midmarket_serving_is_priced_per_gpu_rented(bundled):
    # 2 serving GPUs on Lambda's 2x H100 SXM instance: 2 × $4.19 × 730 h = $6,117.40 (not 8 × $2.79 × 730).
    route, mid, _, _ = _trend(bundled, "midmarket_lora_13b", "serving")
    assert mid == pytest.approx(2 * 4.19 * 730)
    serving = _total_inputs(bundled, "midmarket_lora_13b", route)["provenance"]
    assert [(p["gpu_model"], p["gpus_rented"]) for p in serving if p.get("gpus_needed") == 2] == [("H100 SXM 80GB", 2)]


def test_stale_offers_are_shown_but_never_the_cheapest(bundled):
    inputs = _total_inputs(bundled, "weekend_lora_7b", "gpu:RTX 4090 24GB:1")
    assert inputs["status"] == "stale"
    assert {p["provider"] for p in inputs["provenance"]} <= {"runpod", "vastai"}


def test_the_fireworks_2024_minimum_is_not_applied_to_a_2026_job(bundled):
    # 1,000 × 500 × 3 = 1.5M billed tokens × Fireworks' $0.50/1M (2026-10-08) = $0.75; the $3 minimum
    # on the curated sheet dates from 2024-07-01, older than the 365-day curated limit.
    with read_connection(bundled.db_path) as con:
        mid, inputs = con.execute("SELECT usd_mid, inputs FROM scenario_costs WHERE as_of = ? AND scenario = "
                                  "'hosted_1k_x_500_3ep' AND route = 'hosted:fireworks:llama-3.1-8b' AND "
                                  "layer = 'compute'", [DAY]).fetchone()
    assert mid == pytest.approx(0.75)
    assert "$3 minimum charge (curated sheet, observed 2024-07-01)" in json.loads(inputs)["min_charge_not_applied"]


def test_every_basis_is_named(bundled):
    inputs = _total_inputs(bundled, "startup_sft_7b_hosted", "hosted:fireworks:llama-3.1-8b")
    # snapshots/fireworks_pricing/2026-10-08T000000Z__cost-estimator-reconstructed.md; LiteLLM base prices
    assert {p["basis"] for p in inputs["provenance"]} == {"reconstructed/second-hand", "aggregator"}


def test_the_freshness_warning_names_the_newest_observation_per_source_kind(bundled):
    from datetime import date

    with read_connection(bundled.db_path) as con:
        day = pricing_day(con, None, today=date(2026, 12, 4))
        warning = freshness_warning(con, day, load_policy())
    assert day.price_day.isoformat() == DAY and day.lifecycle_day == date(2026, 12, 4)
    # 2026-12-04 − 2026-09-20 = 75 days > 30; Vast.ai 2024-07-30 is 857 days > 7
    assert "gpu_provider 2026-09-20 (75 d > 30)" in warning and "gpu_marketplace 2024-07-30 (857 d > 7)" in warning
    assert "token_provider 2026-10-08 (57 d <= 90)" in warning


def test_every_catalogue_scenario_has_a_row_in_the_view(bundled):
    with read_connection(bundled.db_path) as con:
        names = {r[0] for r in con.execute("SELECT DISTINCT scenario FROM scenario_cost_trend WHERE as_of = ?",
                                           [DAY]).fetchall()}
    assert names == {s.name for s in load_catalogue().scenarios}


def test_the_report_prices_the_scenarios_for_another_customer_profile(bundled):
    from datetime import date

    from reports.data import scenario_catalogue

    with read_connection(bundled.db_path) as con:
        _, stored = scenario_catalogue(con, date(2026, 10, 8))
        _, active = scenario_catalogue(con, date(2026, 10, 8), customer_profile="active")

    def closed(summaries):
        return sorted(r.route for s in summaries if s.scenario == "hosted_1k_x_500_3ep" for r in s.unavailable)

    # New customers (stored): the three OpenAI routes (wind-down) and Vertex gemini-2.0-flash (retired
    # 2026-06-01) are closed; an active customer keeps OpenAI.
    assert closed(stored) == ["hosted:openai:gpt-4.1-mini", "hosted:openai:gpt-4o", "hosted:openai:gpt-4o-mini",
                              "hosted:vertex:gemini-2.0-flash"]
    assert closed(active) == ["hosted:vertex:gemini-2.0-flash"]
    vertex = next(r for s in stored if s.scenario == "hosted_1k_x_500_3ep" for r in s.routes
                  if r.route == "hosted:vertex:gemini-2.0-flash")
    assert vertex.status == "unavailable"
    assert vertex.reason.endswith("cheapest open route: hosted:together:llama-3.1-8b ($0.72)")
    weekend = next(s for s in stored if s.scenario == "weekend_lora_7b").cheapest
    assert (weekend.route, weekend.usd_per_hour, weekend.basis) == ("gpu:GH200 96GB:1", 2.29, "provider page")
