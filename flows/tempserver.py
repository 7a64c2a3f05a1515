"""A temporary Prefect API for one ``pricewatch run``, started before Prefect is imported.

Prefect's own ephemeral server (started on first use when ``PREFECT_API_URL`` is unset) is a
subprocess that a kill -9 of the run leaves behind, and it only starts after ``import
prefect``. ``temporary_api()`` instead launches ``flows.api_server`` (which dies with this
process, see there) at once, so the server boots while this process imports Prefect and the
flow, and points Prefect at it through ``PREFECT_API_URL``. With ``PREFECT_API_URL`` already
set (a real server), it does nothing.

This module imports only the standard library: importing it costs nothing.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from flows import prefect_env

STARTUP_TIMEOUT_S = 90.0
ATTEMPTS = 3  # a port taken between choosing and binding it: try another


class ApiServerFailed(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy


def healthy(api_url: str) -> bool:
    try:
        with _DIRECT.open(f"{api_url}/health", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


class TemporaryApi:
    """``start()`` launches the server without waiting; ``wait()`` blocks until it answers."""

    def __init__(self, startup_timeout_s: float = STARTUP_TIMEOUT_S):
        self.startup_timeout_s = startup_timeout_s
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self._log = tempfile.TemporaryFile()  # the server's stderr, shown if it fails to start

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start(self) -> None:
        self.port = free_port()
        env = prefect_env.configure(dict(os.environ))
        env.pop("PREFECT_API_URL", None)
        env.update({"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1",
                    "PREFECT_API_BLOCKS_REGISTER_ON_START": "false"})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flows.api_server", str(self.port), str(os.getpid())],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._log)

    def wait(self) -> str:
        """Block until the server answers; its API URL. Restarts on another port if it died."""
        for attempt in range(ATTEMPTS):
            assert self.process is not None, "start() first"
            give_up = time.monotonic() + self.startup_timeout_s
            while time.monotonic() < give_up:
                if self.process.poll() is not None:
                    break
                if healthy(self.api_url):
                    return self.api_url
                time.sleep(0.1)
            else:
                self.stop()
                raise ApiServerFailed(f"the temporary Prefect API did not answer within {self.startup_timeout_s:g} s "
                                      "(set PREFECT_API_URL to use a running `prefect server start`)")
            self._log.seek(0)
            error = self._log.read().decode(errors="replace")[-2000:]
            if attempt == ATTEMPTS - 1:
                raise ApiServerFailed(f"the temporary Prefect API exited with code {self.process.returncode}: {error}")
            self.start()
        raise AssertionError("unreachable")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def close(self) -> None:
        self.stop()
        self._log.close()


@contextmanager
def temporary_api() -> Iterator[TemporaryApi | None]:
    """Start a temporary API now, unless ``PREFECT_API_URL`` names a server already; stop it at
    the end. The caller waits for it (``api.wait()``) before its first Prefect call."""
    if os.environ.get("PREFECT_API_URL"):
        yield None
        return
    api = TemporaryApi()
    api.start()
    try:
        yield api
    finally:
        api.close()
