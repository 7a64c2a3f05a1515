"""The temporary Prefect API server of one ``pricewatch run``, as a child that dies with it.

Run as ``python -m flows.api_server PORT PARENT_PID`` by ``flows.tempserver``. Before it imports
anything heavy it makes sure it cannot outlive its parent, however the parent ends (kill -9
included): on Linux the kernel sends it SIGTERM when the parent dies (``PR_SET_PDEATHSIG``),
and on every platform a watchdog thread notices that the parent is gone (the child was
re-parented) within a second. Then it serves Prefect's API with uvicorn on 127.0.0.1:PORT.
"""
from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1
WATCH_EVERY_S = 1.0
GRACE_S = 10.0


def die_with_parent(parent_pid: int) -> None:
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):
            pass  # the watchdog below still covers it
    if os.getppid() != parent_pid:  # the parent died before the line above ran
        os._exit(0)

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(WATCH_EVERY_S)
        os.kill(os.getpid(), signal.SIGTERM)  # uvicorn shuts down cleanly on SIGTERM
        time.sleep(GRACE_S)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def main(argv: list[str]) -> None:
    port, parent_pid = int(argv[0]), int(argv[1])
    die_with_parent(parent_pid)
    import uvicorn

    uvicorn.run("prefect.server.api.server:create_app", factory=True, host="127.0.0.1", port=port,
                log_level="error", lifespan="on")


if __name__ == "__main__":
    main(sys.argv[1:])
