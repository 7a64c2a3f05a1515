"""The only code that opens the DuckDB file.

DuckDB allows one writing process per file, and while a writer holds it no other process can
open it, not even read-only. So writers open, write and close (``write_connection``), waiting
up to ``lock_wait_s`` for the lock; readers should open the published copy (warehouse/publish.py)
so they never hold the writer's file. Every expected failure is a ``WarehouseError`` whose
message is one line that says what to do: locked (naming the process that holds the lock),
missing, not a pricewatch warehouse, an older schema ("run `pricewatch migrate`"), unwritable.
"""
from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from core.clock import utcnow
from core.settings import ENV_VARS, LOCK_WAIT_RANGE, Settings, parse_number
from warehouse.migrate import migrate, migration_files
from warehouse.semantic import apply_semantic_layer, generated_macros, semantic_files

# One writer at a time inside this process too (flow tasks run in threads).
_WRITE_LOCK = threading.RLock()

# How long a writer waits for another process's lock when not told (PRICEWATCH_LOCK_WAIT_S).
DEFAULT_LOCK_WAIT_S = 30.0
_POLL_S = 0.25


class WarehouseError(Exception):
    """An expected warehouse problem; the message is one line for the user."""


class WarehouseLocked(WarehouseError):
    pass


class WarehouseMissing(WarehouseError, FileNotFoundError):
    pass


class WarehouseInvalid(WarehouseError):
    """The file exists but is not a (readable) pricewatch warehouse."""


class WarehouseOutdated(WarehouseError):
    """The schema or the semantic layer is older than this pricewatch: run `pricewatch migrate`."""


class WarehouseUnwritable(WarehouseError):
    pass


# ---------------------------------------------------------------------------------------- locks

_PID = re.compile(r"\(PID (\d+)\)")


def _is_lock_error(exc: BaseException) -> bool:
    text = str(exc)
    return "Could not set lock" in text or "Conflicting lock" in text


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]


def _short(argv: list[str], limit: int = 80) -> str:
    text = " ".join([Path(argv[0]).name, *argv[1:]]) if argv else ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_process(pid: int) -> str:
    """What kind of process ``pid`` is, from its command line: "`pricewatch sql` (PID 123)",
    "dbt (PID 9)", "a Jupyter kernel (PID 5: ...)", "a python process (PID 7: python -c ...)"."""
    argv = _cmdline(pid)
    if not argv:
        return f"process {pid} (its command line is not readable here)"
    names = [Path(a).name for a in argv]
    if "pricewatch" in names or "pricewatch.cli" in argv:
        at = names.index("pricewatch") if "pricewatch" in names else argv.index("pricewatch.cli")
        command = next((a for a in argv[at + 1:] if not a.startswith("-")), "")
        return f"`pricewatch {command}`".replace(" `", "`") + f" (PID {pid})"
    if "flows.daily" in argv or any(n == "prefect" for n in names):
        return f"a Prefect process (PID {pid}: {_short(argv)})"
    if "dbt" in names or any("dbt.cli" in a for a in argv):
        return f"dbt (PID {pid})"
    if any("jupyter" in a or "ipykernel" in a for a in argv):
        return f"a Jupyter kernel (PID {pid}: {_short(argv)})"
    if names[0] == "duckdb":
        return f"the duckdb CLI (PID {pid})"
    if names[0].startswith("python"):
        return f"a python process (PID {pid}: {_short(argv)})"
    return f"a {names[0]} process (PID {pid}: {_short(argv)})"


def lock_holder(exc: BaseException) -> str:
    """The process named in DuckDB's lock error, described; "another process" when unnamed."""
    match = _PID.search(str(exc))
    return describe_process(int(match.group(1))) if match else "another process"


def _locked_message(path: Path, exc: BaseException, waited_s: float, *, read_only: bool) -> str:
    holder = lock_holder(exc)
    waited = f"waited {waited_s:g} s; " if waited_s else ""
    if read_only:
        advice = "wait for it to finish, or read the published copy (see `pricewatch paths`)"
    else:
        advice = ("wait for it to finish or close it (readers should open the published copy, see "
                  "`pricewatch paths`); PRICEWATCH_LOCK_WAIT_S sets how long writers wait")
    return f"The warehouse {path} is locked by {holder}: {waited}{advice}."


# ------------------------------------------------------------------------------------- opening

_INVALID = ("not a valid DuckDB database file", "Could not read enough bytes", "orrupt", "checksum",
            "database file with version number", "Serialization Error")


def _open_error(path: Path, exc: duckdb.Error, *, writing: bool) -> WarehouseError:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if any(marker in text for marker in _INVALID):
        return WarehouseInvalid(f"{path} is not a pricewatch warehouse (DuckDB: {text}); point --db or "
                                f"PRICEWATCH_DB at the warehouse, or move this file away")
    if "Permission denied" in text or "Read-only file system" in text:
        kind = WarehouseUnwritable if writing else WarehouseError
        return kind(f"cannot {'write' if writing else 'read'} the warehouse {path}: permission denied")
    return WarehouseError(f"cannot open the warehouse {path}: {text}")


def _connect(path: Path, *, read_only: bool, wait_s: float,
             config: Mapping[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=dict(config or {}))
        except duckdb.IOException as exc:
            if not _is_lock_error(exc):
                raise _open_error(path, exc, writing=not read_only) from exc
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WarehouseLocked(_locked_message(path, exc, wait_s, read_only=read_only)) from exc
            time.sleep(min(_POLL_S, remaining))
        except duckdb.Error as exc:
            raise _open_error(path, exc, writing=not read_only) from exc


def default_lock_wait_s() -> float:
    """``PRICEWATCH_LOCK_WAIT_S`` when set (for callers that pass a path, not the Settings), else
    DEFAULT_LOCK_WAIT_S."""
    raw = os.environ.get(ENV_VARS["lock_wait_s"], "").strip()
    if not raw:
        return DEFAULT_LOCK_WAIT_S
    return parse_number(raw, ENV_VARS["lock_wait_s"], LOCK_WAIT_RANGE)


def _target(target: str | Path | Settings, lock_wait_s: float | None) -> tuple[Path, float]:
    if lock_wait_s is not None:
        wait = lock_wait_s
    elif isinstance(target, Settings):
        wait = target.lock_wait_s
    else:
        wait = default_lock_wait_s()
    return Path(target.db_path if isinstance(target, Settings) else target), wait


def missing_message(path: Path) -> str:
    return (f"No warehouse at {path}. Run `pricewatch run` (or `make run`) first, or point --db / "
            f"PRICEWATCH_DB / PRICEWATCH_HOME at an existing one.")


@contextmanager
def _writer(target: str | Path | Settings, create: bool,
            lock_wait_s: float | None) -> Iterator[tuple[duckdb.DuckDBPyConnection, list[str]]]:
    path, wait_s = _target(target, lock_wait_s)
    if not create and not path.exists():
        raise WarehouseMissing(missing_message(path))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WarehouseUnwritable(f"cannot create the warehouse folder {path.parent}: {exc.strerror}") from exc
    with _WRITE_LOCK:
        con = _connect(path, read_only=False, wait_s=wait_s)
        try:
            _refuse_foreign(_tables(con, path), path)
            try:
                applied = migrate(con)
                apply_semantic_layer(con)
                record_semantic_fingerprint(con)
            except duckdb.IOException as exc:
                raise _open_error(path, exc, writing=True) from exc
            yield con, applied
        finally:
            con.close()


@contextmanager
def write_connection(target: str | Path | Settings, *, create: bool = True,
                     lock_wait_s: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open (creating and migrating if needed), yield, close. Serialised within the process.

    ``target`` is the Settings (then ``settings.lock_wait_s`` applies) or the DuckDB file (then
    ``$PRICEWATCH_LOCK_WAIT_S``, default 30 s). A lock held by another process is waited for
    up to that many seconds, then ``WarehouseLocked`` names the process. ``create=False``
    refuses to create a missing file (``WarehouseMissing``)."""
    with _writer(target, create, lock_wait_s) as (con, _):
        yield con


def upgrade(target: str | Path | Settings, *, create: bool = False, lock_wait_s: float | None = None) -> list[str]:
    """Apply pending migrations and recreate the semantic layer; the migrations applied."""
    with _writer(target, create, lock_wait_s) as (_, applied):
        return applied


@contextmanager
def read_connection(path: str | Path, *, require_warehouse: bool = False, lock_wait_s: float = 0.0,
                    config: Mapping[str, Any] | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open read-only. A missing file, a lock, a file that is not DuckDB and an older schema are
    ``WarehouseError``s with a clear message, not tracebacks.

    ``require_warehouse``: a DuckDB file without pricewatch's schema is refused too (the CLI's
    read paths; library callers may read bare files). ``config``: DuckDB settings for the
    connection (``pricewatch sql`` locks it down)."""
    path = Path(path)
    if not path.exists():
        raise WarehouseMissing(missing_message(path))
    con = _connect(path, read_only=True, wait_s=lock_wait_s, config=config)
    try:
        check_schema(con, path, require_warehouse=require_warehouse)
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


# -------------------------------------------------------------------------------- schema checks

def semantic_fingerprint() -> str:
    """A hash of the semantic layer this code creates (generated macros + semantic/*.sql)."""
    digest = hashlib.sha256("\n".join(generated_macros()).encode())
    for path in semantic_files():
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def record_semantic_fingerprint(con: duckdb.DuckDBPyConnection) -> None:
    fingerprint = semantic_fingerprint()
    stored = con.execute("SELECT fingerprint FROM semantic_layer").fetchall()
    if stored != [(fingerprint,)]:
        con.execute("BEGIN TRANSACTION")
        con.execute("DELETE FROM semantic_layer")
        con.execute("INSERT INTO semantic_layer VALUES (?, ?)", [fingerprint, utcnow()])
        con.execute("COMMIT")


def _tables(con: duckdb.DuckDBPyConnection, path: Path) -> set[str]:
    """The file's tables (reading its migrations too, so a damaged or truncated file is
    ``WarehouseInvalid`` here rather than a traceback later)."""
    try:
        tables = {name for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()").fetchall()}
        if "schema_migrations" in tables:
            con.execute("SELECT count(*), max(version) FROM schema_migrations").fetchall()
    except duckdb.Error as exc:
        raise _open_error(path, exc, writing=False) from exc
    return tables


def is_damaged_file_error(exc: BaseException) -> bool:
    """A DuckDB error that means the file itself is not a readable database."""
    return isinstance(exc, duckdb.Error) and any(marker in str(exc) for marker in _INVALID)


def _refuse_foreign(tables: set[str], path: Path) -> None:
    """A writer never turns some other DuckDB file into a warehouse."""
    if tables and "schema_migrations" not in tables:
        raise WarehouseInvalid(f"{path} is not a pricewatch warehouse (a DuckDB file with other tables: "
                               f"{', '.join(sorted(tables)[:3])}); point --db or PRICEWATCH_DB elsewhere")


def check_schema(con: duckdb.DuckDBPyConnection, path: Path, *, require_warehouse: bool = False) -> None:
    """Refuse a warehouse whose schema or semantic layer is older than this code (missing
    migrations, views from another version): say "run `pricewatch migrate`"."""
    tables = _tables(con, path)
    if "schema_migrations" not in tables:
        if require_warehouse:
            raise WarehouseInvalid(f"{path} is not a pricewatch warehouse (a DuckDB file without pricewatch's "
                                   f"schema_migrations table); point --db or PRICEWATCH_DB at the warehouse")
        return
    try:
        applied = {v for (v,) in con.execute("SELECT version FROM schema_migrations").fetchall()}
        stored = (con.execute("SELECT fingerprint FROM semantic_layer").fetchall()
                  if "semantic_layer" in tables else [])
    except duckdb.Error as exc:
        raise _open_error(path, exc, writing=False) from exc
    missing = [p.name for v, p in migration_files() if v not in applied]
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        raise WarehouseOutdated(f"The warehouse {path} has an older schema (missing {shown}): run "
                                f"`pricewatch migrate` to upgrade it in place.")
    if stored != [(semantic_fingerprint(),)]:
        raise WarehouseOutdated(f"The views and macros in {path} were created by another pricewatch version: "
                                f"run `pricewatch migrate` to recreate them.")
