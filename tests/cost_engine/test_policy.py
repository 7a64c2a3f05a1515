"""The one freshness policy: per-source-kind maximum ages, overrides, and bad values as one line."""
from __future__ import annotations

import pytest

from cost_engine.policy import (
    BASIS_AGGREGATOR,
    BASIS_CURATED,
    BASIS_PROVIDER,
    BASIS_RECONSTRUCTED,
    PolicyError,
    basis,
    default_policy,
    load_policy,
    parse_max_age,
)

POLICY = default_policy()


def test_bundled_defaults_per_source_kind():
    # cost_engine/policy.yaml
    assert dict(POLICY.max_age_days) == {"gpu_marketplace": 7, "gpu_provider": 30, "token_provider": 90,
                                         "aggregator": 90, "curated": 365}
    assert POLICY.customer_profile == "new" and POLICY.spot_interruption_allowance == 0.15


def test_every_source_has_a_kind_and_a_new_gpu_collector_is_a_provider():
    assert POLICY.source_kind("vastai", gpu=True) == "gpu_marketplace"
    assert POLICY.source_kind("lambda", gpu=True) == "gpu_provider"
    assert POLICY.source_kind("some_new_cloud", gpu=True) == "gpu_provider"
    assert POLICY.source_kind("openai_pricing", gpu=False) == "token_provider"
    assert POLICY.source_kind("litellm", gpu=False) == "aggregator"
    assert POLICY.source_kind("curated_sheet", gpu=False) == "curated"


def test_environment_overrides_the_file():
    policy = load_policy(env={"PRICEWATCH_MAX_PRICE_AGE": "gpu_provider=14, aggregator=30",
                              "PRICEWATCH_CURATED_MAX_AGE_DAYS": "200", "PRICEWATCH_CUSTOMER_PROFILE": "active",
                              "PRICEWATCH_SPOT_ALLOWANCE": "0.25"})
    assert (policy.max_age_days["gpu_provider"], policy.max_age_days["aggregator"]) == (14, 30)
    assert policy.max_age_days["curated"] == 200 and policy.max_age_days["token_provider"] == 90
    assert policy.customer_profile == "active" and policy.spot_interruption_allowance == 0.25


def test_command_overrides_win_over_the_environment():
    policy = load_policy(env={"PRICEWATCH_CUSTOMER_PROFILE": "active"}).with_overrides(
        customer_profile="inactive", max_age={"curated": 30}, spot_allowance=0.0)
    assert (policy.customer_profile, policy.max_age_days["curated"], policy.spot_interruption_allowance) == \
        ("inactive", 30, 0.0)


@pytest.mark.parametrize("env,names", [
    ({"PRICEWATCH_MAX_PRICE_AGE": "gpu_provider=abc"}, "gpu_provider='abc'"),
    ({"PRICEWATCH_MAX_PRICE_AGE": "gpu_provider=-1"}, "gpu_provider='-1'"),
    ({"PRICEWATCH_MAX_PRICE_AGE": "gpu=7"}, "'gpu'"),
    ({"PRICEWATCH_MAX_PRICE_AGE": "14"}, "'14'"),
    ({"PRICEWATCH_CUSTOMER_PROFILE": "vip"}, "'vip'"),
    ({"PRICEWATCH_SPOT_ALLOWANCE": "nan"}, "'nan'"),
    ({"PRICEWATCH_SPOT_ALLOWANCE": "2"}, "'2'"),
    ({"PRICEWATCH_CURATED_MAX_AGE_DAYS": "1e9"}, "'1e9'"),
])
def test_a_bad_value_is_one_line_naming_it_and_the_valid_range(env, names):
    with pytest.raises(PolicyError) as info:
        load_policy(env=env)
    message = str(info.value)
    assert names in message and "\n" not in message


def test_a_bad_policy_file_is_one_line(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("max_price_age_days: {gpu_provider: 30}\n")
    with pytest.raises(PolicyError, match="lacks gpu_marketplace, token_provider, aggregator, curated"):
        load_policy(path, env={})


def test_parse_max_age_reads_kind_equals_days():
    assert parse_max_age("gpu_provider=14 curated=200") == {"gpu_provider": 14, "curated": 200}


def test_basis_says_where_a_price_comes_from():
    assert basis("lambda", gpu=True, url="replay:lambda/2026-09-20T120546Z.html") == BASIS_PROVIDER
    assert basis("curated_sheet", gpu=False) == BASIS_CURATED
    assert basis("litellm", gpu=False) == BASIS_AGGREGATOR
    # snapshots/openai_pricing/2026-08-05T000000Z__reconstructed.md is a reconstruction, not the page
    assert basis("openai_pricing", gpu=False,
                 url="replay:openai_pricing/2026-08-05T000000Z__reconstructed.md") == BASIS_RECONSTRUCTED
