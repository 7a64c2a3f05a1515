"""The daily run's limits from the environment (core.settings): defaults, overrides, bad values."""
from __future__ import annotations

import pytest

from core.settings import Settings


def test_the_limits_have_defaults():
    settings = Settings.from_env({})
    assert (settings.source_budget_s, settings.run_budget_s, settings.lock_wait_s, settings.source_retries,
            settings.source_retry_delay_s) == (300.0, 1200.0, 0.0, 2, 10.0)


def test_the_environment_sets_them():
    settings = Settings.from_env({"PRICEWATCH_SOURCE_BUDGET_S": "45", "PRICEWATCH_RUN_BUDGET_S": "600",
                                  "PRICEWATCH_LOCK_WAIT_S": "120", "PRICEWATCH_SOURCE_RETRIES": "0",
                                  "PRICEWATCH_SOURCE_RETRY_DELAY_S": "2.5"})
    assert (settings.source_budget_s, settings.run_budget_s, settings.lock_wait_s, settings.source_retries,
            settings.source_retry_delay_s) == (45.0, 600.0, 120.0, 0, 2.5)


@pytest.mark.parametrize(("variable", "value", "expected"), [
    ("PRICEWATCH_SOURCE_BUDGET_S", "0", "give a number from 1.0 to 86400.0"),
    ("PRICEWATCH_RUN_BUDGET_S", "nan", "give a number from 1.0 to 86400.0"),
    ("PRICEWATCH_LOCK_WAIT_S", "inf", "give a number from 0.0 to 86400.0"),
    ("PRICEWATCH_SOURCE_RETRIES", "2.5", "give an integer from 0 to 10"),
    ("PRICEWATCH_SOURCE_RETRIES", "-1", "give an integer from 0 to 10"),
    ("PRICEWATCH_SOURCE_RETRY_DELAY_S", "soon", "give a number from 0.0 to 3600.0"),
])
def test_a_bad_value_names_the_variable_and_the_valid_range(variable, value, expected):
    with pytest.raises(ValueError) as bad:
        Settings.from_env({variable: value})
    assert str(bad.value) == f"{variable}={value!r} is not valid: {expected}"
