"""Route pricing: the hourly price actually charged, route status, basis, minimum charges, spot
allowance, break-even, and work shared by a scenario's routes.

GPU prices are the bundled Lambda page's (snapshots/lambda/2026-09-20T120546Z.html) or seed
article 000's; hosted prices from snapshots/fireworks_pricing and fine_tuning_prices.csv. Every
expected figure is worked out by hand in a comment.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from cost_engine import pricing
from cost_engine.catalogue import load_catalogue
from cost_engine.pricing import price_scenario
from cost_engine.routes import parse_pattern
from tests.cost_engine.ce_snapshots import gpu_price, snapshot, token_obs

CATALOGUE = load_catalogue()
OLD = datetime(2026, 3, 1)   # 92 days before AS_OF: stale for GPU providers and token pages
A100, H100 = "A100 SXM 80GB", "H100 SXM 80GB"
# Synthetic prices: Fireworks serves fine-tunes at the base price (catalogue evidence), so the
# fine-tuned model saves the base model's 500 extra prompt tokens per request.
FIREWORKS_8B = [token_obs("fireworks", "<=16B", "sft_lora", "training_per_1m_tokens", 0.5),
                token_obs("fireworks", "4.1B-16B", "inference", "base_input_per_1m", 0.2, source="litellm"),
                token_obs("fireworks", "4.1B-16B", "inference", "base_output_per_1m", 0.2, source="litellm")]


def _routes(scenario, snap):
    return {e.route: e for e in price_scenario(CATALOGUE.scenario(scenario), CATALOGUE, snap)}


def test_a_larger_instance_is_paid_in_full_and_named():
    # route_qlora_8b_1xa100 on Lambda's only A100 SXM 80GB offering, the 8x at $2.79/GPU-h.
    route = _routes("route_qlora_8b_1xa100", snapshot(gpu=[gpu_price("lambda", A100, "on_demand", 2.79, count=8)]))[
        "gpu:A100 SXM 80GB:1"]
    compute = route.layers["compute"]
    wall_mid = compute.inputs["wall_hours"][1]
    assert route.summary["usd_per_hour"] == pytest.approx(22.32)                  # 8 × 2.79
    assert route.summary["effective_usd_per_gpu_hour"] == pytest.approx(22.32)    # 22.32 / 1 GPU used
    assert compute.usd.mid == pytest.approx(wall_mid * 22.32, rel=1e-3)
    assert route.summary["oversized"] and "8-GPU A100 SXM 80GB instance ($22.32/h, paid in full)" in route.reason


def test_serving_is_priced_per_gpu_rented_on_an_instance_of_the_right_size():
    # midmarket serving: 2 GPUs of any 80 GB type, 730 h. Lambda lists A100 80GB only as 8x ($2.79)
    # and H100 SXM as 2x ($4.19): the 2x H100 instance is rented, 2 × 4.19 × 730 = $6,117.40.
    snap = snapshot(gpu=[gpu_price("lambda", A100, "on_demand", 2.79, count=8),
                         gpu_price("lambda", H100, "on_demand", 4.19, count=2)])
    serving = _routes("midmarket_lora_13b", snap)["gpu:H100 SXM 80GB:1"].layers["serving"]
    assert serving.usd.mid == pytest.approx(6117.40)
    assert serving.inputs["price"]["gpus_rented"] == 2


def test_route_status_separates_stale_unpriced_and_unavailable():
    # route_qlora_8b_1xa100 on one stale RunPod price ($1.39 community, 2025-layout page, 92 days old).
    stale = _routes("route_qlora_8b_1xa100", snapshot(gpu=[gpu_price("runpod", A100, "community", 1.39,
                                                                     observed_at=OLD)]))["gpu:A100 SXM 80GB:1"]
    fresh = _routes("route_qlora_8b_1xa100", snapshot(gpu=[gpu_price("runpod", A100, "community", 1.39)]))[
        "gpu:A100 SXM 80GB:1"]
    # a stale price is still priced (shown, never the cheapest): the same cost as that price fresh
    assert stale.status == "stale" and not stale.available and fresh.status == "available"
    assert stale.total == fresh.total
    assert "stale price: runpod" in stale.reason and "92 days before the priced day" in stale.reason
    unpriced = _routes("route_qlora_8b_1xa100", snapshot())["gpu:A100 SXM 80GB:1"]
    assert unpriced.status == "unpriced" and unpriced.total is None
    # 13B LoRA in bf16 needs 2 B/param = 26 GB of weights: it cannot run on one 24 GB RTX 4090.
    too_big = price_scenario(CATALOGUE.scenario("midmarket_lora_13b"), CATALOGUE,
                             snapshot(gpu=[gpu_price("runpod", "RTX 4090 24GB", "community", 0.34)]),
                             patterns=[parse_pattern("gpu:RTX 4090 24GB:1")])[0]
    assert too_big.status == "unavailable" and too_big.reason is not None and "does not fit" in too_big.reason


def test_a_fresh_compute_price_with_a_stale_serving_price_is_stale_not_mixed():
    snap = snapshot(gpu=[gpu_price("lambda", H100, "on_demand", 4.29, count=1),
                         gpu_price("runpod", A100, "secure", 1.74, observed_at=OLD)])
    route = _routes("midmarket_lora_13b", snap)["gpu:H100 SXM 80GB:1"]
    assert route.status == "stale"
    assert "stale price: runpod A100 SXM 80GB" in route.reason


def test_a_spot_route_is_charged_the_interruption_allowance():
    # Same job on RunPod community vs community_spot at one price: the spot route has 15% more hours.
    snap = snapshot(gpu=[gpu_price("runpod", A100, "community", 1.00),
                         gpu_price("runpod", A100, "community_spot", 1.00)])
    routes = _routes("route_qlora_8b_1xa100", snap)
    on_demand = routes["gpu:A100 SXM 80GB:1:runpod:community"]
    spot = routes["gpu:A100 SXM 80GB:1:runpod:community_spot"]
    assert spot.summary["spot"] and spot.summary["interruption_allowance"] == 0.15
    assert spot.layers["compute"].usd.mid == pytest.approx(on_demand.layers["compute"].usd.mid * 1.15)


def test_a_stale_curated_minimum_charge_is_not_applied():
    # Fireworks <=16B LoRA at $0.50/1M (page fetched 2026-10-08); its $3 minimum is a 2024 curated row.
    # 1,000 × 500 × 3 = 1.5M billed tokens × $0.50 = $0.75, not the $3.00 minimum.
    snap = snapshot(tokens=[token_obs("fireworks", "<=16B", "sft_lora", "training_per_1m_tokens", 0.5),
                            token_obs("fireworks", "<=16B", "sft_lora", "min_charge", 3.0, source="curated_sheet",
                                      observed_at=datetime(2024, 7, 1))])
    route = _routes("hosted_1k_x_500_3ep", snap)["hosted:fireworks:llama-3.1-8b"]
    assert route.layers["compute"].usd.mid == pytest.approx(0.75)
    assert "is not applied" in route.layers["compute"].inputs["min_charge_not_applied"]
    fresh = replace(snap.tokens[1], observed_at=datetime(2026, 5, 1))
    assert _routes("hosted_1k_x_500_3ep", snapshot(tokens=[snap.tokens[0], fresh]))[
        "hosted:fireworks:llama-3.1-8b"].layers["compute"].usd.mid == pytest.approx(3.0)


def test_a_reconstructed_capture_says_so_in_the_basis():
    price = token_obs("fireworks", "<=16B", "sft_lora", "training_per_1m_tokens", 0.5, source="fireworks_pricing")
    obs = replace(price,
                  fetch_url="replay:fireworks_pricing/2026-10-08T000000Z__cost-estimator-reconstructed.md")
    route = _routes("hosted_1k_x_500_3ep", snapshot(tokens=[obs]))["hosted:fireworks:llama-3.1-8b"]
    assert route.summary["basis"] == "reconstructed/second-hand"
    assert route.provenance[0]["basis"] == "reconstructed/second-hand"


def test_a_missing_fine_tuned_inference_price_is_unpriced_not_unavailable():
    snap = snapshot(tokens=[token_obs("together", "<=16B", "sft_lora", "training_per_1m_tokens", 0.48)])
    route = _routes("startup_sft_7b_hosted", snap)["hosted:together:llama-3.1-8b"]
    assert route.status == "unpriced" and "no fine-tuned inference price" in route.reason


def test_break_even_counts_compute_data_and_engineering():
    scenario = CATALOGUE.scenario("startup_sft_7b_hosted")
    route = {e.route: e for e in price_scenario(scenario, CATALOGUE, snapshot(tokens=FIREWORKS_8B))}[
        "hosted:fireworks:llama-3.1-8b"]
    inference = route.layers["inference"].inputs
    # 1.5M requests × (500 × 0.2 + 200 × 0.2)/1e6 = $210/month fine-tuned;
    # base: 1.5M × ((500 + 500) × 0.2 + 200 × 0.2)/1e6 = $360/month; saving $150/month.
    assert inference["ft_usd_per_month"] == pytest.approx(210.0)
    assert inference["base_usd_per_month"] == pytest.approx(360.0)
    # compute: 2,000 × 500 × 3 = 3M tokens × $0.5 = $1.50 × 3 runs = $4.50;
    # data mid: 2,000 × (0.87 + 2.08)/2 × (1 + 0.175) = $3,466.25; engineering mid: 4,500 + 0.4 × 4.50 = $4,501.80
    assert inference["one_off_usd"] == pytest.approx(4.50 + 3466.25 + 4501.80, abs=1e-3)
    assert inference["break_even_months"] == pytest.approx((4.50 + 3466.25 + 4501.80) / 150.0, abs=1e-3)
    assert inference["break_even_months_training_only"] == pytest.approx(4.50 / 150.0, abs=1e-6)


def test_training_time_and_serving_are_computed_once_per_scenario(monkeypatch):
    calls = {"time": 0, "serving": 0}
    real_time, real_serving = pricing.gpu_training_time, pricing._serving

    def counted_time(*args, **kwargs):
        calls["time"] += 1
        return real_time(*args, **kwargs)

    def counted_serving(*args, **kwargs):
        calls["serving"] += 1
        return real_serving(*args, **kwargs)

    monkeypatch.setattr(pricing, "gpu_training_time", counted_time)
    monkeypatch.setattr(pricing, "_serving", counted_serving)
    snap = snapshot(gpu=[gpu_price("runpod", A100, "community", 1.64),
                         gpu_price("runpod", A100, "community_spot", 1.30),
                         gpu_price("lambda", A100, "on_demand", 1.29),
                         gpu_price("runpod", H100, "community", 2.69)])
    routes = price_scenario(CATALOGUE.scenario("midmarket_lora_13b"), CATALOGUE, snap)
    # gpu:A100:2 and its two RunPod tiers (Lambda's 1-GPU offering cannot host 2 GPUs), gpu:H100:1 and RunPod's
    assert [r.route for r in routes] == ["gpu:A100 SXM 80GB:2", "gpu:A100 SXM 80GB:2:runpod:community",
                                         "gpu:A100 SXM 80GB:2:runpod:community_spot", "gpu:H100 SXM 80GB:1",
                                         "gpu:H100 SXM 80GB:1:runpod:community"]
    assert calls == {"time": 2, "serving": 1}   # (A100, 2) and (H100, 1)
    assert len({id(r.layers["serving"]) for r in routes}) == 1


# ---------------------------------------------------------------- availability and instance shape (issue #12)


def test_the_70b_full_fine_tune_skips_instances_with_too_little_ram_and_flags_unstated_ones():
    # route_full_70b_8xh100 needs >= 847 GB of instance RAM (catalogue.yaml: CPU optimizer offload,
    # 70.6e9 × 12 B). Bundled catalogue rows (snapshots/skypilot_catalog/2026-10-01T000000Z__*.csv):
    # primeintellect 8x H100 752 GB $2.50/GPU-h, nebius 8x H100 1,600 GB $2.95; gcp 8x H100 spot
    # $1.3369 without a RAM column.
    small = replace(gpu_price("primeintellect", H100, "on_demand", 2.50, count=8), extra={"ram_gb": 752.0})
    large = replace(gpu_price("nebius", H100, "on_demand", 2.95, count=8), extra={"ram_gb": 1600.0})
    route = _routes("route_full_70b_8xh100", snapshot(gpu=[small, large]))["gpu:H100 SXM 80GB:8"]
    assert route.summary["provider"] == "nebius" and route.status == "available"
    assert route.layers["compute"].inputs["instance_needs"] == {"min_ram_gb": 847.0, "min_disk_gb": None}
    unstated = _routes("route_full_70b_8xh100", snapshot(gpu=[gpu_price("gcp", H100, "spot", 1.3369, count=8)]))[
        "gpu:H100 SXM 80GB:8"]
    assert unstated.status == "available" and unstated.provenance[0]["shape_unknown"] == ["ram_gb"]
    assert "gcp does not state the instance's RAM; the job needs RAM >= 847 GB" in unstated.reason
    only_small = _routes("route_full_70b_8xh100", snapshot(gpu=[small]))["gpu:H100 SXM 80GB:8"]
    assert only_small.status == "unpriced" and "with RAM >= 847 GB" in only_small.reason


def test_a_sold_out_offer_is_not_priced():
    # A RunPod v2 answer with stock "none" for the secure tier (available = false).
    gone = replace(gpu_price("runpod", A100, "secure", 2.21), extra={"available": False, "stock": "none"})
    route = _routes("route_qlora_8b_1xa100", snapshot(gpu=[gone]))["gpu:A100 SXM 80GB:1"]
    assert route.status == "unpriced" and "no offer of 1 or more A100 SXM 80GB GPUs" in route.reason
