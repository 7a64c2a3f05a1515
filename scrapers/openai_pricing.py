"""OpenAI's pricing page, read through its markdown twin (``/api/docs/pricing.md``).

Emits, per fine-tunable model (dated ids as the fine-tuning table publishes them):
* training price: ``sft_full``/``training_per_1m_tokens``, or ``rft``/``training_per_hour`` for
  reinforcement fine-tuning (the unit is read from the cell, "$100.00 / hour");
* fine-tuned inference: method ``inference``, ``ft_input_per_1m``/``ft_cached_input_per_1m``/
  ``ft_output_per_1m`` on the base model id;
* base inference (``base_input_per_1m``/``base_output_per_1m``) for every model of the standard
  text-token tables, under the published name and, when that name is the alias of a fine-tunable
  dated snapshot ("gpt-4.1" → "gpt-4.1-2025-04-14"), under the dated id as well.

The "with data sharing" variant of a row is emitted as ``<model>:data-sharing``.
A page without its fine-tuning table is a ParseError: the history keeps the last good prices.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from scrapers.base import Source
from scrapers.errors import ParseError
from scrapers.markdown_tables import MarkdownTable, find_tables, strip_markup
from scrapers.records import FetchFailure, ParseResult, RawPayload, TokenPrice
from scrapers.token_common import fetch_urls, guard_page, plausible_usd

if TYPE_CHECKING:  # pragma: no cover
    from core.settings import Settings
    from scrapers.http import HttpClient

NAME = "openai_pricing"
URL = "https://developers.openai.com/api/docs/pricing.md"
PAGE_URL = "https://developers.openai.com/api/docs/pricing"
MIN_BYTES, MAX_BYTES = 1_500, 3_000_000
MIN_FT_ROWS = 3
PLAUSIBLE_USD = (0.001, 5_000.0)
_SKIP_HEADINGS = re.compile(r"batch|flex|priority", re.I)
_DATA_SHARING = re.compile(r"\s*\(?with data sharing\)?\s*$", re.I)


def fetch(client: HttpClient, settings: Settings) -> list[RawPayload | FetchFailure]:
    return fetch_urls(client, NAME, [(URL, "md")])


def _is_fine_tuning_table(table: MarkdownTable) -> bool:
    return table.column("training") is not None and table.column("model") is not None


def _price(cell: str, warnings: list[str], where: str, kind: str = "ft_input_per_1m",
           factor: float = 1) -> float | None:
    return plausible_usd(cell, PLAUSIBLE_USD, warnings, NAME, where, kind, factor)


def _training(model: str, cell: str, warnings: list[str]) -> TokenPrice | None:
    """The training price of a row, in the unit its cell names ("$100.00 / hour", "$0.008 / 1K
    tokens", "$25.00 / 1M tokens" or a bare amount under a per-1M heading)."""
    unit = cell.lower()
    if "hour" in unit:
        method, kind, factor = "rft", "training_per_hour", 1
    else:
        method, kind, factor = "sft_full", "training_per_1m_tokens", 1000 if "1k" in unit else 1
    usd = _price(cell, warnings, f"{model} training", kind, factor)
    return TokenPrice("openai", model, method, kind, usd, PAGE_URL) if usd is not None else None


def _fine_tuning(table: MarkdownTable, warnings: list[str], origin: str) -> list[TokenPrice]:
    col_model, col_train = table.column("model"), table.column("training")
    col_cached = table.column("cached")
    col_input = table.column("input", exclude=("cached",))
    col_output = table.column("output")
    if col_model is None or col_train is None or col_input is None or col_output is None:
        raise ParseError(NAME, "fine-tuning table", f"columns {table.header[:10]} lack Input/Output", origin)
    inference = [(col, kind) for col, kind in ((col_input, "ft_input_per_1m"), (col_cached, "ft_cached_input_per_1m"),
                                                (col_output, "ft_output_per_1m")) if col is not None]
    prices: list[TokenPrice] = []
    for row in table.rows:
        model = strip_markup(row[col_model])
        if not model:
            continue
        if _DATA_SHARING.search(model):
            model = _DATA_SHARING.sub("", model) + ":data-sharing"
        if (training := _training(model, row[col_train], warnings)) is not None:
            prices.append(training)
        for col, kind in inference:
            usd = _price(row[col], warnings, f"{model} {kind}", kind)
            if usd is not None:
                prices.append(TokenPrice("openai", model, "inference", kind, usd, PAGE_URL))
    return prices


_DATED = re.compile(r"^(.+)-\d{4}-\d{2}-\d{2}$")


def _dated_by_alias(dated_ids: set[str]) -> dict[str, list[str]]:
    """{"gpt-4.1": ["gpt-4.1-2025-04-14"], ...}: each dated fine-tunable snapshot under its alias."""
    aliases: dict[str, list[str]] = {}
    for dated in sorted(dated_ids):
        if m := _DATED.match(dated):
            aliases.setdefault(m.group(1), []).append(dated)
    return aliases


def _aliases(name: str, dated_by_alias: dict[str, list[str]]) -> list[str]:
    """The published name, plus the dated fine-tunable snapshots it is the alias of."""
    return [name] + [d for d in dated_by_alias.get(name, []) if d != name]


def _base_prices(tables: list[MarkdownTable], dated_by_alias: dict[str, list[str]],
                 warnings: list[str]) -> list[TokenPrice]:
    """Base inference prices of the standard tables (batch/flex/priority tables skipped), each model
    once (its first row), under its published name and the dated snapshots it is the alias of."""
    prices: list[TokenPrice] = []
    seen: set[str] = set()
    for table in tables:
        col_model, col_output = table.column("model"), table.column("output")
        col_input = table.column("input", exclude=("cached", "audio", "image"))
        if col_model is None or col_input is None or col_output is None or _SKIP_HEADINGS.search(table.heading):
            continue
        for row in table.rows:
            name = strip_markup(row[col_model])
            if not name or name in seen:
                continue
            seen.add(name)
            for kind, cell in (("base_input_per_1m", row[col_input]), ("base_output_per_1m", row[col_output])):
                if (usd := _price(cell, warnings, f"{name} {kind}", kind)) is not None:
                    prices += [TokenPrice("openai", model, "inference", kind, usd, PAGE_URL)
                               for model in _aliases(name, dated_by_alias)]
    return prices


def parse(body: bytes, *, ext: str, origin: str) -> ParseResult:
    text = guard_page(NAME, body, origin, min_bytes=MIN_BYTES, max_bytes=MAX_BYTES, markers=("pricing",))
    tables = find_tables(text)
    ft_tables = [t for t in tables if _is_fine_tuning_table(t)]
    if not ft_tables:
        raise ParseError(NAME, "fine-tuning table", "no table with Model and Training columns; the "
                         "fine-tuning section moved or was removed. Check the page by hand", origin)
    warnings: list[str] = []
    prices = _fine_tuning(ft_tables[0], warnings, origin)
    ft_models = {p.model for p in prices}
    if len(ft_models) < MIN_FT_ROWS:
        raise ParseError(NAME, "fine-tuning table", f"only {len(ft_models)} model rows (expected at "
                         f"least {MIN_FT_ROWS}); the table looks truncated", origin)
    ft_ids = {id(t) for t in ft_tables}
    prices += _base_prices([t for t in tables if id(t) not in ft_ids], _dated_by_alias(ft_models), warnings)
    return ParseResult(token_prices=prices, warnings=warnings)


SOURCE = Source(
    name=NAME,
    kind="token",
    description="OpenAI pricing page (markdown twin): fine-tuning training, fine-tuned and base inference "
                "prices",
    fetch=fetch,
    parse=parse,
)
