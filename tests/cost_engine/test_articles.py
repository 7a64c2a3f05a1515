"""The seed articles' own worked examples, reproduced from the prices the articles state.

Hosted examples are token arithmetic and must match the article's figure (to the article's own
rounding). Self-hosted ones are derived from FLOPs, so the estimate must fall inside the article's
range of hours and dollars. Each case names its seed article by file name.
"""
from __future__ import annotations

import pytest

from cost_engine.catalogue import load_catalogue
from cost_engine.pricing import price_scenario
from tests.cost_engine.ce_snapshots import gpu_price, snapshot, token_obs

CATALOGUE = load_catalogue()


def _route(scenario: str, route: str, snap):
    estimates = {e.route: e for e in price_scenario(CATALOGUE.scenario(scenario), CATALOGUE, snap)}
    return estimates[route]


A000, A001, A003, A004 = ("000_91dabb329c97c9de.txt", "001_17b199f7883ecf40.txt", "003_523fdf2502e82abb.txt",
                          "004_987e83a138fa6d38.txt")
HOSTED = [
    # (article, scenario, route, provider, model id or bucket, method, $/1M stated, article's figure, tolerance)
    (A000, "hosted_100k_tokens_3ep", "hosted:together:llama-3.1-8b", "together", "<=16B", "sft_lora", 0.48, 0.15, 0.01),
    (A000, "hosted_100k_tokens_3ep", "hosted:openai:gpt-4o-mini",
     "openai", "gpt-4o-mini-2024-07-18", "sft_full", 3.00, 0.90, 1e-9),
    (A000, "hosted_100k_tokens_3ep", "hosted:openai:gpt-4o",
     "openai", "gpt-4o-2024-08-06", "sft_full", 25.00, 7.50, 1e-9),
    (A000, "hosted_100k_tokens_3ep", "hosted:openai:gpt-4.1",
     "openai", "gpt-4.1-2025-04-14", "sft_full", 25.00, 7.50, 1e-9),
    (A003, "hosted_1k_x_500_3ep", "hosted:together:llama-3.1-8b", "together", "<=16B", "sft_lora", 0.48, 0.72, 1e-9),
    (A003, "hosted_1k_x_500_3ep", "hosted:vertex:gemini-2.0-flash",
     "vertex", "gemini-2.0-flash", "sft_full", 2.00, 3.00, 1e-9),
    (A003, "hosted_1k_x_500_3ep", "hosted:openai:gpt-4o-mini",
     "openai", "gpt-4o-mini-2024-07-18", "sft_full", 3.00, 4.50, 1e-9),
    (A003, "hosted_1k_x_500_3ep", "hosted:openai:gpt-4.1-mini",
     "openai", "gpt-4.1-mini-2025-04-14", "sft_full", 4.00, 6.00, 1e-9),
    (A003, "hosted_1k_x_500_3ep", "hosted:openai:gpt-4o",
     "openai", "gpt-4o-2024-08-06", "sft_full", 25.00, 37.50, 1e-9),
    (A003, "hosted_1k_x_500_3ep_70b", "hosted:together:llama-3.3-70b",
     "together", "70B-100B", "sft_lora", 5.00, 7.50, 1e-9),
    (A004, "hosted_10k_x_512_3ep", "hosted:openai:gpt-4o-mini",
     "openai", "gpt-4o-mini-2024-07-18", "sft_full", 8.00, 123.0, 0.5),
    (A001, "hosted_50k_x_512", "hosted:together:llama-3.1-8b", "together", "<=16B", "sft_lora", 0.48, 12.29, 0.005),
    (A001, "hosted_50k_x_512", "hosted:vertex:gemini-2.0-flash",
     "vertex", "gemini-2.0-flash", "sft_full", 3.00, 76.80, 1e-9),
    (A001, "hosted_50k_x_512", "hosted:openai:gpt-4o", "openai", "gpt-4o-2024-08-06", "sft_full", 25.00, 640.0, 1e-9),
]


@pytest.mark.parametrize("article,scenario,route,provider,model,method,usd_per_1m,expected,tol", HOSTED,
                         ids=[f"{c[0][:3]}-{c[1]}-{c[2]}" for c in HOSTED])
def test_hosted_worked_example(article, scenario, route, provider, model, method, usd_per_1m, expected, tol):
    snap = snapshot(tokens=[token_obs(provider, model, method, "training_per_1m_tokens", usd_per_1m)])
    est = _route(scenario, route, snap)
    assert est.available, est.reason
    assert est.layers["compute"].usd.mid == pytest.approx(expected, abs=tol)


SELF_HOSTED = [
    # (article, scenario, route, provider, tier, GPU, $/GPU-hour stated, (hours lo, hi), ($ lo, hi))
    (A000, "route_qlora_8b_1xa100", "A100 SXM 80GB", 1, 1.30, (4, 8), (5, 20)),
    (A001, "route_qlora_8b_1xa100", "A100 SXM 80GB", 1, 1.64, (2, 8), (3.28, 13.12)),
    (A000, "route_lora_13b_2xa100", "A100 SXM 80GB", 2, 1.30, (None, None), (20, 40)),
    (A000, "route_qlora_70b_1xh100", "H100 SXM 80GB", 1, 2.69, (12, 24), (30, 60)),
    (A000, "route_full_7b_8xa100", "A100 SXM 80GB", 8, 1.30, (24, 48), (250, 500)),
    (A000, "route_full_70b_8xh100", "H100 SXM 80GB", 8, 4.29, (72, 168), (4000, 12000)),
    (A000, "weekend_lora_7b", "A100 SXM 80GB", 1, 1.30, (None, None), (10, 30)),
]


@pytest.mark.parametrize("article,scenario,gpu,count,usd,hours,dollars", SELF_HOSTED,
                         ids=[f"{c[0][:3]}-{c[1]}-{c[5]}" for c in SELF_HOSTED])
def test_self_hosted_worked_example_falls_in_the_article_range(article, scenario, gpu, count, usd, hours, dollars):
    snap = snapshot(gpu=[gpu_price("runpod", gpu, "community", usd)])
    est = _route(scenario, f"gpu:{gpu}:{count}", snap)
    assert est.available, est.reason
    compute = est.layers["compute"]
    if hours[0] is not None:
        assert hours[0] <= compute.inputs["wall_hours"][1] <= hours[1]
    assert dollars[0] <= compute.usd.mid <= dollars[1]


def test_full_70b_on_8_h100_stays_available_but_says_offload_is_required():
    snap = snapshot(gpu=[gpu_price("lambda", "H100 SXM 80GB", "on_demand", 4.29, count=8)])
    est = _route("route_full_70b_8xh100", "gpu:H100 SXM 80GB:8", snap)
    assert est.available
    assert "requires CPU optimizer offload" in est.reason


def test_startup_scenario_first_month_is_in_the_article_total_range():
    # 000 table: "Startup SFT (7B, hosted API, 2K examples) ... $5,500–12,500"; OpenAI GPT-4o-mini
    # prices from 004 ($0.30/$1.20 fine-tuned, $0.15/$0.60 base) and 000 ($3/1M training).
    m = "gpt-4o-mini-2024-07-18"
    snap = snapshot(tokens=[token_obs("openai", m, "sft_full", "training_per_1m_tokens", 3.0),
                            token_obs("openai", m, "inference", "ft_input_per_1m", 0.30),
                            token_obs("openai", m, "inference", "ft_output_per_1m", 1.20),
                            token_obs("openai", m, "inference", "base_input_per_1m", 0.15),
                            token_obs("openai", m, "inference", "base_output_per_1m", 0.60)])
    est = _route("startup_sft_7b_hosted", "hosted:openai:gpt-4o-mini", snap)
    assert 5500 <= est.total.low and est.total.high <= 12500
