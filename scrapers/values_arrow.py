"""``scrapers.values.vet_result`` for parsers that hand over GPU rows as a ``pyarrow.Table``:
the same rules, evaluated column-wise (no Python object per row)."""
from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from scrapers.errors import ParseError
from scrapers.records import GPU_TIERS, MAX_PLAUSIBLE_USD_PER_GPU_HOUR

_GPU_REQUIRED = ("provider", "offering_key", "gpu_raw_name", "gpu_count", "tier", "usd_per_gpu_hour",
                 "usd_per_instance_hour")
_MARKET_REQUIRED = ("provider", "offer_id", "gpu_raw_name", "gpu_count", "usd_per_gpu_hour", "usd_per_instance_hour")


def _table(table: Any, what: str, required: tuple[str, ...], source: str, origin: str) -> pa.Table:
    if not isinstance(table, pa.Table):
        raise ParseError(source, what, f"expected a list of records or a pyarrow.Table, got {type(table).__name__}",
                         origin)
    missing = [c for c in required if c not in table.column_names]
    if missing:
        raise ParseError(source, what, f"the Arrow table lacks column(s) {missing}", origin)
    return table


def _number(table: pa.Table, name: str, source: str, origin: str) -> Any:
    column = table.column(name)
    if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type) or pa.types.is_null(column.type)):
        raise ParseError(source, name, f"expected a numeric column, got {column.type}", origin)
    return pc.cast(column, pa.float64())


def _named(table: pa.Table, name: str, source: str, origin: str) -> Any:
    column = table.column(name)
    if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
        raise ParseError(source, name, f"expected a text column, got {column.type}", origin)
    return pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(column)), 0)


def _within(values: Any, low: float, high: float, *, low_inclusive: bool = True) -> Any:
    above = pc.greater_equal(values, low) if low_inclusive else pc.greater(values, low)
    return pc.and_(pc.and_(pc.is_finite(values), above), pc.less_equal(values, high))


def _optional(table: pa.Table, name: str, low: float, high: float, source: str, origin: str) -> Any:
    if name not in table.column_names:
        return None
    values = _number(table, name, source, origin)
    return pc.or_kleene(pc.is_null(values), _within(values, low, high))


def _count_and_prices(table: pa.Table, source: str, origin: str) -> Any:
    count = _number(table, "gpu_count", source, origin)
    per_gpu = _number(table, "usd_per_gpu_hour", source, origin)
    per_instance = _number(table, "usd_per_instance_hour", source, origin)
    ok = pc.and_(_within(count, 1, 1024), pc.equal(pc.floor(count), count))
    ok = pc.and_(ok, _within(per_gpu, 0, MAX_PLAUSIBLE_USD_PER_GPU_HOUR, low_inclusive=False))
    instance_cap = pc.multiply(count, MAX_PLAUSIBLE_USD_PER_GPU_HOUR * 1.000001)
    return pc.and_(ok, pc.and_(_within(per_instance, 0, float("inf"), low_inclusive=False),
                               pc.less_equal(per_instance, instance_cap)))


def _finite_floats(table: pa.Table) -> list[Any]:
    """Every floating-point column: null or finite (columns a parser adds later included)."""
    return [pc.or_kleene(pc.is_null(table.column(name)), pc.is_finite(table.column(name)))
            for name in table.column_names if pa.types.is_floating(table.column(name).type)]


def _filter(table: pa.Table, checks: list[Any], what: str, source: str, warnings: list[str]) -> pa.Table:
    checks = checks + _finite_floats(table)
    ok = checks[0]
    for check in checks[1:]:
        if check is not None:
            ok = pc.and_(ok, check)
    ok = pc.fill_null(ok, False)
    dropped = table.num_rows - pc.sum(ok).as_py() if table.num_rows else 0
    if not dropped:
        return table
    warnings.append(f"{source}: {dropped} {what} dropped at the numeric boundary (non-finite, implausible "
                    "or missing price, count or name)")
    return table.filter(ok)


def vet_gpu_table(table: Any, source: str, origin: str, warnings: list[str]) -> pa.Table:
    table = _table(table, "gpu_offers", _GPU_REQUIRED, source, origin)
    checks = [_named(table, c, source, origin) for c in ("provider", "offering_key", "gpu_raw_name")]
    checks += [_count_and_prices(table, source, origin), pc.is_in(table.column("tier"), pa.array(GPU_TIERS)),
               _optional(table, "vram_gb", 0, 10_000, source, origin),
               _optional(table, "usd_per_gpu_hour_min", 0, MAX_PLAUSIBLE_USD_PER_GPU_HOUR, source, origin),
               _optional(table, "usd_per_gpu_hour_median", 0, MAX_PLAUSIBLE_USD_PER_GPU_HOUR, source, origin),
               _optional(table, "offer_count", 0, float("inf"), source, origin)]
    return _filter(table, checks, "GPU offers", source, warnings)


def vet_market_table(table: Any, source: str, origin: str, warnings: list[str]) -> pa.Table:
    table = _table(table, "market_offers", _MARKET_REQUIRED, source, origin)
    checks = [_named(table, c, source, origin) for c in ("provider", "offer_id", "gpu_raw_name")]
    checks += [_count_and_prices(table, source, origin),
               _optional(table, "vram_gb", 0, 10_000, source, origin),
               _optional(table, "reliability", float("-inf"), float("inf"), source, origin)]
    return _filter(table, checks, "market offers", source, warnings)
