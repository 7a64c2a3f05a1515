"""Property tests: cost grows with tokens, epochs and price, and is never negative."""
from __future__ import annotations

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
@given(tokens, price, price, methods)
def test_gpu_route_cost_grows_with_price(t, p1, p2, method):
    est = gpu_training_time(ARCH, TrainingSetup(method, t), GPU_SPECS["H100 SXM 80GB"], 8)
    lo, hi = sorted([p1, p2])
    assert 0 <= est.gpu_hours.mid * lo <= est.gpu_hours.mid * hi
