"""The only code that opens the DuckDB file.

DuckDB allows one writing process per file, and while a writer holds it no other process can
open it, not even read-only. So writers open, write and close (``write_connection``), readers
use ``read_connection``, and both turn a lock conflict into ``WarehouseLocked`` with a message
that says what to do.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from warehouse.migrate import migrate
from warehouse.semantic import apply_semantic_layer

# One writer at a time inside this process too (flow tasks run in threads).
_WRITE_LOCK = threading.RLock()


class WarehouseLocked(RuntimeError):
    pass


class WarehouseMissing(FileNotFoundError):
    pass


def _is_lock_error(exc: BaseException) -> bool:
    text = str(exc)
    return "Could not set lock" in text or "Conflicting lock" in text


def _locked_message(path: Path, exc: BaseException) -> str:
    return (
        f"The warehouse {path} is locked by another process (probably a running "
        f"`pricewatch run`, `serve` or dbt). Wait for it to finish and try again.\n"
        f"DuckDB said: {str(exc).splitlines()[0]}"
    )


def _connect(path: Path, *, read_only: bool, attempts: int, wait_s: float) -> duckdb.DuckDBPyConnection:
    for attempt in range(attempts):
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if not _is_lock_error(exc):
                raise
            if attempt == attempts - 1:
                raise WarehouseLocked(_locked_message(path, exc)) from exc
            time.sleep(wait_s * (2 ** attempt))
    raise AssertionError("unreachable")


@contextmanager
def write_connection(path: str | Path, *, attempts: int = 5, wait_s: float = 0.2) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open (creating and migrating if needed), yield, close. Serialised within the process."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _WRITE_LOCK:
        con = _connect(path, read_only=False, attempts=attempts, wait_s=wait_s)
        try:
            migrate(con)
            apply_semantic_layer(con)
            yield con
        finally:
            con.close()


@contextmanager
def read_connection(path: str | Path, *, attempts: int = 1, wait_s: float = 0.2) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open read-only. A missing file or a lock is a clear error, not a traceback."""
    path = Path(path)
    if not path.exists():
        raise WarehouseMissing(
            f"No warehouse at {path}. Run `pricewatch run` (or `make run`) first, "
            f"or point --db / PRICEWATCH_DB at an existing file."
        )
    con = _connect(path, read_only=True, attempts=attempts, wait_s=wait_s)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    else:
        con.execute("COMMIT")
