"""The daily run's limits from the environment or the home's config file (core.settings):
defaults, overrides, bad values."""
from __future__ import annotations

import pytest

from core.settings import Settings, SettingsError


def limits(settings: Settings) -> tuple:
    return (settings.source_budget_s, settings.run_budget_s, settings.run_wait_s, settings.source_retries,
            settings.source_retry_delay_s)


def test_the_limits_have_defaults(tmp_path):
    assert limits(Settings.from_env({}, cwd=tmp_path)) == (300.0, 1200.0, 0.0, 2, 10.0)


def test_the_environment_sets_them(tmp_path):
    settings = Settings.from_env({"PRICEWATCH_SOURCE_BUDGET_S": "45", "PRICEWATCH_RUN_BUDGET_S": "600",
                                  "PRICEWATCH_RUN_WAIT_S": "120", "PRICEWATCH_SOURCE_RETRIES": "0",
                                  "PRICEWATCH_SOURCE_RETRY_DELAY_S": "2.5"}, cwd=tmp_path)
    assert limits(settings) == (45.0, 600.0, 120.0, 0, 2.5)
    assert isinstance(settings.source_retries, int)


def test_the_homes_config_file_sets_them_too(tmp_path):
    (tmp_path / "pricewatch.toml").write_text("source_budget_s = 60\nsource_retries = 1\n")
    settings = Settings.from_env({"PRICEWATCH_HOME": str(tmp_path)}, cwd=tmp_path)
    assert (settings.source_budget_s, settings.source_retries) == (60, 1)


@pytest.mark.parametrize(("variable", "value", "expected"), [
    ("PRICEWATCH_SOURCE_BUDGET_S", "0", "'0' is out of range; valid: 1 to 86400"),
    ("PRICEWATCH_RUN_BUDGET_S", "nan", "'nan' is out of range; valid: 1 to 86400"),
    ("PRICEWATCH_RUN_WAIT_S", "inf", "'inf' is out of range; valid: 0 to 86400"),
    ("PRICEWATCH_SOURCE_RETRIES", "2.5", "'2.5' is not a whole number; valid: 0 to 10 (a whole number)"),
    ("PRICEWATCH_SOURCE_RETRIES", "-1", "'-1' is out of range; valid: 0 to 10 (a whole number)"),
    ("PRICEWATCH_SOURCE_RETRY_DELAY_S", "soon", "'soon' is not a number; valid: 0 to 3600"),
])
def test_a_bad_value_names_the_variable_and_the_valid_range(tmp_path, variable, value, expected):
    with pytest.raises(SettingsError) as bad:
        Settings.from_env({variable: value}, cwd=tmp_path)
    assert str(bad.value) == f"{variable}={expected}"
