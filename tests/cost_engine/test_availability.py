"""Routes stopped by lifecycle events or missing prices; the cheapest route among the rest."""
from __future__ import annotations

from datetime import date

from cost_engine.availability import scenarios_affected, scope_applies
from cost_engine.catalogue import load_catalogue
from cost_engine.pricing import price_scenario
from cost_engine.snapshot import Event
from tests.cost_engine.ce_snapshots import AS_OF, gpu_price, snapshot, token_obs

CATALOGUE = load_catalogue()
OPENAI_MINI = [token_obs("openai", "gpt-4o-mini-2024-07-18", "sft_full", "training_per_1m_tokens", 3.0)]
TOGETHER = [token_obs("together", "<=16B", "sft_lora", "training_per_1m_tokens", 0.48)]
NEVER = "organisations that have never fine-tuned"
INACTIVE = "organisations with no fine-tuned model inference in the past 60 days"


def _routes(scenario: str, snap, catalogue=CATALOGUE):
    return {e.route: e for e in price_scenario(catalogue.scenario(scenario), catalogue, snap)}


def test_in_effect_training_unavailable_event_stops_the_route_and_names_the_event():
    ev = Event("openai", "*", "training_unavailable", date(2026, 5, 7), scope=NEVER)
    routes = _routes("hosted_1k_x_500_3ep", snapshot(tokens=OPENAI_MINI + TOGETHER, events=[ev]))
    stopped = routes["hosted:openai:gpt-4o-mini"]
    assert not stopped.available
    assert "training_unavailable" in stopped.reason and "2026-05-07" in stopped.reason
    assert routes["hosted:together:llama-3.1-8b"].available


def test_event_not_yet_in_effect_is_a_notice_not_a_stop():
    ev = Event("openai", "*", "training_unavailable", date(2027, 1, 6))
    route = _routes("hosted_1k_x_500_3ep", snapshot(tokens=OPENAI_MINI, events=[ev]))["hosted:openai:gpt-4o-mini"]
    assert route.available
    assert route.layers["compute"].inputs["lifecycle_notices"][0]["effective_date"] == "2027-01-06"


def test_scoped_event_follows_the_customer_profile():
    assert scope_applies(NEVER, "new")[0] and not scope_applies(NEVER, "inactive")[0]
    assert scope_applies(INACTIVE, "inactive")[0] and not scope_applies(INACTIVE, "active")[0]
    assert scope_applies("", "active")[0]


def test_active_customer_can_still_train_under_the_new_customer_stop():
    active = CATALOGUE.model_copy(update={"customer_profile": "active"})
    ev = Event("openai", "*", "training_unavailable", date(2026, 5, 7), scope=NEVER)
    routes = _routes("hosted_1k_x_500_3ep", snapshot(tokens=OPENAI_MINI, events=[ev]), active)
    assert routes["hosted:openai:gpt-4o-mini"].available


def test_route_without_a_price_is_unavailable_with_the_reason():
    routes = _routes("hosted_1k_x_500_3ep", snapshot(tokens=TOGETHER))
    assert not routes["hosted:openai:gpt-4o"].available
    assert "no training price for openai gpt-4o" in routes["hosted:openai:gpt-4o"].reason


def test_gpu_route_without_any_offer_is_unavailable():
    routes = _routes("route_qlora_8b_1xa100", snapshot())
    assert list(routes) == ["gpu:A100 SXM 80GB:1"]
    assert not routes["gpu:A100 SXM 80GB:1"].available
    assert "no price for A100 SXM 80GB" in routes["gpu:A100 SXM 80GB:1"].reason


def test_cheapest_route_is_chosen_among_available_ones():
    ev = Event("together", "*", "training_unavailable", date(2026, 1, 1))
    routes = _routes("hosted_1k_x_500_3ep", snapshot(tokens=OPENAI_MINI + TOGETHER, events=[ev]))
    assert [r for r, e in routes.items() if e.cheapest] == ["hosted:openai:gpt-4o-mini"]


def test_spot_and_on_demand_are_separate_routes_and_the_cheapest_is_marked():
    snap = snapshot(gpu=[gpu_price("runpod", "A100 SXM 80GB", "community", 1.64),
                         gpu_price("runpod", "A100 SXM 80GB", "community_spot", 1.30),
                         gpu_price("lambda", "A100 SXM 80GB", "on_demand", 1.29, count=8)])
    routes = _routes("route_qlora_8b_1xa100", snap)
    assert set(routes) == {"gpu:A100 SXM 80GB:1", "gpu:A100 SXM 80GB:1:runpod:community",
                           "gpu:A100 SXM 80GB:1:runpod:community_spot", "gpu:A100 SXM 80GB:1:lambda:on_demand"}
    assert routes["gpu:A100 SXM 80GB:1"].provenance[0]["usd"] == 1.30   # the 8-GPU Lambda instance costs 8×


def test_inference_shutdown_of_the_fine_tuned_snapshot_stops_routes_that_serve_it():
    ev = {"provider": "openai", "model": "ft:gpt-4o-mini-2024-07-18", "event": "inference_shutdown",
          "effective_date": date(2026, 1, 1), "scope": ""}
    assert "startup_sft_7b_hosted" in scenarios_affected(ev, CATALOGUE)
    assert "hosted_1k_x_500_3ep" not in scenarios_affected(ev, CATALOGUE)


def test_scenarios_affected_by_openai_wind_down_are_those_with_openai_routes():
    ev = Event("openai", "*", "training_unavailable", date(2026, 5, 7), scope=NEVER)
    affected = scenarios_affected(ev, CATALOGUE)
    assert "startup_sft_7b_hosted" in affected and "hosted_50k_x_512" in affected
    assert "weekend_lora_7b" not in affected


def test_deprecation_only_annotates():
    ev = Event("openai", "gpt-4o-mini", "deprecated", AS_OF)
    assert scenarios_affected(ev, CATALOGUE) == []


def test_lora_scenario_never_uses_a_full_fine_tuning_price_on_together():
    snap = snapshot(tokens=[token_obs("together", "70B-100B", "sft_full", "training_per_1m_tokens", 3.20)])
    route = _routes("hosted_1k_x_500_3ep_70b", snap)["hosted:together:llama-3.3-70b"]
    assert not route.available and "no training price" in route.reason


def test_cheapest_route_prefers_fresh_prices_over_a_cheaper_stale_one():
    from datetime import datetime
    snap = snapshot(gpu=[gpu_price("runpod", "A100 SXM 80GB", "community_spot", 0.90, observed_at=datetime(2026, 1, 1)),
                         gpu_price("lambda", "A100 SXM 80GB", "on_demand", 1.29)])
    routes = _routes("route_qlora_8b_1xa100", snap)
    assert [r for r, e in routes.items() if e.cheapest] == ["gpu:A100 SXM 80GB:1"]
    assert "stale price" in routes["gpu:A100 SXM 80GB:1:runpod:community_spot"].reason


FIREWORKS_8B = [token_obs("fireworks", "<=16B", "sft_lora", "training_per_1m_tokens", 0.5),
                token_obs("fireworks", "4.1B-16B", "inference", "base_input_per_1m", 0.2, source="litellm"),
                token_obs("fireworks", "4.1B-16B", "inference", "base_output_per_1m", 0.2, source="litellm")]


def test_a_provider_that_serves_fine_tunes_at_base_price_is_priced_from_its_base_price():
    route = _routes("startup_sft_7b_hosted", snapshot(tokens=FIREWORKS_8B))["hosted:fireworks:llama-3.1-8b"]
    assert route.available, route.reason
    inference = route.layers["inference"].inputs
    assert "base-model price" in inference["ft_price_basis"]
    assert inference["ft_usd_per_month"] > 0
    assert len([p for p in route.provenance if p.get("price_kind") == "base_input_per_1m"]) == 1


def test_other_providers_still_need_a_published_fine_tuned_price():
    together = [token_obs("together", "<=16B", "sft_lora", "training_per_1m_tokens", 0.48),
                token_obs("together", "4.1B-8B", "inference", "base_input_per_1m", 0.18, source="litellm"),
                token_obs("together", "4.1B-8B", "inference", "base_output_per_1m", 0.18, source="litellm")]
    route = _routes("startup_sft_7b_hosted", snapshot(tokens=together))["hosted:together:llama-3.1-8b"]
    assert not route.available and "no fine-tuned inference price" in route.reason


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
    named = CATALOGUE.model_copy(update={"scenarios": [CATALOGUE.scenario("midmarket_lora_13b").model_copy(
        update={"serving": CATALOGUE.scenario("midmarket_lora_13b").serving.model_copy(
            update={"tiers": ["reserved_1m"]})})]})
    routes = _routes("midmarket_lora_13b", snapshot(gpu=RESERVED), named)
    assert routes["gpu:A100 SXM 80GB:2"].layers["serving"].inputs["price"]["tier"] == "reserved_1m"


def test_a_route_that_names_a_commitment_tier_prices_it():
    scenario = CATALOGUE.scenario("route_qlora_8b_1xa100").model_copy(
        update={"routes": ["gpu:A100 SXM 80GB:1:runpod:reserved_1m"]})
    catalogue = CATALOGUE.model_copy(update={"scenarios": [scenario]})
    route = _routes("route_qlora_8b_1xa100", snapshot(gpu=RESERVED), catalogue)["gpu:A100 SXM 80GB:1:runpod:reserved_1m"]
    assert route.available and route.provenance[0]["usd"] == 0.99
