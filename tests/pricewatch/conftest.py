from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CONSOLE_SCRIPT = Path(sys.executable).parent / "pricewatch"


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the installed `pricewatch` console script, as a user would."""
    full_env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", **(env or {})}
    return subprocess.run([str(CONSOLE_SCRIPT), *args], capture_output=True, text=True, env=full_env,
                          cwd=cwd, timeout=300)


@pytest.fixture(scope="session")
def cli():
    return run_cli
