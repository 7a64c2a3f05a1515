"""Pieces every ``pricewatch`` command module shares (kept apart from cli.py to avoid import cycles).

Validation at the edge: the parameter types here turn a bad value into one line naming the
value and the valid range (click exits 2), so nothing nonsensical reaches the pipeline:

* ``DAY`` / ``DAY_OR_TIME``: a date (or date and time) between 2000-01-01 and 2099-12-31;
* ``Number(low, high, ...)``: a finite number in a range (``positive=True``: above ``low``;
  ``whole=True``: an integer);
* ``Choice(values, what=...)``: one of the values, with a "did you mean" for near misses;
* ``PriceAges``: ``KIND=DAYS`` maximum price ages (core.settings.parse_max_price_age, the rule the
  environment and the config file use too).
Every command uses these (the cost commands' instances are in ``pricewatch.cli_costs_validate``).
"""
from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from core.settings import Settings, SettingsError, parse_max_price_age, settings_for

db_option = click.option(
    "--db", "db", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="DuckDB warehouse file. Default: $PRICEWATCH_DB, else <PRICEWATCH_HOME>/pricewatch.duckdb, "
         "else data/pricewatch.duckdb (see `pricewatch paths`).",
)

init_option = click.option(
    "--init", is_flag=True,
    help="Create a new, empty warehouse when there is none at the resolved path (outside an existing "
         "PRICEWATCH_HOME a missing warehouse is an error, so a typo or the wrong directory never "
         "silently starts a second one).",
)

FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)


def echo_err(message: str) -> None:
    click.echo(message, err=True)


class Day(click.ParamType):
    """A calendar day (``YYYY-MM-DD``), optionally with a time, within FIRST_DAY..LAST_DAY."""

    def __init__(self, *, with_time: bool = False) -> None:
        self.with_time = with_time
        self.name = "datetime" if with_time else "date"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "YYYY-MM-DD[THH:MM:SS]" if self.with_time else "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date | datetime:
        if isinstance(value, (date, datetime)):
            return value
        text = str(value).strip()
        try:
            parsed: date | datetime = (datetime.fromisoformat(text) if self.with_time and "T" in text
                                       else date.fromisoformat(text))
        except ValueError:
            example = "2026-02-11 or 2026-02-11T06:00:00" if self.with_time else "2026-02-11"
            self.fail(f"{text!r} is not a date; use YYYY-MM-DD, e.g. {example}", param, ctx)
        day = parsed.date() if isinstance(parsed, datetime) else parsed
        if not FIRST_DAY <= day <= LAST_DAY:
            self.fail(f"{text} is out of range; valid: {FIRST_DAY} to {LAST_DAY}", param, ctx)
        if self.with_time and not isinstance(parsed, datetime):
            return datetime(parsed.year, parsed.month, parsed.day)
        if isinstance(parsed, datetime) and parsed.tzinfo is not None:
            self.fail(f"{text} has a time zone; give UTC without one", param, ctx)
        return parsed


DAY = Day()
DAY_OR_TIME = Day(with_time=True)


class Number(click.ParamType):
    """A finite number in ``[low, high]`` (``positive``: strictly above ``low``); ``whole``: an
    integer (``2e4`` is accepted as 20000). The one number validator of every command."""

    def __init__(self, low: float, high: float, *, whole: bool = False, positive: bool = False, unit: str = "") -> None:
        self.low, self.high, self.whole, self.positive, self.unit = low, high, whole, positive, unit
        self.name = "integer" if whole else "number"

    def valid(self) -> str:
        low = f"more than {self.low:g}" if self.positive else f"{self.low:g}"
        kind = "a whole number" if self.whole else "a finite number"
        return f"valid: {low} to {self.high:g}{self.unit} ({kind})"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float | int:
        if isinstance(value, bool):
            self.fail(f"{value!r} is not a number; {self.valid()}", param, ctx)
        text = str(value).strip()
        try:
            number = float(value) if isinstance(value, (int, float)) else float(text)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a{' whole' if self.whole else ''} number; {self.valid()}", param, ctx)
        too_low = number <= self.low if self.positive else number < self.low
        if not math.isfinite(number) or too_low or number > self.high:
            self.fail(f"{text} is out of range; {self.valid()}", param, ctx)
        if self.whole and not number.is_integer():
            self.fail(f"{value!r} is not a whole number; {self.valid()}", param, ctx)
        return int(number) if self.whole else number


class Choice(click.Choice):
    """``click.Choice`` whose error suggests the closest value ("did you mean 'runpod'?")."""

    def __init__(self, choices: Sequence[str], *, what: str = "value") -> None:
        super().__init__(list(choices))
        self.what = what

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value in self.choices:
            return value
        close = difflib.get_close_matches(str(value), [str(c) for c in self.choices], n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        self.fail(f"{value!r} is not a {self.what}; {hint}valid: {', '.join(map(str, self.choices))}", param, ctx)


class PriceAges(click.ParamType):
    """``KIND=DAYS[,KIND=DAYS...]`` maximum price ages per source kind, read by the same rule as
    ``PRICEWATCH_MAX_PRICE_AGE`` (``core.settings.parse_max_price_age``)."""
    name = "KIND=DAYS"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dict[str, int]:
        if isinstance(value, dict):
            return value
        try:
            return parse_max_price_age(str(value))
        except SettingsError as exc:
            self.fail(str(exc), param, ctx)


PRICE_AGES = PriceAges()


def load_settings(db: Path | None) -> Settings:
    """Settings from the environment (and PRICEWATCH_HOME's config file), ``--db`` winning."""
    return settings_for(db)


def require_warehouse_or_init(settings: Settings, *, init: bool, command: str) -> None:
    """Refuse to create a new, empty warehouse unless asked (``--init``) or inside an existing
    PRICEWATCH_HOME: a command started from the wrong directory, or with a typo in --db, says so
    instead of quietly starting a second warehouse."""
    db = settings.db_path
    if db.exists() or init:
        return
    home = settings.home
    if home is not None and home.is_dir() and db.is_relative_to(home):
        return
    where = f"PRICEWATCH_HOME {home} does not exist" if home is not None and not home.is_dir() else (
        f"it is outside PRICEWATCH_HOME {home}" if home is not None else "PRICEWATCH_HOME is not set")
    raise SettingsError(f"no warehouse at {db} ({where}): `pricewatch {command}` will not create a new one there; "
                        f"pass --init to create it, or point --db / PRICEWATCH_HOME at the existing warehouse")


def check_writable(settings: Settings) -> None:
    """Create the folders a write needs (warehouse, raw archive, published copies) now, so an
    unwritable place is one clear error before any work starts."""
    for label, folder in (("warehouse folder", settings.db_path.parent), ("raw archive", settings.raw_dir),
                          ("published folder", settings.published_dir)):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SettingsError(f"cannot create the {label} {folder}: {exc.strerror}; point PRICEWATCH_HOME "
                                f"(or --db / PRICEWATCH_DATA_DIR) at a writable place") from None
