"""The numeric boundary shared by every parser."""
import math

import pytest

from scrapers.errors import ParseError
from scrapers.values import finite_number, plausible_gpu_price, positive_count


def num(value, **kw):
    return finite_number(value, source="s", field="f", origin="file.json", **kw)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 10**400, "1.5", None, [1], {"a": 1}, True])
def test_rejects_non_finite_overflowing_and_wrongly_typed_values(value):
    with pytest.raises(ParseError) as err:
        num(value)
    assert "field 'f' in file.json" in str(err.value)


def test_accepts_numbers_and_optionally_numeric_text():
    assert num(3) == 3.0
    assert num(2.5) == 2.5
    assert num("1,234.5", accept_text=True) == 1234.5


def test_range_is_inclusive_and_enforced():
    assert num(0, minimum=0, maximum=1) == 0
    with pytest.raises(ParseError, match="below the minimum"):
        num(-0.01, minimum=0)
    with pytest.raises(ParseError, match="above the maximum"):
        num(1e12, maximum=1e6)


@pytest.mark.parametrize("value", [0, -5, 2.5, 5000])
def test_counts_are_whole_and_positive(value):
    with pytest.raises(ParseError):
        positive_count(value, source="s", field="gpu_count")


def test_count_accepts_integral_floats():
    assert positive_count(8.0, source="s", field="gpu_count") == 8


@pytest.mark.parametrize(("usd", "ok"), [(2.49, True), (100.0, True), (100.01, False), (0.0, False),
                                         (-1.0, False), (math.nan, False), (math.inf, False)])
def test_plausible_gpu_price(usd, ok):
    assert plausible_gpu_price(usd) is ok


def test_arrow_vetting_keeps_rows_whose_optional_numbers_are_null():
    import pyarrow as pa

    from scrapers.values_arrow import vet_gpu_table

    table = pa.table({"provider": ["a", "b"], "offering_key": ["k1", "k2"], "gpu_raw_name": ["H100", "H100"],
                      "gpu_count": [1, 1], "tier": ["on_demand", "on_demand"], "usd_per_gpu_hour": [2.0, 2.5],
                      "usd_per_instance_hour": [2.0, 2.5], "disk_gb": pa.array([None, 100.0], pa.float64()),
                      "vram_gb": pa.array([None, 80.0], pa.float64())})
    warnings: list[str] = []
    assert vet_gpu_table(table, "s", "f", warnings).num_rows == 2
    assert warnings == []
