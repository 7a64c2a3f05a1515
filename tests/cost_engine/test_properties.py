"""Property tests: cost grows with tokens, epochs and price, and is never negative."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cost_engine.compute import ModelArch, TrainingSetup, gpu_training_time, hosted_training_cost
from cost_engine.gpus import GPU_SPECS

ARCH = ModelArch(8.03e9, 32, 4096, 128256)
tokens = st.floats(min_value=1e5, max_value=5e9)
price = st.floats(min_value=0.01, max_value=100)
methods = st.sampled_from(["full", "lora", "qlora"])
gpus = st.sampled_from(sorted(GPU_SPECS))
counts = st.sampled_from([1, 2, 4, 8])


@settings(max_examples=60, deadline=None)
@given(tokens, st.floats(min_value=1.01, max_value=10), methods, gpus, counts)
def test_gpu_hours_grow_with_tokens(t, factor, method, gpu, n):
    a = gpu_training_time(ARCH, TrainingSetup(method, t), GPU_SPECS[gpu], n)
    b = gpu_training_time(ARCH, TrainingSetup(method, t * factor), GPU_SPECS[gpu], n)
    assert b.gpu_hours.mid > a.gpu_hours.mid > 0
    assert 0 < a.gpu_hours.low <= a.gpu_hours.mid <= a.gpu_hours.high


@settings(max_examples=60, deadline=None)
@given(st.floats(min_value=1e3, max_value=1e7), st.integers(min_value=1, max_value=9), price)
def test_hosted_cost_grows_with_epochs(per_epoch, epochs, usd):
    assert hosted_training_cost(per_epoch * (epochs + 1), usd) > hosted_training_cost(per_epoch * epochs, usd) >= 0


@settings(max_examples=60, deadline=None)
@given(tokens, price, st.floats(min_value=1.01, max_value=5), st.one_of(st.none(), price))
def test_hosted_cost_grows_with_price_and_is_never_negative(t, usd, factor, minimum):
    low, high = hosted_training_cost(t, usd, minimum), hosted_training_cost(t, usd * factor, minimum)
    assert 0 <= low <= high
    if minimum is None:
        assert high > low


@settings(max_examples=40, deadline=None)
@given(price, st.floats(min_value=1.01, max_value=5), st.sampled_from(["route_qlora_8b_1xa100", "weekend_lora_7b"]))
def test_a_route_costs_in_proportion_to_its_hourly_price(usd, factor, scenario):
    # The same route priced at usd and at usd × factor: every run hour is paid at that price.
    from cost_engine.catalogue import load_catalogue
    from cost_engine.pricing import price_scenario
    from tests.cost_engine.ce_snapshots import gpu_price, snapshot

    catalogue = load_catalogue()

    def compute(p: float) -> float:
        snap = snapshot(gpu=[gpu_price("runpod", "A100 SXM 80GB", "community", p)])
        routes = {e.route: e for e in price_scenario(catalogue.scenario(scenario), catalogue, snap)}
        usd = routes["gpu:A100 SXM 80GB:1"].layers["compute"].usd
        assert usd is not None
        return usd.mid

    low, high = compute(usd), compute(usd * factor)
    assert 0 < low < high and high / low == pytest.approx(factor, rel=1e-9)
