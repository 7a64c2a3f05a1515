"""Routes stopped by lifecycle events (matched to the exact snapshot priced) or missing prices.

Events are those of the bundled snapshots/openai_deprecations/2026-08-20T000000Z.md (the
fine-tuning wind-down, gpt-4o-2024-05-13's retirement) and snapshots/vertex_pricing; prices are
seed article 000's.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from cost_engine.availability import event_covers, scenarios_affected, scope_applies
from cost_engine.catalogue import load_catalogue
from cost_engine.pricing import price_scenario
from cost_engine.snapshot import Event
from tests.cost_engine.ce_snapshots import AS_OF, gpu_price, snapshot, token_obs
from warehouse.policy import default_policy

CATALOGUE = load_catalogue()
OPENAI_MINI = [token_obs("openai", "gpt-4o-mini-2024-07-18", "sft_full", "training_per_1m_tokens", 3.0)]
NOV = datetime(2026, 10, 30)   # prices observed two days before the 2026-11-01 pricing day
OPENAI_4O = [token_obs("openai", "gpt-4o-2024-08-06", "sft_full", "training_per_1m_tokens", 25.0, observed_at=NOV)]
OPENAI_MINI_NOV = [token_obs("openai", "gpt-4o-mini-2024-07-18", "sft_full", "training_per_1m_tokens", 3.0,
                             observed_at=NOV)]
TOGETHER = [token_obs("together", "<=16B", "sft_lora", "training_per_1m_tokens", 0.48)]
NEVER = "organisations that have never fine-tuned"
INACTIVE = "organisations with no fine-tuned model inference in the past 60 days"
SEEN = datetime(2026, 8, 20)   # when openai_deprecations first listed the wind-down


def _routes(scenario: str, snap, catalogue=CATALOGUE):
    return {e.route: e for e in price_scenario(catalogue.scenario(scenario), catalogue, snap)}


def _as(profile: str, snap):
    snap.policy = replace(default_policy(), customer_profile=profile)
    return snap


def test_in_effect_training_unavailable_event_stops_the_route_and_names_the_event():
    ev = Event("openai", "*", "training_unavailable", date(2026, 5, 7), scope=NEVER, first_seen_at=SEEN)
    routes = _routes("hosted_1k_x_500_3ep", snapshot(tokens=OPENAI_MINI + TOGETHER, events=[ev]))
    stopped = routes["hosted:openai:gpt-4o-mini"]
    assert stopped.status == "unavailable"
    assert "training_unavailable" in stopped.reason and "2026-05-07" in stopped.reason
    assert routes["hosted:together:llama-3.1-8b"].available


def test_a_past_day_says_when_an_event_was_first_seen():
    ev = Event("openai", "*", "training_unavailable", date(2026, 5, 7), scope=NEVER, first_seen_at=SEEN)
    route = _routes("hosted_1k_x_500_3ep", snapshot(tokens=OPENAI_MINI, events=[ev]))["hosted:openai:gpt-4o-mini"]
    assert "first seen 2026-08-20, after the priced day" in route.reason    # AS_OF is 2026-06-01


def test_a_retired_snapshot_stops_only_that_snapshot():
    # gpt-4o-2024-05-13 retires 2026-10-23 (replacement gpt-5.6-sol); the priced snapshot is gpt-4o-2024-08-06.
    ev = Event("openai", "gpt-4o-2024-05-13", "retired", date(2026, 10, 23), replacement="gpt-5.6-sol")
    snap = snapshot(tokens=OPENAI_4O, events=[ev], as_of=date(2026, 11, 1))
    assert _routes("hosted_1k_x_500_3ep", snap)["hosted:openai:gpt-4o"].available
    assert event_covers("gpt-4o", "gpt-4o-2024-08-06") and not event_covers("gpt-4o-2024-05-13", "gpt-4o-2024-08-06")


def test_a_retired_priced_snapshot_names_the_providers_replacement():
    ev = Event("openai", "gpt-4o-2024-08-06", "retired", date(2026, 10, 23), replacement="gpt-5.6-sol")
    snap = snapshot(tokens=OPENAI_4O, events=[ev], as_of=date(2026, 11, 1))
    route = _routes("hosted_1k_x_500_3ep", snap)["hosted:openai:gpt-4o"]
    assert route.status == "unavailable" and "openai names gpt-5.6-sol as the replacement" in route.reason


def test_event_not_yet_in_effect_is_a_notice_not_a_stop():
    ev = Event("openai", "*", "training_unavailable", date(2027, 1, 6))
    route = _routes("hosted_1k_x_500_3ep", snapshot(tokens=OPENAI_MINI, events=[ev]))["hosted:openai:gpt-4o-mini"]
    assert route.available
    assert route.layers["compute"].inputs["lifecycle_notices"][0]["effective_date"] == "2027-01-06"


def test_lifecycle_is_judged_on_the_lifecycle_day_not_the_price_day():
    # Vertex retires gemini-2.0-flash on 2026-06-01; prices of 2026-05-20 judged on 2026-06-02.
    ev = Event("vertex", "gemini-2.0-flash", "retired", date(2026, 6, 1), replacement="gemini-3.1-flash-lite")
    price = [token_obs("vertex", "gemini-2.0-flash", "sft_full", "training_per_1m_tokens", 3.0)]
    then = snapshot(tokens=price, events=[ev], as_of=date(2026, 5, 20))
    assert _routes("hosted_1k_x_500_3ep", then)["hosted:vertex:gemini-2.0-flash"].available
    then.lifecycle_date = date(2026, 6, 2)
    assert _routes("hosted_1k_x_500_3ep", then)["hosted:vertex:gemini-2.0-flash"].status == "unavailable"


def test_scoped_event_follows_the_customer_profile():
    assert scope_applies(NEVER, "new")[0] and not scope_applies(NEVER, "inactive")[0]
    assert scope_applies(INACTIVE, "inactive")[0] and not scope_applies(INACTIVE, "active")[0]
    assert scope_applies("", "active")[0]


def test_active_customer_can_still_train_under_the_new_customer_stop():
    events = [Event("openai", "*", "training_unavailable", date(2026, 5, 7), scope=NEVER),
              Event("openai", "*", "training_unavailable", date(2026, 7, 2), scope=INACTIVE)]
    snap = _as("active", snapshot(tokens=OPENAI_MINI_NOV, events=events, as_of=date(2026, 11, 1)))
    assert _routes("hosted_1k_x_500_3ep", snap)["hosted:openai:gpt-4o-mini"].available
    snap = _as("inactive", snapshot(tokens=OPENAI_MINI_NOV, events=events, as_of=date(2026, 11, 1)))
    assert _routes("hosted_1k_x_500_3ep", snap)["hosted:openai:gpt-4o-mini"].status == "unavailable"


def test_route_without_a_price_is_unpriced_with_the_reason():
    routes = _routes("hosted_1k_x_500_3ep", snapshot(tokens=TOGETHER))
    assert routes["hosted:openai:gpt-4o"].status == "unpriced"
    assert "no training price for openai gpt-4o" in routes["hosted:openai:gpt-4o"].reason


def test_gpu_route_without_any_offer_is_unpriced():
    routes = _routes("route_qlora_8b_1xa100", snapshot())
    assert list(routes) == ["gpu:A100 SXM 80GB:1"]
    assert routes["gpu:A100 SXM 80GB:1"].status == "unpriced"
    assert "no offer of 1 or more A100 SXM 80GB GPUs" in routes["gpu:A100 SXM 80GB:1"].reason


def test_spot_and_on_demand_are_separate_routes_and_a_larger_instance_is_not_the_best_offer():
    snap = snapshot(gpu=[gpu_price("runpod", "A100 SXM 80GB", "community", 1.64),
                         gpu_price("runpod", "A100 SXM 80GB", "community_spot", 1.30),
                         gpu_price("lambda", "A100 SXM 80GB", "on_demand", 1.29, count=8)])
    routes = _routes("route_qlora_8b_1xa100", snap)
    assert set(routes) == {"gpu:A100 SXM 80GB:1", "gpu:A100 SXM 80GB:1:runpod:community",
                           "gpu:A100 SXM 80GB:1:runpod:community_spot", "gpu:A100 SXM 80GB:1:lambda:on_demand"}
    # The best 1-GPU offer is a 1-GPU instance ($1.30 spot), never Lambda's 8-GPU one (8 × 1.29 = $10.32/h).
    assert routes["gpu:A100 SXM 80GB:1"].provenance[0]["usd"] == 1.30
    assert routes["gpu:A100 SXM 80GB:1:lambda:on_demand"].summary["usd_per_hour"] == 10.32


def test_inference_shutdown_of_the_fine_tuned_snapshot_stops_routes_that_serve_it():
    ev = {"provider": "openai", "model": "ft:gpt-4o-mini-2024-07-18", "event": "inference_shutdown",
          "effective_date": date(2026, 1, 1), "scope": ""}
    assert "startup_sft_7b_hosted" in scenarios_affected(ev, CATALOGUE)
    assert "hosted_1k_x_500_3ep" not in scenarios_affected(ev, CATALOGUE)


def test_scenarios_affected_by_openai_wind_down_are_those_with_openai_routes():
    ev = Event("openai", "*", "training_unavailable", date(2026, 5, 7), scope=NEVER)
    affected = scenarios_affected(ev, CATALOGUE, profile="new")
    assert "startup_sft_7b_hosted" in affected and "hosted_50k_x_512" in affected
    assert "weekend_lora_7b" not in affected
    assert scenarios_affected(ev, CATALOGUE, profile="active") == []


def test_deprecation_only_annotates():
    ev = Event("openai", "gpt-4o-mini", "deprecated", AS_OF)
    assert scenarios_affected(ev, CATALOGUE) == []


def test_lora_scenario_never_uses_a_full_fine_tuning_price_on_together():
    snap = snapshot(tokens=[token_obs("together", "70B-100B", "sft_full", "training_per_1m_tokens", 3.20)])
    route = _routes("hosted_1k_x_500_3ep_70b", snap)["hosted:together:llama-3.3-70b"]
    assert not route.available and "no training price" in route.reason


FIREWORKS_8B = [token_obs("fireworks", "<=16B", "sft_lora", "training_per_1m_tokens", 0.5),
                token_obs("fireworks", "4.1B-16B", "inference", "base_input_per_1m", 0.2, source="litellm"),
                token_obs("fireworks", "4.1B-16B", "inference", "base_output_per_1m", 0.2, source="litellm")]


def test_a_provider_that_serves_fine_tunes_at_base_price_is_priced_from_its_base_price():
    route = _routes("startup_sft_7b_hosted", snapshot(tokens=FIREWORKS_8B))["hosted:fireworks:llama-3.1-8b"]
    assert route.available, route.reason
    inference = route.layers["inference"].inputs
    assert "base-model price" in inference["ft_price_basis"]
    assert len([p for p in route.provenance if p.get("price_kind") == "base_input_per_1m"]) == 1


RESERVED = [gpu_price("runpod", "A100 SXM 80GB", "reserved_1m", 0.99),   # synthetic commitment prices
            gpu_price("runpod", "A100 SXM 80GB", "cluster", 0.95, count=8),
            gpu_price("runpod", "A100 SXM 80GB", "community", 1.64),
            gpu_price("runpod", "A100 SXM 80GB", "community_spot", 1.30)]


def test_plain_gpu_route_never_prices_or_lists_commitment_tiers():
    routes = _routes("route_qlora_8b_1xa100", snapshot(gpu=RESERVED))
    assert set(routes) == {"gpu:A100 SXM 80GB:1", "gpu:A100 SXM 80GB:1:runpod:community",
                           "gpu:A100 SXM 80GB:1:runpod:community_spot"}
    assert routes["gpu:A100 SXM 80GB:1"].provenance[0]["tier"] == "community_spot"


def test_serving_skips_commitment_and_interruptible_tiers_unless_named():
    routes = _routes("midmarket_lora_13b", snapshot(gpu=RESERVED))
    assert routes["gpu:A100 SXM 80GB:2"].layers["serving"].inputs["price"]["tier"] == "community"
    midmarket = CATALOGUE.scenario("midmarket_lora_13b")
    assert midmarket.serving is not None
    named = CATALOGUE.model_copy(update={"scenarios": [midmarket.model_copy(
        update={"serving": midmarket.serving.model_copy(update={"tiers": ["reserved_1m"]})})]})
    routes = _routes("midmarket_lora_13b", snapshot(gpu=RESERVED), named)
    assert routes["gpu:A100 SXM 80GB:2"].layers["serving"].inputs["price"]["tier"] == "reserved_1m"


def test_a_route_that_names_a_commitment_tier_prices_it():
    scenario = CATALOGUE.scenario("route_qlora_8b_1xa100").model_copy(
        update={"routes": ["gpu:A100 SXM 80GB:1:runpod:reserved_1m"]})
    catalogue = CATALOGUE.model_copy(update={"scenarios": [scenario]})
    routes = _routes("route_qlora_8b_1xa100", snapshot(gpu=RESERVED), catalogue)
    route = routes["gpu:A100 SXM 80GB:1:runpod:reserved_1m"]
    assert route.available and route.provenance[0]["usd"] == 0.99
