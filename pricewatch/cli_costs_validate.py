"""Edge validation for the cost commands: every bad input is one line naming the value and the
valid range, exit code 2, never a traceback (issue #14 item 7).

* ``CostCommand``: a click command whose option errors and domain errors (``PolicyError``,
  ``RouteError``, ``RepriceRangeError``, ``CatalogueError``) print ``error: ...`` on one line.
  (The engine is imported when a command runs: ``pricewatch --help`` stays fast.)
* Parameter types for finite numbers in a range and for days in a range.
(The store workstream adds shared validators to ``pricewatch.cli_common``; these stay local to
the cost commands until the two are unified.)
"""
from __future__ import annotations

import math
import sys
from datetime import date
from typing import Any

import click

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def domain_errors() -> tuple[type[Exception], ...]:
    """The engine's input errors (imported when a command runs, not at CLI start)."""
    from cost_engine.catalogue import CatalogueError
    from cost_engine.policy import PolicyError
    from cost_engine.reprice import RepriceRangeError
    from cost_engine.routes import RouteError

    return (PolicyError, RouteError, RepriceRangeError, CatalogueError)


def fail(message: str) -> None:
    """Print one line on stderr and exit 2."""
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


class CostCommand(click.Command):
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            fail(exc.format_message().replace("\n", " "))
            raise  # unreachable: fail exits

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            import duckdb

            if isinstance(exc, duckdb.CatalogException):
                fail(f"the warehouse lacks a view or macro of this version ({str(exc).splitlines()[0]}); "
                     "run `pricewatch migrate` to upgrade it")
            if not isinstance(exc, domain_errors()):
                raise
            fail(str(exc).replace("\n", " "))


class Number(click.ParamType):
    """A finite number (or whole number) within [low, high]."""

    def __init__(self, low: float, high: float, *, integer: bool = False, what: str = "a number") -> None:
        self.low, self.high, self.integer, self.what = low, high, integer, what
        self.name = "integer" if integer else "number"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float | int:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value)
        else:
            try:
                number = float(str(value).strip())
            except ValueError:
                number = math.nan
        whole = math.isfinite(number) and number == int(number)
        if not math.isfinite(number) or not self.low <= number <= self.high or (self.integer and not whole):
            kind = "a whole number" if self.integer else "a finite number"
            self.fail(f"{value!r} is not {self.what}: use {kind} from {self.low:g} to {self.high:g}", param, ctx)
        return int(number) if self.integer else number


class Day(click.ParamType):
    """A YYYY-MM-DD day between FIRST_DAY and LAST_DAY."""
    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            day = value
        else:
            try:
                day = date.fromisoformat(str(value).strip())
            except ValueError:
                self.fail(f"{value!r} is not a date: use YYYY-MM-DD from {FIRST_DAY} to {LAST_DAY}", param, ctx)
        if not FIRST_DAY <= day <= LAST_DAY:
            self.fail(f"{value} is out of range: use a day from {FIRST_DAY} to {LAST_DAY}", param, ctx)
        return day


DAY = Day()
PARAMS = Number(1e6, 1e13, what="a model size in parameters")
EXAMPLES = Number(1, 1e10, integer=True, what="a number of examples")
TOKENS_PER_EXAMPLE = Number(1, 1e7, what="a number of tokens per example")
EPOCHS = Number(0.01, 1000, what="a number of epochs")
RUNS = Number(1, 1000, integer=True, what="a number of training runs")
SEQ_LEN = Number(16, 1_048_576, integer=True, what="a sequence length in tokens")
ALLOWANCE = Number(0, 1, what="a spot interruption allowance (0.15 = 15%)")
