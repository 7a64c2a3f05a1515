"""Choosing prices out of an as-of snapshot."""
from __future__ import annotations

from datetime import datetime

from cost_engine.snapshot import bucket_range, find_token_price, in_bucket, model_matches, pick_gpu_price
from tests.cost_engine.ce_snapshots import gpu_price, snapshot, token_obs

OLD = datetime(2026, 3, 1)   # 92 days before AS_OF: stale at the 45-day window


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


def test_provider_page_beats_curated_sheet_and_aggregators_never_price_training():
    snap = snapshot(tokens=[
        token_obs("openai", "gpt-4o-mini-2024-07-18", "sft_full", "training_per_1m_tokens", 2.0, source="litellm"),
        token_obs("openai", "gpt-4o-mini-2024-07-18", "sft_full", "training_per_1m_tokens", 3.5, source="curated_sheet"),
        token_obs("openai", "gpt-4o-mini-2024-07-18", "sft_full", "training_per_1m_tokens", 3.0, source="openai_pricing"),
    ])
    best = find_token_price(snap, "openai", "gpt-4o-mini", None, ["sft_full"], "training_per_1m_tokens")
    assert best.source == "openai_pricing"
    only_agg = snapshot(tokens=[snap.tokens[0]])
    assert find_token_price(only_agg, "openai", "gpt-4o-mini", None, ["sft_full"], "training_per_1m_tokens") is None


def test_aggregator_may_price_inference_when_nothing_else_does():
    snap = snapshot(tokens=[token_obs("openai", "gpt-4o-mini", "inference", "ft_input_per_1m", 0.3, source="litellm")])
    assert find_token_price(snap, "openai", "gpt-4o-mini", None, ["inference"], "ft_input_per_1m").usd == 0.3


def test_lora_scenario_falls_back_to_a_provider_single_sft_price():
    snap = snapshot(tokens=[token_obs("openai", "gpt-4o-mini", "sft_full", "training_per_1m_tokens", 3.0)])
    assert find_token_price(snap, "openai", "gpt-4o-mini", None, ["sft_lora", "sft_full"],
                            "training_per_1m_tokens").method == "sft_full"


def test_bucket_price_is_found_by_parameter_count():
    snap = snapshot(tokens=[token_obs("together", "<=16B", "sft_lora", "training_per_1m_tokens", 0.48),
                            token_obs("together", "70B-100B", "sft_lora", "training_per_1m_tokens", 2.90)])
    assert find_token_price(snap, "together", "llama-3.1-70b", 70.6e9, ["sft_lora"], "training_per_1m_tokens").usd == 2.90


def test_cheapest_gpu_prefers_fresh_over_a_cheaper_stale_offer():
    snap = snapshot(gpu=[gpu_price("vastai", "A100 SXM 80GB", "on_demand", 0.50, observed_at=OLD),
                         gpu_price("runpod", "A100 SXM 80GB", "community", 1.64)])
    assert pick_gpu_price(snap, "A100 SXM 80GB", 1).provider == "runpod"


def test_stale_offer_is_still_used_when_it_is_the_only_one():
    snap = snapshot(gpu=[gpu_price("vastai", "A100 SXM 80GB", "on_demand", 0.50, observed_at=OLD)])
    chosen = pick_gpu_price(snap, "A100 SXM 80GB", 1)
    assert chosen.usd_per_gpu_hour == 0.50 and snap.is_stale(chosen.observed_at)


def test_instance_of_the_requested_size_is_preferred_within_a_provider():
    snap = snapshot(gpu=[gpu_price("lambda", "H100 SXM 80GB", "on_demand", 2.99, count=1),
                         gpu_price("lambda", "H100 SXM 80GB", "on_demand", 3.29, count=8)])
    assert pick_gpu_price(snap, "H100 SXM 80GB", 8).gpu_count == 8
    assert pick_gpu_price(snap, "H100 SXM 80GB", 1).gpu_count == 1


def test_larger_instance_is_paid_in_full_when_it_is_the_only_size():
    snap = snapshot(gpu=[gpu_price("lambda", "A100 SXM 80GB", "on_demand", 1.29, count=8),
                         gpu_price("runpod", "A100 SXM 80GB", "community", 1.64)])
    assert pick_gpu_price(snap, "A100 SXM 80GB", 1).provider == "runpod"
    assert pick_gpu_price(snap, "A100 SXM 80GB", 8).provider == "lambda"


def test_commitment_tiers_are_never_the_cheapest_hourly_price_by_default():
    # Synthetic: a RunPod 1-month reservation quoted per GPU-hour below the on-demand price.
    snap = snapshot(gpu=[gpu_price("runpod", "H100 SXM 80GB", "reserved_1m", 1.99),
                         gpu_price("runpod", "H100 SXM 80GB", "cluster", 1.89, count=8),
                         gpu_price("runpod", "H100 SXM 80GB", "secure", 2.69)])
    assert pick_gpu_price(snap, "H100 SXM 80GB", 1).tier == "secure"
    assert pick_gpu_price(snap, "H100 SXM 80GB", 8).tier == "secure"


def test_a_commitment_tier_is_priced_when_named():
    snap = snapshot(gpu=[gpu_price("runpod", "H100 SXM 80GB", "reserved_1m", 1.99),
                         gpu_price("runpod", "H100 SXM 80GB", "secure", 2.69)])
    assert pick_gpu_price(snap, "H100 SXM 80GB", 1, tier="reserved_1m").usd_per_gpu_hour == 1.99
    assert pick_gpu_price(snap, "H100 SXM 80GB", 1, tiers=["reserved_1m", "secure"]).tier == "reserved_1m"


def test_token_price_fresh_beats_stale_before_source_rank():
    # The provider page was last loaded 92 days ago (stale); the curated sheet has a fresh row.
    snap = snapshot(tokens=[
        token_obs("openai", "gpt-4o-mini-2024-07-18", "sft_full", "training_per_1m_tokens", 3.0,
                  source="openai_pricing", observed_at=OLD),
        token_obs("openai", "gpt-4o-mini-2024-07-18", "sft_full", "training_per_1m_tokens", 3.5,
                  source="curated_sheet"),
    ])
    best = find_token_price(snap, "openai", "gpt-4o-mini", None, ["sft_full"], "training_per_1m_tokens")
    assert best.source == "curated_sheet"


def test_token_price_among_fresh_ones_source_rank_then_newest_decides():
    newer = datetime(2026, 5, 30)
    snap = snapshot(tokens=[
        token_obs("openai", "gpt-4o-mini", "inference", "ft_input_per_1m", 0.25, source="litellm"),
        token_obs("openai", "gpt-4o-mini", "inference", "ft_input_per_1m", 0.30, source="openai_pricing",
                  observed_at=newer),
        token_obs("openai", "gpt-4o-mini", "inference", "ft_input_per_1m", 0.35, source="openai_pricing"),
    ])
    assert find_token_price(snap, "openai", "gpt-4o-mini", None, ["inference"], "ft_input_per_1m").usd == 0.35
