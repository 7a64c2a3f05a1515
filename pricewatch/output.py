"""Printing query results as a table, CSV or JSON."""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from core import money

FORMATS = ("table", "csv", "json")


def _plain(value: Any) -> Any:
    """A JSON/CSV value: dates as ISO text, decimals as floats, NaN/inf as null (JSON has none)."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal | float):
        return money.finite(value)
    return value


def finite_json(value: Any) -> Any:
    """``value`` with every NaN/inf (anywhere inside lists and dicts) replaced by None: JSON has no
    NaN, and a reader must see "no value", never a number that is not one."""
    if isinstance(value, float):
        return money.finite(value)
    if isinstance(value, dict):
        return {k: finite_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_json(v) for v in value]
    return value


def json_text(value: Any) -> str:
    return json.dumps(finite_json(value), indent=2, default=str, allow_nan=False)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float | Decimal):
        number = money.finite(value)
        if number is None:
            return money.NOT_AVAILABLE
        return f"{number:,.4f}".rstrip("0").rstrip(".") if abs(number) < 1e6 else f"{number:,.0f}"
    return str(_plain(value))


def render(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str = "table", title: str | None = None) -> str:
    if fmt == "json":
        return json_text([{c: _plain(v) for c, v in zip(columns, row, strict=False)} for row in rows])
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(columns)
        writer.writerows([[_plain(v) for v in row] for row in rows])
        return buffer.getvalue().rstrip("\n")
    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(Text(_cell(v)) for v in row))
    # Cells are data, not markup: no [tag] parsing, no :emoji: codes.
    console = Console(file=io.StringIO(), width=200, record=True, color_system=None, markup=False, emoji=False)
    console.print(table)
    text = console.export_text().rstrip("\n")
    return text + f"\n({len(rows)} row{'s' if len(rows) != 1 else ''})"
