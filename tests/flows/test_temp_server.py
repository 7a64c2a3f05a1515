"""`pricewatch run` (Prefect mode) starts its own temporary Prefect API; killing the run with
kill -9 must not leave that server behind."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flows.tempserver import healthy
from tests.flows.conftest import _die_with_pytest, stop_group

pytestmark = pytest.mark.slow

CONSOLE_SCRIPT = str(Path(sys.executable).parent / "pricewatch")


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().split("\0")
    except OSError:
        return []


def alive(pid: int) -> bool:
    """Running (a zombie nobody reaped yet counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_kill_9_of_a_run_takes_its_temporary_prefect_server_with_it(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env.update({"PRICEWATCH_DB": str(tmp_path / "pw.duckdb"), "PRICEWATCH_DATA_DIR": str(tmp_path / "data"),
                "PRICEWATCH_REPORTS_DIR": str(tmp_path / "reports"), "PREFECT_HOME": str(tmp_path / "prefect")})
    run = subprocess.Popen([CONSOLE_SCRIPT, "run", "--offline"], env=env, cwd=tmp_path, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                           preexec_fn=_die_with_pytest)
    try:
        give_up = time.monotonic() + 120
        server = None
        while server is None:
            assert run.poll() is None and time.monotonic() < give_up, "no temporary server seen"
            server = next((c for c in children(run.pid) if "flows.api_server" in cmdline(c)), None)
            time.sleep(0.1)
        port = cmdline(server)[cmdline(server).index("flows.api_server") + 1]
        while not healthy(f"http://127.0.0.1:{port}/api"):  # serving: the run is under way
            assert alive(server) and time.monotonic() < give_up, "the temporary server never answered"
            time.sleep(0.2)

        os.kill(run.pid, signal.SIGKILL)
        run.wait()
        gone_by = time.monotonic() + 15
        while alive(server) and time.monotonic() < gone_by:
            time.sleep(0.1)
        assert not alive(server), "the temporary Prefect server outlived its run"
        assert not healthy(f"http://127.0.0.1:{port}/api")
    finally:
        stop_group(run)
