"""Warehouse commands: ``sql``, ``status``, ``replay``, ``migrate``, ``paths``.

Readers (``sql``, ``status``) open the published copy (warehouse/publish.py), never the
writer's file; writers (``replay``, ``migrate``) publish when they finish.
"""
from __future__ import annotations

import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
import duckdb

from pricewatch.cli_common import (
    Choice,
    Number,
    check_writable,
    db_option,
    echo_err,
    init_option,
    load_settings,
    require_warehouse_or_init,
)
from pricewatch.output import FORMATS, render

SQL_FILE_MAX_BYTES = 1_000_000
# Statement kinds `pricewatch sql` runs: queries (SELECT, WITH, FROM, VALUES, DESCRIBE, SHOW,
# SUMMARIZE are all SELECT to DuckDB) and EXPLAIN.
ALLOWED_STATEMENTS = ("SELECT", "EXPLAIN")


# ------------------------------------------------------------------------------------------- sql

def sandbox_config(memory_limit_mb: int) -> dict[str, Any]:
    """DuckDB settings for ``pricewatch sql``: no file, network or extension access beyond the
    database itself, bounded memory, no spilling to disk, and locked so a query cannot undo it."""
    return {
        "enable_external_access": False,
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "memory_limit": f"{memory_limit_mb}MiB",
        "temp_directory": "",
        "max_temp_directory_size": "0B",
        "lock_configuration": True,
    }


class Refused(click.ClickException):
    """A statement `pricewatch sql` will not run (exit 2)."""
    exit_code = 2

    def show(self, file: Any = None) -> None:
        echo_err(f"error: {self.format_message()}")


class QueryFailed(click.ClickException):
    """The query ran and failed, or was stopped (exit 1)."""
    exit_code = 1

    def show(self, file: Any = None) -> None:
        echo_err(f"error: {self.format_message()}")


def _read_query_file(path: Path) -> str:
    size = path.stat().st_size
    if size > SQL_FILE_MAX_BYTES:
        raise Refused(f"--file {path} is {size:,} bytes; a SQL file may be at most {SQL_FILE_MAX_BYTES:,} bytes")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(f"--file {path} is not a UTF-8 text file (binary data?); give a .sql file") from None
    if "\0" in text:
        raise Refused(f"--file {path} contains NUL bytes (binary data?); give a .sql file")
    return text


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _statements(con: duckdb.DuckDBPyConnection, text: str, *, from_file: bool, fmt: str) -> list[Any]:
    try:
        statements = con.extract_statements(text)
    except duckdb.Error as exc:
        raise QueryFailed(_first_line(exc)) from None
    if not statements:
        raise Refused("no SQL statement given")
    if len(statements) > 1 and not from_file:
        raise Refused(f"one statement per call (got {len(statements)}); put several in a file and use --file")
    if len(statements) > 1 and fmt == "csv":
        raise Refused(f"--format csv holds one result and the file has {len(statements)} statements; "
                      f"use --format table or json, or one statement per file")
    for n, statement in enumerate(statements, 1):
        if statement.type.name not in ALLOWED_STATEMENTS:
            keyword = re.match(r"\s*(\w+)", statement.query)
            kind = keyword.group(1).upper() if keyword else statement.type.name
            where = f"statement {n} is" if len(statements) > 1 else "got"
            raise Refused(f"`pricewatch sql` only runs queries (SELECT, WITH, FROM, DESCRIBE, SHOW, SUMMARIZE, "
                          f"EXPLAIN); {where} {kind}. Nothing was run.")
    return statements


@contextmanager
def _deadline(con: duckdb.DuckDBPyConnection, seconds: float) -> Iterator[threading.Event]:
    """Interrupt the connection's running query after ``seconds``; the event tells whether it fired."""
    fired = threading.Event()

    def stop() -> None:
        fired.set()
        con.interrupt()

    timer = threading.Timer(seconds, stop)
    timer.daemon = True
    timer.start()
    try:
        yield fired
    finally:
        timer.cancel()


def _run(con: duckdb.DuckDBPyConnection, query: str, max_rows: int) -> tuple[list[str], list[tuple], bool]:
    cursor = con.execute(query)
    if cursor.description is None:
        return [], [], False
    columns = [d[0] for d in cursor.description]
    rows = cursor.fetchmany(max_rows + 1) if max_rows else cursor.fetchall()
    truncated = bool(max_rows) and len(rows) > max_rows
    return columns, rows[:max_rows] if truncated else rows, truncated


def _explain_failure(exc: duckdb.Error, *, timeout: float, memory_mb: int) -> click.ClickException:
    if isinstance(exc, duckdb.PermissionException):
        return Refused(f"{_first_line(exc)} (`pricewatch sql` reads the warehouse only: no files, network "
                       f"or extensions). Nothing was run.")
    if isinstance(exc, duckdb.InterruptException):
        return QueryFailed(f"query stopped after {timeout:g} s (--timeout {timeout:g}); narrow it down or raise "
                           f"--timeout / PRICEWATCH_SQL_TIMEOUT_S")
    if isinstance(exc, duckdb.OutOfMemoryException):
        return QueryFailed(f"query needs more than the {memory_mb:,} MiB memory limit of `pricewatch sql`; narrow it "
                           f"down or raise PRICEWATCH_SQL_MEMORY_LIMIT")
    return QueryFailed(_first_line(exc))


@click.command()
@click.argument("query", required=False)
@click.option("--file", "query_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Read the statements from a .sql file (several allowed; every result is printed).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--timeout", type=Number(0, 86400, positive=True, unit=" s"), default=None,
              help="Stop the query after this many seconds. Default: $PRICEWATCH_SQL_TIMEOUT_S or 60.")
@click.option("--max-rows", "max_rows", type=Number(0, 10_000_000, whole=True), default=10_000, show_default=True,
              help="Print at most this many rows per result (0: all); a note says when rows were left out.")
@db_option
def sql(query: str | None, query_file: Path | None, fmt: str, timeout: float | None, max_rows: int,
        db: Path | None) -> None:
    """Query the warehouse with SQL, read-only and sandboxed.

    Reads the published copy (refreshed at the end of every write), so it never waits for or
    blocks a running job. Only queries run: no writes, no files, no network, no extensions, a
    memory limit and a timeout (see README, "Querying").

    \b
    Public views: gpu_price_history, gpu_prices_latest, fetch_log, token_price_history,
    token_prices_latest, token_prices_current, model_lifecycle_events, scenario_costs, alerts.
    Example: pricewatch sql "select provider, count(*) from gpu_price_history group by 1"

    \b
    Exit codes: 0 success; 1 the query failed or timed out; 2 refused or bad input.
    """
    from warehouse.publish import published_reader

    if bool(query) == bool(query_file):
        raise click.UsageError("give a QUERY or --file, not both and not neither")
    text = _read_query_file(query_file) if query_file else str(query)
    settings = load_settings(db)
    seconds = timeout if timeout is not None else settings.sql_timeout_s
    memory = settings.sql_memory_limit_mb
    with published_reader(settings, config=sandbox_config(memory)) as (con, source):
        if source.note:
            echo_err(source.note)
        statements = _statements(con, text, from_file=query_file is not None, fmt=fmt)
        results = []
        with _deadline(con, seconds):
            for statement in statements:
                try:
                    results.append((statement.query.strip(), *_run(con, statement.query, max_rows)))
                except duckdb.Error as exc:
                    raise _explain_failure(exc, timeout=seconds, memory_mb=memory) from None
    _print_results(results, fmt, max_rows)


def _print_results(results: list[tuple[str, list[str], list[tuple], bool]], fmt: str, max_rows: int) -> None:
    import json

    several = len(results) > 1
    if fmt == "json" and several:
        out = [{"statement": q, "rows": json.loads(render(c, r, "json")) if c else []} for q, c, r, _ in results]
        click.echo(json.dumps(out, indent=2))
    else:
        for n, (query, columns, rows, _) in enumerate(results, 1):
            if several:
                click.echo(f"-- [{n}/{len(results)}] {' '.join(query.split())[:100]}")
            if columns:
                click.echo(render(columns, rows, fmt))
    for n, (_, _, _, truncated) in enumerate(results, 1):
        if truncated:
            echo_err(f"note: {'result ' + str(n) + ': ' if several else ''}only the first {max_rows:,} rows are "
                     f"printed (--max-rows 0 prints all)")


# ---------------------------------------------------------------------------------------- status

@click.command()
@db_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--stale-after", "stale_after", type=Number(0, 24 * 365, positive=True, unit=" hours"), default=36,
              show_default=True, help="Hours after its last successful fetch that a source counts as stale.")
def status(db: Path | None, fmt: str, stale_after: float) -> None:
    """Per source: state, last successful fetch and its age, failures in the last 7 days, last error.

    \b
    state: ok | stale (no success within --stale-after) | never (no success at all)
           | failing (its latest batch had a failed fetch)
    Exit codes (for cron and monitoring): 0 every source ok; 1 a source is stale, never
    fetched or failing; 2 bad input or no readable warehouse.
    """
    from core.clock import utcnow
    from scrapers.registry import source_names
    from warehouse.publish import published_reader
    from warehouse.status import COLUMNS, source_health

    settings = load_settings(db)
    with published_reader(settings) as (con, source):
        if source.note:
            echo_err(source.note)
        health = source_health(con, utcnow(), stale_after=timedelta(hours=stale_after), expected=source_names())
    click.echo(render(COLUMNS, [h.row() for h in health], fmt))
    unhealthy = [h for h in health if not h.healthy]
    if unhealthy:
        echo_err(f"{len(unhealthy)} of {len(health)} sources need attention: "
                 + ", ".join(f"{h.source} {h.state}" for h in unhealthy))
        sys.exit(1)


# ---------------------------------------------------------------------------------------- replay

def _source_choice() -> Choice:
    from scrapers.registry import source_names

    return Choice(source_names(), what="source")


@click.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@db_option
@click.option("--source", "sources", multiple=True, type=_source_choice(), help="Only these sources (repeatable).")
@click.option("--quiet", is_flag=True, help="No per-batch progress lines.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
              help="Format of the closing per-source summary.")
@init_option
def replay(directory: Path, db: Path | None, sources: tuple[str, ...], quiet: bool, fmt: str, init: bool) -> None:
    """Load snapshot files as if fetched at their timestamps, then publish.

    Layout: DIRECTORY/<source>/<UTC timestamp>.<ext>, e.g. runpod/2025-06-21T231857Z.json.
    Files may be zstd- or gzip-compressed (.zst, .gz); the raw archive (<data dir>/raw) is itself
    replayable.
    Malformed files are recorded as failed fetches and the replay goes on.

    \b
    Exit codes: 0 every file loaded (or already loaded); 1 a file failed (see the errors);
    2 bad input (unknown source, no warehouse without --init, unwritable folder).
    """
    from warehouse.publish import publish
    from warehouse.replay import replay as do_replay

    settings = load_settings(db)
    require_warehouse_or_init(settings, init=init, command="replay")
    check_writable(settings)
    summaries = do_replay(settings, directory, sources=sources or None, progress=None if quiet else echo_err)
    rows = [(s.source, s.fetched, s.parsed, s.added, s.skipped, len(s.errors)) for s in summaries.values()]
    click.echo(render(["source", "files", "parsed", "rows_added", "already_loaded", "errors"], rows, fmt))
    failed = 0
    for s in summaries.values():
        failed += len(s.errors)
        for error in s.errors:
            echo_err(f"  {error}")
    published = publish(settings)
    if not quiet:
        echo_err(published.summary())
    if failed:
        echo_err(f"replay finished with {failed} failed file(s) (recorded in fetch_log; the others loaded). "
                 f"Exit code 1.")
        sys.exit(1)


# --------------------------------------------------------------------------------------- migrate

@click.command()
@db_option
@init_option
def migrate(db: Path | None, init: bool) -> None:
    """Upgrade the warehouse in place and republish its read-only copies.

    Applies the pending schema migrations (warehouse/migrations), recreates every view and
    macro (warehouse/semantic), then publishes the copy readers open. Safe to run any time;
    read commands say "run `pricewatch migrate`" when a warehouse is older than the code.
    """
    from warehouse.db import upgrade
    from warehouse.publish import publish

    settings = load_settings(db)
    require_warehouse_or_init(settings, init=init, command="migrate")
    check_writable(settings)
    applied = upgrade(settings, create=True)
    click.echo(f"{settings.db_path}: " + (f"applied {len(applied)} migration(s): {', '.join(applied)}"
                                          if applied else "schema up to date") + "; views and macros recreated")
    click.echo(publish(settings).summary())


# ----------------------------------------------------------------------------------------- paths

@click.command()
@db_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def paths(db: Path | None, fmt: str) -> None:
    """Where everything lives: warehouse, published copy (what BI tools open), Parquet
    dataset, raw archive, alert log, reports, snapshots, config file.

    Resolved once from PRICEWATCH_HOME (and <home>/pricewatch.toml), the PRICEWATCH_* variables,
    else the working directory. See README, "Configuration".
    """
    settings = load_settings(db)
    rows = [(name, str(path) if path else "", "yes" if path and path.exists() else "no")
            for name, path in settings.paths().items()]
    click.echo(render(["what", "path", "exists"], rows, fmt))


def register(group: click.Group) -> None:
    for command in (sql, status, replay, migrate, paths):
        group.add_command(command)
