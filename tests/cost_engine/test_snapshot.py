"""Choosing prices out of an as-of snapshot: freshness, pay for what you rent, token price rank.

Prices are the bundled Lambda page's (snapshots/lambda/2026-09-20T120546Z.html: H100 SXM 80GB
1x $4.29, 2x $4.19, 8x $3.99 per GPU-hour; A100 SXM 80GB only as 8x at $2.79) and seed article
000's RunPod figures; dates are synthetic around AS_OF = 2026-06-01.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest

from cost_engine.snapshot import (
    Offer,
    PriceSnapshot,
    ShapeNeeds,
    TokenObs,
    bucket_range,
    choose_offer,
    find_token_price,
    in_bucket,
    model_matches,
)
from tests.cost_engine.ce_snapshots import gpu_price, snapshot, token_obs
from warehouse.policy import default_policy

OLD = datetime(2026, 3, 1)     # 92 days before AS_OF: stale for GPU providers (30 d) and token pages (90 d)
H100 = "H100 SXM 80GB"
A100 = "A100 SXM 80GB"
LAMBDA_H100 = [gpu_price("lambda", H100, "on_demand", 4.29, count=1),
               gpu_price("lambda", H100, "on_demand", 4.19, count=2),
               gpu_price("lambda", H100, "on_demand", 3.99, count=8)]


def offer_for(snap: PriceSnapshot, gpu_model: str, needed: int, **filters: Any) -> Offer:
    """The offer ``choose_offer`` picks, which these tests expect to exist."""
    offer = choose_offer(snap, gpu_model, needed, **filters)
    assert offer is not None, f"no offer of {needed} {gpu_model}"
    return offer


def token_price(snap: PriceSnapshot, *args: Any) -> TokenObs:
    """The price ``find_token_price`` finds, which these tests expect to exist."""
    found = find_token_price(snap, *args)
    assert found is not None, f"no token price for {args}"
    return found


def test_route_model_matches_itself_and_dated_snapshots():
    assert model_matches("gpt-4o-mini", "gpt-4o-mini")
    assert model_matches("gpt-4o-mini", "gpt-4o-mini-2024-07-18")


def test_route_model_never_matches_a_longer_model_name():
    assert not model_matches("gpt-4o", "gpt-4o-mini-2024-07-18")
    assert not model_matches("gpt-4.1", "gpt-4.1-mini-2025-04-14")


def test_dated_route_model_matches_only_its_own_date():
    assert model_matches("gpt-4o-2024-08-06", "gpt-4o-2024-08-06")
    assert not model_matches("gpt-4o-2024-08-06", "gpt-4o-2024-05-13")


def test_size_buckets():
    assert bucket_range("<=16B") == (0.0, 16.0)
    assert bucket_range("16.1B-80B") == (16.1, 80.0)
    assert in_bucket(">80B", 405e9) and not in_bucket(">80B", 80e9)
    assert in_bucket("<=16B", 7e9) and not in_bucket("<=16B", 70e9)
    assert bucket_range("llama-3.1-8b") is None


# ---------------------------------------------------------------- pay for what you rent


def test_a_job_rents_the_instance_of_its_size():
    snap = snapshot(gpu=LAMBDA_H100)
    assert offer_for(snap, H100, 1).instance_usd_per_hour == 4.29
    two = offer_for(snap, H100, 2)
    assert (two.gpus_rented, two.instance_usd_per_hour) == (2, pytest.approx(8.38))   # 2 × 4.19
    assert offer_for(snap, H100, 8).instance_usd_per_hour == pytest.approx(31.92)  # 8 × 3.99


def test_a_k_gpu_job_is_never_spread_over_smaller_instances():
    # Lambda's 1-GPU A100 offering cannot host a 2-GPU job; the only A100 SXM 80GB is the 8x.
    snap = snapshot(gpu=[gpu_price("lambda", A100, "on_demand", 1.29, count=1),
                         gpu_price("lambda", A100, "on_demand", 2.79, count=8)])
    offer = offer_for(snap, A100, 2)
    assert offer.gpus_rented == 8 and offer.oversized
    assert offer.instance_usd_per_hour == pytest.approx(22.32)          # 8 × 2.79, paid in full
    assert offer.effective_usd_per_gpu_hour == pytest.approx(11.16)     # 22.32 / 2 GPUs used


def test_a_per_gpu_pod_provider_rents_any_count_up_to_its_maximum():
    snap = snapshot(gpu=[gpu_price("runpod", A100, "community", 1.64)])   # 001: RunPod community $1.64
    four = offer_for(snap, A100, 4)
    assert (four.gpus_rented, four.instance_usd_per_hour) == (4, pytest.approx(6.56))   # 4 × 1.64
    assert choose_offer(snap, A100, 16) is None                          # RunPod pods stop at 8 GPUs


def test_a_larger_instance_only_when_no_usable_smaller_one_exists():
    fresh_8x = gpu_price("lambda", A100, "on_demand", 2.79, count=8)
    usable_1x = gpu_price("runpod", A100, "community", 1.39)
    stale_1x = gpu_price("runpod", A100, "community", 1.39, observed_at=OLD)
    assert offer_for(snapshot(gpu=[fresh_8x, usable_1x]), A100, 1).gpus_rented == 1
    chosen = offer_for(snapshot(gpu=[fresh_8x, stale_1x]), A100, 1)
    assert chosen.price.provider == "lambda" and chosen.oversized and chosen.usable


def test_a_usable_offer_beats_a_cheaper_stale_one():
    snap = snapshot(gpu=[gpu_price("vastai", A100, "on_demand", 0.50, observed_at=OLD),
                         gpu_price("runpod", A100, "community", 1.64)])
    assert offer_for(snap, A100, 1).price.provider == "runpod"


def test_a_stale_offer_is_returned_only_when_nothing_is_usable_and_says_so():
    snap = snapshot(gpu=[gpu_price("vastai", A100, "on_demand", 0.50, observed_at=OLD)])
    chosen = offer_for(snap, A100, 1)
    assert chosen.price.usd_per_gpu_hour == 0.50 and not chosen.usable


def test_price_age_limits_follow_the_source_kind():
    seven_days = datetime(2026, 5, 25)    # 7 days before AS_OF
    eight_days = datetime(2026, 5, 24)
    snap = snapshot()
    assert snap.gpu_usable(gpu_price("vastai", A100, "on_demand", 0.67, observed_at=seven_days))   # marketplace: 7 d
    assert not snap.gpu_usable(gpu_price("vastai", A100, "on_demand", 0.67, observed_at=eight_days))
    assert snap.gpu_usable(gpu_price("lambda", A100, "on_demand", 1.29, observed_at=eight_days))  # provider: 30 d


def test_commitment_tiers_are_never_an_hourly_price_by_default():
    # Synthetic: a RunPod 1-month reservation quoted per GPU-hour below the on-demand price.
    snap = snapshot(gpu=[gpu_price("runpod", H100, "reserved_1m", 1.99),
                         gpu_price("runpod", H100, "cluster", 1.89, count=8),
                         gpu_price("runpod", H100, "secure", 2.69)])
    assert offer_for(snap, H100, 1).price.tier == "secure"
    assert offer_for(snap, H100, 8).price.tier == "secure"


def test_a_commitment_tier_is_priced_when_named():
    snap = snapshot(gpu=[gpu_price("runpod", H100, "reserved_1m", 1.99), gpu_price("runpod", H100, "secure", 2.69)])
    assert offer_for(snap, H100, 1, tier="reserved_1m").price.usd_per_gpu_hour == 1.99
    assert offer_for(snap, H100, 1, tiers=["reserved_1m", "secure"]).price.tier == "reserved_1m"


def test_a_spot_offer_is_preferred_only_when_cheaper_after_the_interruption_allowance():
    # warehouse/policy.yaml: spot_interruption_allowance 0.15. Illustrative prices around the bundled
    # catalogue's H100 SXM (verda spot $0.8015, hyperbolic on demand $1.29 per GPU-hour):
    # $1.00 spot = $1.15 per hour of work > $1.10 on demand.
    on_demand = gpu_price("hyperbolic", H100, "on_demand", 1.10)
    assert offer_for(snapshot(gpu=[gpu_price("verda", H100, "spot", 1.00), on_demand]), H100, 1).price.tier == \
        "on_demand"
    # $0.90 spot = $1.035 per hour of work < $1.10.
    assert offer_for(snapshot(gpu=[gpu_price("verda", H100, "spot", 0.90), on_demand]), H100, 1).price.tier == "spot"


def test_an_offering_its_source_marks_sold_out_is_not_used():
    # warehouse/policy.yaml: skip_unavailable_offers: true
    gone = replace(gpu_price("runpod", H100, "secure", 2.69), extra={"available": False, "stock": "none"})
    there = gpu_price("lambda", H100, "on_demand", 4.29)
    assert offer_for(snapshot(gpu=[gone, there]), H100, 1).price.provider == "lambda"


def test_an_offering_whose_source_does_not_say_is_usable():
    unknown = replace(gpu_price("runpod", H100, "secure", 2.69), extra={"available": None})
    there = gpu_price("lambda", H100, "on_demand", 4.29)
    assert offer_for(snapshot(gpu=[unknown, there]), H100, 1).price.provider == "runpod"


def test_sold_out_offerings_are_used_when_the_policy_switch_is_off():
    gone = replace(gpu_price("runpod", H100, "secure", 2.69), extra={"available": False})
    snap = snapshot(gpu=[gone, gpu_price("lambda", H100, "on_demand", 4.29)])
    snap.policy = replace(default_policy(), skip_unavailable_offers=False)
    assert offer_for(snap, H100, 1).price.provider == "runpod"


def test_an_instance_with_less_ram_or_disk_than_the_job_needs_is_not_used():
    # snapshots/skypilot_catalog/2026-10-01T000000Z__primeintellect.csv / __nebius.csv 8x H100 rows
    small = replace(gpu_price("primeintellect", H100, "on_demand", 2.50, count=8), extra={"ram_gb": 752.0})
    large = replace(gpu_price("nebius", H100, "on_demand", 2.95, count=8), extra={"ram_gb": 1600.0})
    snap = snapshot(gpu=[small, large])
    assert offer_for(snap, H100, 8).price.provider == "primeintellect"             # no need stated
    assert offer_for(snap, H100, 8, needs=ShapeNeeds(min_ram_gb=847)).price.provider == "nebius"
    disk = replace(large, extra={"ram_gb": 1600.0, "disk_gb": 500.0})
    assert choose_offer(snapshot(gpu=[disk]), H100, 8, needs=ShapeNeeds(min_disk_gb=1000)) is None


def test_an_instance_whose_source_does_not_state_its_ram_is_used_and_flagged():
    unstated = gpu_price("gcp", H100, "spot", 1.34, count=8)
    offer = offer_for(snapshot(gpu=[unstated]), H100, 8, needs=ShapeNeeds(min_ram_gb=847))
    assert offer.price.provider == "gcp" and offer.shape_unknown == ("ram_gb",)


def test_a_per_gpu_pod_scaled_past_its_listed_size_has_unknown_ram():
    # RunPod's 1-GPU row with 62 GB rents a 4-GPU pod: its RAM at that size is not published.
    pod = replace(gpu_price("runpod", H100, "secure", 2.69), extra={"ram_gb": 62.0})
    offer = offer_for(snapshot(gpu=[pod]), H100, 4, needs=ShapeNeeds(min_ram_gb=200))
    assert offer.gpus_rented == 4 and offer.shape_unknown == ("ram_gb",)
    assert choose_offer(snapshot(gpu=[pod]), H100, 1, needs=ShapeNeeds(min_ram_gb=200)) is None


# ---------------------------------------------------------------- token prices


def test_provider_page_beats_curated_sheet_and_aggregators_never_price_training():
    snap = snapshot(tokens=[
        token_obs("openai", "gpt-4o-mini-2024-07-18", "sft_full", "training_per_1m_tokens", 2.0, source="litellm"),
        token_obs("openai", "gpt-4o-mini-2024-07-18", "sft_full", "training_per_1m_tokens", 3.5,
                  source="curated_sheet"),
        token_obs("openai", "gpt-4o-mini-2024-07-18", "sft_full", "training_per_1m_tokens", 3.0,
                  source="openai_pricing"),
    ])
    best = token_price(snap, "openai", "gpt-4o-mini", None, ["sft_full"], "training_per_1m_tokens")
    assert best.source == "openai_pricing"
    only_agg = snapshot(tokens=[snap.tokens[0]])
    assert find_token_price(only_agg, "openai", "gpt-4o-mini", None, ["sft_full"], "training_per_1m_tokens") is None


def test_aggregator_may_price_inference_when_nothing_else_does():
    snap = snapshot(tokens=[token_obs("openai", "gpt-4o-mini", "inference", "ft_input_per_1m", 0.3, source="litellm")])
    assert token_price(snap, "openai", "gpt-4o-mini", None, ["inference"], "ft_input_per_1m").usd == 0.3


def test_lora_scenario_falls_back_to_a_provider_single_sft_price():
    snap = snapshot(tokens=[token_obs("openai", "gpt-4o-mini", "sft_full", "training_per_1m_tokens", 3.0)])
    assert token_price(snap, "openai", "gpt-4o-mini", None, ["sft_lora", "sft_full"],
                            "training_per_1m_tokens").method == "sft_full"


def test_bucket_price_is_found_by_parameter_count():
    snap = snapshot(tokens=[token_obs("together", "<=16B", "sft_lora", "training_per_1m_tokens", 0.48),
                            token_obs("together", "70B-100B", "sft_lora", "training_per_1m_tokens", 2.90)])
    found = token_price(snap, "together", "llama-3.1-70b", 70.6e9, ["sft_lora"], "training_per_1m_tokens")
    assert found.usd == 2.90


def test_token_price_usable_beats_stale_before_source_rank():
    # The provider page was last loaded 92 days ago (over its 90); the curated sheet row is fresh.
    snap = snapshot(tokens=[
        token_obs("openai", "gpt-4o-mini-2024-07-18", "sft_full", "training_per_1m_tokens", 3.0,
                  source="openai_pricing", observed_at=OLD),
        token_obs("openai", "gpt-4o-mini-2024-07-18", "sft_full", "training_per_1m_tokens", 3.5,
                  source="curated_sheet"),
    ])
    best = token_price(snap, "openai", "gpt-4o-mini", None, ["sft_full"], "training_per_1m_tokens")
    assert best.source == "curated_sheet"


def test_a_curated_row_older_than_365_days_is_not_usable():
    # fine_tuning_prices.csv: Fireworks' $3 minimum is dated 2024-07-01 (2024 page layout).
    row = token_obs("fireworks", "<=16B", "sft_lora", "min_charge", 3.0, source="curated_sheet",
                    observed_at=datetime(2024, 7, 1))
    assert not snapshot(tokens=[row]).token_usable(row)       # 2024-07-01 → 2026-06-01 = 700 days > 365
    within = replace(row, observed_at=datetime(2025, 6, 2))   # 364 days before AS_OF
    assert snapshot(tokens=[within]).token_usable(within)


def test_token_price_among_usable_ones_source_rank_then_newest_decides():
    newer = datetime(2026, 5, 30)
    snap = snapshot(tokens=[
        token_obs("openai", "gpt-4o-mini", "inference", "ft_input_per_1m", 0.25, source="litellm"),
        token_obs("openai", "gpt-4o-mini", "inference", "ft_input_per_1m", 0.30, source="openai_pricing",
                  observed_at=newer),
        token_obs("openai", "gpt-4o-mini", "inference", "ft_input_per_1m", 0.35, source="openai_pricing"),
    ])
    assert token_price(snap, "openai", "gpt-4o-mini", None, ["inference"], "ft_input_per_1m").usd == 0.35
