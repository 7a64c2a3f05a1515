"""One run at a time per warehouse (flows.runlock), between real processes."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from flows.runlock import RunInProgress, lock_path, run_lock


def hold_in_another_process(db, seconds: float = 60) -> subprocess.Popen:
    """A process that takes the run lock, says so, and keeps it for ``seconds``."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom flows.runlock import run_lock\n"
         f"with run_lock({str(db)!r}, command='pricewatch run --offline'):\n"
         f"    print('held', flush=True); time.sleep({seconds})"],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_the_lock_file_sits_beside_the_warehouse(tmp_path):
    assert lock_path(tmp_path / "data" / "pw.duckdb") == tmp_path / "data" / "pw.duckdb.run.lock"


def test_a_second_run_is_refused_with_the_holders_pid_and_command(tmp_path):
    holder = hold_in_another_process(tmp_path / "pw.duckdb")
    try:
        with pytest.raises(RunInProgress) as refused, run_lock(tmp_path / "pw.duckdb"):
            pass
    finally:
        holder.kill()
        holder.wait()
    message = str(refused.value)
    assert message.startswith(f"another pricewatch run is using this warehouse: pid {holder.pid} "
                              "(pricewatch run --offline, since ")
    assert "not started" in message and "PRICEWATCH_RUN_WAIT_S" in message and "\n" not in message


def test_a_second_run_told_to_wait_gets_the_lock_when_the_first_ends(tmp_path):
    holder = hold_in_another_process(tmp_path / "pw.duckdb", seconds=1)
    told: list[str] = []
    try:
        with run_lock(tmp_path / "pw.duckdb", wait_s=60, on_wait=told.append):
            assert f'"pid": {os.getpid()}' in lock_path(tmp_path / "pw.duckdb").read_text()
    finally:
        holder.kill()
        holder.wait()
    # it could not have the lock at once, said so, waited, and got it
    assert len(told) == 1 and told[0].startswith("waiting up to 60 s for the run holding")
    assert f"pid {holder.pid}" in told[0]


def test_a_lock_left_by_a_killed_run_does_not_block_the_next(tmp_path):
    holder = hold_in_another_process(tmp_path / "pw.duckdb")
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    assert f'"pid": {holder.pid}' in lock_path(tmp_path / "pw.duckdb").read_text()  # the file is still there
    with run_lock(tmp_path / "pw.duckdb"):
        assert f'"pid": {os.getpid()}' in lock_path(tmp_path / "pw.duckdb").read_text()


def test_taking_the_lock_again_in_the_holding_process_is_a_no_op(tmp_path):
    with run_lock(tmp_path / "pw.duckdb"), run_lock(tmp_path / "pw.duckdb"):
        pass
    with run_lock(tmp_path / "pw.duckdb"):  # and it was released once, at the outer end
        pass


def test_the_lock_is_released_when_the_run_fails(tmp_path):
    with pytest.raises(ValueError), run_lock(tmp_path / "pw.duckdb"):
        raise ValueError("a run that crashed")
    started = time.monotonic()
    with run_lock(tmp_path / "pw.duckdb", wait_s=0):
        assert time.monotonic() - started < 5
