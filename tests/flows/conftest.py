"""One real Prefect server (`prefect server start`) for the whole test session.

Started once, on a free loopback port with a temporary PREFECT_HOME and analytics off, on
first use (only the slow flow tests ask for it); torn down at the end of the session whatever
happened (its whole process group), and it dies with this process if pytest is killed (Linux:
PR_SET_PDEATHSIG). In-process flows reach it through ``prefect_api``; subprocesses (served
flows, workers, the prefect CLI) through ``PrefectServer.env``.
"""
from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from flows import prefect_env
from flows.tempserver import free_port, healthy

prefect_env.configure()

PREFECT_CLI = str(Path(sys.executable).parent / "prefect")
STARTUP_TIMEOUT_S = 150


@dataclass(frozen=True)
class PrefectServer:
    api_url: str
    home: Path
    env: dict[str, str]  # for subprocesses that use this server

    def api(self, method: str, path: str, **kwargs) -> httpx.Response:
        """One REST call to the server (raises on an error status)."""
        response = httpx.request(method, f"{self.api_url}{path}", timeout=30, **kwargs)
        response.raise_for_status()
        return response

    def prefect(self, *args: str, cwd: Path | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
        """The prefect CLI against this server."""
        return subprocess.run([PREFECT_CLI, *args], env=self.env, cwd=cwd, capture_output=True, text=True,
                              timeout=timeout)


def _die_with_pytest() -> None:  # runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def stop_group(process: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM the process's whole group (it was started in its own session), then SIGKILL."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass
    try:  # children that outlived the leader
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory) -> Iterator[PrefectServer]:
    home = tmp_path_factory.mktemp("prefect-home")
    port = free_port()
    env = prefect_env.configure({k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")})
    env.update({"PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
                "PREFECT_UI_ENABLED": "false", "PREFECT_SERVER_UI_ENABLED": "false",
                # the served-schedule test needs runs created and picked up within seconds
                "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5",
                "PREFECT_RUNNER_POLL_FREQUENCY": "2", "PREFECT_WORKER_QUERY_SECONDS": "2",
                "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"})
    log = (home / "server.log").open("wb")
    process = subprocess.Popen(
        [PREFECT_CLI, "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-ui", "--analytics-off"],
        env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        preexec_fn=_die_with_pytest)
    api_url = f"http://127.0.0.1:{port}/api"
    try:
        give_up = time.monotonic() + STARTUP_TIMEOUT_S
        while not healthy(api_url):
            if process.poll() is not None or time.monotonic() > give_up:
                pytest.fail("prefect server start did not come up: " + (home / "server.log").read_text()[-3000:])
            time.sleep(0.2)
        yield PrefectServer(api_url, home, {**env, "PREFECT_API_URL": api_url})
    finally:
        stop_group(process)
        log.close()


@pytest.fixture(scope="session")
def prefect_api(prefect_server) -> Iterator[PrefectServer]:
    """Flows run in this process report to the session's server."""
    from prefect.settings import PREFECT_API_URL, PREFECT_UI_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: prefect_server.api_url, PREFECT_UI_URL: ""}):
        yield prefect_server
        from flows.daily import drain_to_api

        drain_to_api()


@pytest.fixture
def flow_env(prefect_api, settings, monkeypatch):
    """Point the flow (which reads settings from the environment) at this test's temp files."""
    monkeypatch.setenv("PRICEWATCH_DB", str(settings.db_path))
    monkeypatch.setenv("PRICEWATCH_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("PRICEWATCH_REPORTS_DIR", str(settings.reports_dir))
    monkeypatch.setenv("PRICEWATCH_HTTP_RETRIES", "0")
    monkeypatch.setenv("PRICEWATCH_SOURCE_RETRIES", "0")
    return settings
