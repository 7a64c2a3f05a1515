"""Route pricing: break-even on the whole one-off cost, and work shared by a scenario's routes."""
from __future__ import annotations

import pytest

from cost_engine import pricing
from cost_engine.catalogue import load_catalogue
from cost_engine.pricing import price_scenario
from tests.cost_engine.ce_snapshots import gpu_price, snapshot, token_obs

CATALOGUE = load_catalogue()
# Synthetic prices: Fireworks serves fine-tunes at the base price (catalogue evidence), so the
# fine-tuned model saves the base model's 500 extra prompt tokens per request.
FIREWORKS_8B = [token_obs("fireworks", "<=16B", "sft_lora", "training_per_1m_tokens", 0.5),
                token_obs("fireworks", "4.1B-16B", "inference", "base_input_per_1m", 0.2, source="litellm"),
                token_obs("fireworks", "4.1B-16B", "inference", "base_output_per_1m", 0.2, source="litellm")]


def test_break_even_counts_compute_data_and_engineering():
    scenario = CATALOGUE.scenario("startup_sft_7b_hosted")
    route = {e.route: e for e in price_scenario(scenario, CATALOGUE, snapshot(tokens=FIREWORKS_8B))}[
        "hosted:fireworks:llama-3.1-8b"]
    inference = route.layers["inference"].inputs
    saving = inference["base_usd_per_month"] - inference["ft_usd_per_month"]
    one_off = sum(route.layers[n].usd.mid for n in ("compute", "data", "engineering"))
    assert saving > 0
    assert inference["one_off_usd"] == pytest.approx(one_off, abs=1e-3)
    assert inference["break_even_months"] == pytest.approx(one_off / saving, abs=1e-3)
    assert inference["break_even_months_training_only"] == pytest.approx(
        route.layers["compute"].usd.mid / saving, abs=1e-3)
    assert inference["break_even_months"] > inference["break_even_months_training_only"]


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
    snap = snapshot(gpu=[gpu_price("runpod", "A100 SXM 80GB", "community", 1.64),
                         gpu_price("runpod", "A100 SXM 80GB", "community_spot", 1.30),
                         gpu_price("lambda", "A100 SXM 80GB", "on_demand", 1.29),
                         gpu_price("runpod", "H100 SXM 80GB", "community", 2.69)])
    routes = price_scenario(CATALOGUE.scenario("midmarket_lora_13b"), CATALOGUE, snap)
    assert len(routes) == 6   # 2 cheapest routes + 3 A100 and 1 H100 provider/tier routes
    assert calls == {"time": 2, "serving": 1}   # (A100, 2) and (H100, 1)
    assert len({id(r.layers["serving"]) for r in routes}) == 1
