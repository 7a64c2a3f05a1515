"""Edge validation for the cost commands: every bad input is one line naming the value and the
valid range, exit code 2, never a traceback (issue #14 item 7).

* ``CostCommand``: a click command whose domain errors (``RouteError``, ``RepriceRangeError``,
  ``CatalogueError``; a bad policy value is a ``SettingsError``, one line at the group like every
  bad setting) print ``error: ...`` on one line and exit 2. (The engine is imported when a
  command runs: ``pricewatch --help`` stays fast.) Option errors are the group's, as for every
  other command.
* The cost commands' parameters, built from the shared validators of ``pricewatch.cli_common``
  (``Number``, ``Choice``, ``DAY``, ``PRICE_AGES``): one validator per kind of value.
"""
from __future__ import annotations

import sys
from typing import Any, NoReturn

import click

from core.settings import CUSTOMER_PROFILES, SPOT_ALLOWANCE_RANGE
from pricewatch.cli_common import DAY, PRICE_AGES, Choice, Number

__all__ = ["CostCommand", "fail", "DAY", "PRICE_AGES", "PARAMS", "EXAMPLES", "TOKENS_PER_EXAMPLE", "EPOCHS", "RUNS",
           "SEQ_LEN", "ALLOWANCE", "INSTANCE_GB", "PROFILE", "METHOD"]


def domain_errors() -> tuple[type[Exception], ...]:
    """The engine's input errors (imported when a command runs, not at CLI start)."""
    from cost_engine.catalogue import CatalogueError
    from cost_engine.reprice import RepriceRangeError
    from cost_engine.routes import RouteError

    return (RouteError, RepriceRangeError, CatalogueError)


def fail(message: str) -> NoReturn:
    """Print one line on stderr and exit 2."""
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


class CostCommand(click.Command):
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


PARAMS = Number(1e6, 1e13)                                  # model parameters
EXAMPLES = Number(1, 1e10, whole=True)
TOKENS_PER_EXAMPLE = Number(1, 1e7)
EPOCHS = Number(0.01, 1000)
RUNS = Number(1, 1000, whole=True)
SEQ_LEN = Number(16, 1_048_576, whole=True)                 # tokens
ALLOWANCE = Number(*SPOT_ALLOWANCE_RANGE)                   # 0.15 = 15% more GPU-hours on spot tiers
INSTANCE_GB = Number(0, 100_000, positive=True, unit=" GB")   # instance RAM or disk a job needs
PROFILE = Choice(CUSTOMER_PROFILES, what="customer profile")
METHOD = Choice(("qlora", "lora", "full"), what="fine-tuning method")
