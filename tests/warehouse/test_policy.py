"""The one freshness policy: per-source-kind maximum ages, overrides from the settings (environment
or <home>/pricewatch.toml) and the commands, and bad values as one line."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.settings import Settings, SettingsError, parse_max_price_age
from warehouse.policy import (
    BASIS_AGGREGATOR,
    BASIS_CATALOGUE,
    BASIS_CURATED,
    BASIS_PROVIDER,
    BASIS_RECONSTRUCTED,
    DEFAULT_POLICY,
    PolicyError,
    basis,
    default_policy,
    load_policy,
    read_policy_file,
)

POLICY = default_policy()


def settings(tmp_path: Path, **env: str) -> Settings:
    cwd = tmp_path / "cwd"
    cwd.mkdir(exist_ok=True)
    return Settings.from_env(env, cwd=cwd)


def test_bundled_defaults_per_source_kind():
    # warehouse/policy.yaml
    assert dict(POLICY.max_age_days) == {"gpu_marketplace": 7, "gpu_provider": 30, "token_provider": 90,
                                         "aggregator": 90, "curated": 365}
    assert POLICY.customer_profile == "new" and POLICY.spot_interruption_allowance == 0.15
    assert POLICY.skip_unavailable_offers is True


def test_every_source_has_a_kind_and_a_new_gpu_collector_is_a_provider():
    assert POLICY.source_kind("vastai", gpu=True) == "gpu_marketplace"
    assert POLICY.source_kind("lambda", gpu=True) == "gpu_provider"
    assert POLICY.source_kind("some_new_cloud", gpu=True) == "gpu_provider"
    assert POLICY.source_kind("openai_pricing", gpu=False) == "token_provider"
    assert POLICY.source_kind("litellm", gpu=False) == "aggregator"
    assert POLICY.source_kind("curated_sheet", gpu=False) == "curated"


def test_the_environment_overrides_the_file(tmp_path):
    policy = load_policy(settings(tmp_path, PRICEWATCH_MAX_PRICE_AGE="gpu_provider=14, aggregator=30",
                                  PRICEWATCH_CURATED_MAX_AGE_DAYS="200", PRICEWATCH_CUSTOMER_PROFILE="active",
                                  PRICEWATCH_SPOT_ALLOWANCE="0.25"))
    assert (policy.max_age_days["gpu_provider"], policy.max_age_days["aggregator"]) == (14, 30)
    assert policy.max_age_days["curated"] == 200 and policy.max_age_days["token_provider"] == 90
    assert policy.customer_profile == "active" and policy.spot_interruption_allowance == 0.25


def test_the_config_file_in_the_home_sets_the_cost_settings_and_the_environment_wins(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "pricewatch.toml").write_text('customer_profile = "inactive"\nspot_allowance = 0.3\n'
                                          "[max_price_age]\ngpu_provider = 10\ncurated = 100\n")
    policy = load_policy(settings(tmp_path, PRICEWATCH_HOME=str(home), PRICEWATCH_SPOT_ALLOWANCE="0.2"))
    assert policy.customer_profile == "inactive" and policy.spot_interruption_allowance == 0.2
    assert (policy.max_age_days["gpu_provider"], policy.max_age_days["curated"]) == (10, 100)


def test_another_policy_file_from_the_settings(tmp_path):
    other = tmp_path / "policy.yaml"
    other.write_text(Path("warehouse/policy.yaml").read_text().replace("gpu_marketplace: 7", "gpu_marketplace: 2"))
    assert load_policy(settings(tmp_path, PRICEWATCH_COST_POLICY=str(other))).max_age_days["gpu_marketplace"] == 2


def test_command_overrides_win_over_the_settings(tmp_path):
    policy = load_policy(settings(tmp_path, PRICEWATCH_CUSTOMER_PROFILE="active")).with_overrides(
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
    ({"PRICEWATCH_COST_POLICY": "/no/such/policy.yaml"}, "/no/such/policy.yaml"),
])
def test_a_bad_setting_is_one_line_naming_the_variable_and_the_value(tmp_path, env, names):
    with pytest.raises(SettingsError) as info:
        settings(tmp_path, **env)
    message = str(info.value)
    assert names in message and list(env)[0] in message and "\n" not in message


def test_a_bad_policy_file_is_one_line(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("max_price_age_days: {gpu_provider: 30}\n")
    with pytest.raises(PolicyError, match="lacks gpu_marketplace, token_provider, aggregator, curated"):
        read_policy_file(path)


def test_parse_max_price_age_reads_kind_equals_days_or_a_table():
    assert parse_max_price_age("gpu_provider=14 curated=200") == {"gpu_provider": 14, "curated": 200}
    assert parse_max_price_age({"gpu_provider": 14}) == {"gpu_provider": 14}


def test_basis_says_where_a_price_comes_from():
    assert basis("lambda", gpu=True, url="replay:lambda/2026-09-20T120546Z.html") == BASIS_PROVIDER
    assert basis("skypilot_catalog", gpu=True) == BASIS_CATALOGUE     # a catalogue row is the catalogue's
    assert basis("curated_sheet", gpu=False) == BASIS_CURATED
    assert basis("litellm", gpu=False) == BASIS_AGGREGATOR
    # snapshots/openai_pricing/2026-08-05T000000Z__reconstructed.md is a reconstruction, not the page
    assert basis("openai_pricing", gpu=False,
                 url="replay:openai_pricing/2026-08-05T000000Z__reconstructed.md") == BASIS_RECONSTRUCTED


def test_a_policy_file_is_parsed_once_per_version_and_read_again_when_edited(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text(DEFAULT_POLICY.read_text())
    first = read_policy_file(path)
    assert read_policy_file(path) is first  # the same file: no second parse
    text = path.read_text().replace("customer_profile: new", "customer_profile: active")
    assert text != path.read_text()
    path.write_text(text)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # a later modification time
    assert read_policy_file(path).customer_profile == "active"
