"""core/money.py: the one formatter of money, percentages and numbers for people."""
import math
from decimal import Decimal

import pytest

from core.money import NOT_AVAILABLE, number, percent, usd, usd_price


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 10**400, "3.99", [1], True, Decimal("NaN")])
def test_anything_not_a_finite_number_is_n_a(value):
    assert usd(value) == usd_price(value) == percent(value) == number(value) == NOT_AVAILABLE == "n/a"


def test_none_is_the_missing_mark_of_the_caller():
    assert usd(None) == "—" and usd(None, missing="") == "" and usd_price(None, missing="n/a") == "n/a"


@pytest.mark.parametrize(("value", "digits", "text"), [
    (1234.567, 2, "$1,234.57"), (2.5, 3, "$2.500"), (-2.47, 2, "-$2.47"), (-0.001, 2, "$0.00"), (0, 2, "$0.00"),
    (Decimal("3.99"), 2, "$3.99"),
])
def test_usd(value, digits, text):
    assert usd(value, digits) == text


@pytest.mark.parametrize(("value", "text"), [(2.99, "$2.99"), (0.0035, "$0.0035"), (3.0, "$3"), (1234.5, "$1,234.50"),
                                             (-1.5, "-$1.5")])
def test_usd_price_is_as_precise_as_it_needs(value, text):
    assert usd_price(value) == text


@pytest.mark.parametrize(("value", "text"), [(0.123, "+12.3%"), (-0.05, "-5.0%"), (0.0004, "0.0%"), (-0.0004, "0.0%")])
def test_percent(value, text):
    assert percent(value) == text


def test_number_takes_a_format_spec():
    assert number(1234.5, ",.0f") == "1,234" and number(7e9) == "7e+09"
