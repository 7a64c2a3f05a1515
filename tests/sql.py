"""Small typed helpers for reading query results in tests."""
from __future__ import annotations

from typing import Any

import duckdb


def scalar(result: duckdb.DuckDBPyConnection) -> Any:
    """The one value of a query that returns exactly one row of one column (fails otherwise)."""
    [(value,)] = result.fetchall()
    return value


def one_row(result: duckdb.DuckDBPyConnection) -> tuple[Any, ...]:
    """The one row of a query that returns exactly one row (fails otherwise)."""
    [row] = result.fetchall()
    return tuple(row)
