"""Published read-only copies: readers never hold the writer's file.

DuckDB lets no other process open a file while a writer has it, and a writer cannot start
while anyone has it open. So readers (``pricewatch sql`` and ``status``, notebooks, BI tools)
read copies that every write path refreshes at its end with ``publish(settings)``:

* ``<db folder>/published/<db name>`` (``published/pricewatch.duckdb``): the whole warehouse,
  views and macros included. Taken under the writer's lock after a ``CHECKPOINT`` and renamed
  into place in one step: a reader that has the old copy open keeps reading it undisturbed
  (the name now points at the new file), the next reader opens the new one.
* ``published/<db stem>_parquet/<view>/day=YYYY-MM-DD/*.parquet``: the history views as a
  hive-partitioned Parquet dataset (Polars, Spark, pandas, DuckDB). The folder is a symlink
  swapped in one step to a freshly written version; the previous version is kept for readers
  still scanning it, older ones are removed.
* ``published/<db stem>.json``: when, from which warehouse state, and the row counts.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from core.clock import utcnow
from core.files import atomic_write_text, temporary_sibling
from core.settings import Settings
from warehouse.db import WarehouseMissing, WarehouseUnwritable, missing_message, read_connection, write_connection

# The history as Parquet: (view or table, the timestamp or date that gives the ``day`` partition).
PARQUET_VIEWS: tuple[tuple[str, str], ...] = (
    ("fetch_log", "observed_at"),
    ("gpu_price_history", "observed_at"),
    ("market_offers", "observed_at"),
    ("token_price_history", "observed_at"),
    ("model_lifecycle_events", "first_seen_at"),
    ("scenario_costs", "as_of"),
    ("alerts", "first_seen_at"),
)


@dataclass(frozen=True)
class Published:
    db: Path
    parquet_dir: Path
    rows: dict[str, int]
    published_at: datetime
    seconds: float

    def summary(self) -> str:
        return (f"published {self.db} and the history as Parquet under {self.parquet_dir} "
                f"({sum(self.rows.values()):,} rows, {self.seconds:.1f} s)")


def manifest_path(settings: Settings) -> Path:
    return settings.published_dir / f"{settings.db_path.stem}.json"


def _warehouse_state(db_path: Path) -> dict[str, int]:
    stat = db_path.stat()
    return {"warehouse_mtime_ns": stat.st_mtime_ns, "warehouse_size": stat.st_size}


@contextlib.contextmanager
def _publishing_lock(folder: Path) -> Iterator[None]:
    """One publisher per published folder at a time (across processes)."""
    with open(folder / ".publish.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _copy_checkpointed(settings: Settings, tmp_db: Path) -> dict[str, int]:
    """Under the writer's lock: fold the WAL into the file, copy it, note the state copied."""
    with write_connection(settings, create=False) as con:
        con.execute("CHECKPOINT")
        shutil.copyfile(settings.db_path, tmp_db)
        return _warehouse_state(settings.db_path)


def _export_parquet(db_file: Path, target: Path) -> dict[str, int]:
    target.mkdir(parents=True)
    rows: dict[str, int] = {}
    con = duckdb.connect(str(db_file), read_only=True)
    try:
        for view, day_column in PARQUET_VIEWS:
            (count,) = con.execute(f"SELECT count(*) FROM {view}").fetchone() or (0,)
            rows[view] = int(count)
            out = target / view
            if count:
                con.execute(f"COPY (SELECT *, CAST({day_column} AS DATE) AS day FROM {view}) TO '{out}' "
                            f"(FORMAT parquet, PARTITION_BY (day), COMPRESSION zstd)")
            else:
                out.mkdir()
    finally:
        con.close()
    return rows


def _swap_symlink(link: Path, target_name: str) -> None:
    if link.exists() and not link.is_symlink():
        shutil.rmtree(link)  # a folder in the way (not ours to keep): the dataset is always a link
    tmp_link = temporary_sibling(link)
    os.symlink(target_name, tmp_link)
    os.replace(tmp_link, link)


def _remove_old_versions(link: Path, keep: set[str]) -> None:
    for old in link.parent.glob(f".{link.name}.v*"):
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)


def publish(settings: Settings) -> Published:
    """Refresh the published DuckDB copy and the Parquet dataset from the warehouse, each
    replaced atomically. Call it at the end of a write phase, with no write connection open."""
    started = time.monotonic()
    folder = settings.published_dir
    if not settings.db_path.exists():
        raise WarehouseMissing(missing_message(settings.db_path))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WarehouseUnwritable(f"cannot create the published folder {folder}: {exc.strerror}") from exc
    link = settings.published_parquet_dir
    with _publishing_lock(folder):
        tmp_db = temporary_sibling(settings.published_db)
        now = utcnow()
        version = folder / f".{link.name}.v{now:%Y%m%dT%H%M%S%f}"
        try:
            state = _copy_checkpointed(settings, tmp_db)
            rows = _export_parquet(tmp_db, version)
            os.chmod(tmp_db, 0o444)  # a hint to readers: open it read-only
            os.replace(tmp_db, settings.published_db)
        except BaseException:
            tmp_db.unlink(missing_ok=True)
            shutil.rmtree(version, ignore_errors=True)
            raise
        previous = os.readlink(link) if link.is_symlink() else None
        _swap_symlink(link, version.name)
        _remove_old_versions(link, {version.name, previous or ""})
        seconds = time.monotonic() - started
        atomic_write_text(manifest_path(settings), json.dumps({
            "published_at": now.isoformat(), "warehouse": str(settings.db_path), **state,
            "duckdb": settings.published_db.name, "parquet": link.name, "rows": rows,
            "seconds": round(seconds, 3),
        }, indent=2) + "\n")
    return Published(settings.published_db, link, rows, now, seconds)


# ------------------------------------------------------------------------------------- readers

@dataclass(frozen=True)
class ReadSource:
    """Which file a reader opened, and a note for the user when it matters."""
    path: Path
    published: bool
    note: str | None = None


def _manifest(settings: Settings) -> dict[str, Any]:
    try:
        data = json.loads(manifest_path(settings).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def read_source(settings: Settings) -> ReadSource:
    """The published copy when there is one (with a note when the warehouse changed after it
    was taken), else the warehouse itself (with a note: that read makes writers wait)."""
    db, copy = settings.db_path, settings.published_db
    if copy.exists():
        manifest = _manifest(settings)
        note = None
        try:
            changed = (db.exists() and (_warehouse_state(db) != {k: manifest.get(k) for k in
                                                                  ("warehouse_mtime_ns", "warehouse_size")}
                                        or db.with_name(db.name + ".wal").exists()))
        except OSError:
            changed = False
        if changed:
            taken = str(manifest.get("published_at", "?"))[:19].replace("T", " ")
            note = (f"note: reading the published copy of {taken} UTC; the warehouse has changed since "
                    f"(a write is running, or its last writer did not publish: `pricewatch migrate` republishes)")
        return ReadSource(copy, True, note)
    if db.exists():
        return ReadSource(db, False, f"note: no published copy at {copy} yet; reading the warehouse itself "
                                     f"(writers wait meanwhile). `pricewatch migrate` publishes one.")
    raise WarehouseMissing(missing_message(db))


@contextlib.contextmanager
def published_reader(settings: Settings, *, config: Mapping[str, Any] | None = None,
                     ) -> Iterator[tuple[duckdb.DuckDBPyConnection, ReadSource]]:
    """A read-only connection to the published copy (else the warehouse), checked to be a
    current pricewatch warehouse."""
    source = read_source(settings)
    with read_connection(source.path, require_warehouse=True, config=config) as con:
        yield con, source
