"""One daily run at a time per warehouse: an ``flock`` on a lock file beside the warehouse.

``<warehouse>.run.lock`` (``data/pricewatch.duckdb.run.lock`` by default) is locked with
``fcntl.flock`` for the whole run, flow or ``--no-prefect``. The kernel drops the lock when the
holder exits, however it exits (kill -9 included), so a lock left by a dead run never blocks
the next one; the file itself stays and only says who held it last. A second run waits up to
``wait_s`` seconds, then raises ``RunInProgress`` naming the holder.

Taking the lock again in the process that holds it (``pricewatch run`` takes it before it
starts Prefect, then the flow takes it again) is a no-op.
"""
from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from core.clock import utcnow

POLL_S = 0.5

_held: dict[Path, int] = {}  # lock files this process holds -> nesting depth
_held_guard = threading.Lock()


class RunInProgress(RuntimeError):
    """Another run holds the warehouse's run lock."""


def lock_path(db_path: str | Path) -> Path:
    db_path = Path(db_path).absolute()
    return db_path.with_name(db_path.name + ".run.lock")


def holder(path: Path) -> str:
    """Who holds (or last held) the lock, from what the holder wrote into the file."""
    try:
        info = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        return "another process"
    if not isinstance(info, dict) or "pid" not in info:
        return "another process"
    return f"pid {info['pid']} ({info.get('command', 'pricewatch run')}, since {info.get('since', '?')} UTC)"


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


@contextmanager
def run_lock(db_path: str | Path, *, wait_s: float = 0.0, command: str = "pricewatch run",
             on_wait: Callable[[str], None] | None = None) -> Iterator[Path]:
    """Hold the warehouse's run lock for the block. Waits up to ``wait_s`` seconds for a run
    that holds it, telling ``on_wait`` once; then raises ``RunInProgress``."""
    path = lock_path(db_path)
    with _held_guard:
        if path in _held:
            _held[path] += 1
            nested = True
        else:
            nested = False
    if nested:
        try:
            yield path
        finally:
            with _held_guard:
                _held[path] -= 1
        return

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, path, wait_s, on_wait)
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "command": command,
                                 "since": utcnow().isoformat(timespec="seconds")}).encode())
        with _held_guard:
            _held[path] = 1
        try:
            yield path
        finally:
            with _held_guard:
                del _held[path]
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _acquire(fd: int, path: Path, wait_s: float, on_wait: Callable[[str], None] | None) -> None:
    give_up = time.monotonic() + wait_s
    told = False
    while not _try_lock(fd):
        if time.monotonic() >= give_up:
            waited = f" after waiting {wait_s:g} s" if wait_s else ""
            raise RunInProgress(
                f"another pricewatch run is using this warehouse: {holder(path)}; not started{waited} "
                f"(lock {path}; set PRICEWATCH_RUN_WAIT_S or --wait to wait for it)")
        if on_wait and not told:
            on_wait(f"waiting up to {wait_s:g} s for the run holding {path}: {holder(path)}")
            told = True
        time.sleep(min(POLL_S, max(give_up - time.monotonic(), 0.01)))
