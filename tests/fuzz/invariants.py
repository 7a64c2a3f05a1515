"""What must hold for ANY input to a parser (issue #14): only ``ParseError`` escapes, no parse
runs over the limit, every emitted price is finite and within the plausibility bounds, every GPU
row has a raw model name and a positive count. The checks are written out here, independently of
``scrapers.values`` (the code under test); only the published bounds are shared."""
from __future__ import annotations

import math
import time
from typing import Any

from scrapers.base import Source
from scrapers.errors import ParseError
from scrapers.limits import ParseTimeout, call_with_deadline
from scrapers.records import MAX_PLAUSIBLE_USD_PER_GPU_HOUR, ParseResult
from scrapers.values import TOKEN_PRICE_BOUNDS

# A fuzzed parse taking longer than this fails the suite. Far below the production limit
# (scrapers.base.PARSE_TIME_LIMIT_S): real payloads parse in milliseconds, so anything near it is a
# complexity bug (a backtracking regex, a quadratic walk), not a slow machine.
FUZZ_PARSE_LIMIT_S = 5.0


class InvariantBroken(AssertionError):
    pass


def _real(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


def _rows(table_or_list: Any) -> list[Any]:
    if isinstance(table_or_list, list):
        return [vars(r) if hasattr(r, "__dict__") else {s: getattr(r, s) for s in r.__slots__} for r in table_or_list]
    return table_or_list.to_pylist()  # a pyarrow.Table


def _check_gpu_row(name: str, row: dict[str, Any]) -> None:
    where = f"{name}: GPU row {row}"
    if not (isinstance(row["gpu_raw_name"], str) and row["gpu_raw_name"].strip()):
        raise InvariantBroken(f"{where} has no raw model name")
    if not (type(row["gpu_count"]) is int and row["gpu_count"] >= 1):
        raise InvariantBroken(f"{where} has no positive GPU count")
    usd = row["usd_per_gpu_hour"]
    if not (_real(usd) and 0 < usd <= MAX_PLAUSIBLE_USD_PER_GPU_HOUR):
        raise InvariantBroken(f"{where}: usd_per_gpu_hour {usd!r} is not finite and within (0, 100]")
    if not (_real(row["usd_per_instance_hour"]) and row["usd_per_instance_hour"] > 0):
        raise InvariantBroken(f"{where}: usd_per_instance_hour is not a finite positive price")
    for key, value in row.items():  # vram, min/median, reliability, shape: every number
        if isinstance(value, float) and not math.isfinite(value):
            raise InvariantBroken(f"{where}: {key} {value!r} is not finite")


def check_records(name: str, result: ParseResult) -> None:
    if not isinstance(result, ParseResult):
        raise InvariantBroken(f"{name}: parse returned {type(result).__name__}, not a ParseResult")
    for row in _rows(result.gpu_offers) + _rows(result.market_offers):
        _check_gpu_row(name, row)
    for price in result.token_prices:
        bound = TOKEN_PRICE_BOUNDS[price.price_kind]
        low_ok = price.usd >= 0 if price.price_kind == "min_charge" else price.usd > 0
        if not (_real(price.usd) and low_ok and price.usd <= bound):
            raise InvariantBroken(f"{name}: token price {price} is not finite and within (0, {bound:g}]")


def check_parse(source: Source, body: bytes, ext: str, origin: str, *, raw: bool = True,
                limit_s: float = FUZZ_PARSE_LIMIT_S) -> ParseResult | ParseError:
    """Parse ``body`` and enforce the invariants. ``raw`` calls the module's own function (so the
    guard in ``Source.parse`` cannot hide a parser bug); otherwise the guarded ``Source.parse``."""
    parse = source.raw_parse if raw else source.parse
    started = time.monotonic()
    try:
        result = call_with_deadline(lambda: parse(body, ext=ext, origin=origin), limit_s)
    except ParseError as exc:
        outcome: ParseResult | ParseError = exc
    except ParseTimeout:
        raise InvariantBroken(f"{source.name}: parse of {origin} ran over {limit_s} s") from None
    except Exception as exc:
        raise InvariantBroken(f"{source.name}: {type(exc).__name__} escaped the parser: {exc!s:.300}") from exc
    else:
        check_records(source.name, result)
        outcome = result
    elapsed = time.monotonic() - started
    if elapsed > limit_s:  # C code (a decoder, a regex) cannot be interrupted: measure it too
        raise InvariantBroken(f"{source.name}: parse of {origin} took {elapsed:.1f} s (limit {limit_s} s)")
    return outcome
