"""`scenarios`, `estimate` and `alerts` read the published copy, as `sql` and `status` do: a
writer holding the warehouse never blocks them; without a copy they read the warehouse with a note.
Prices: seed article 001's RunPod A100 community $1.64, on a synthetic day."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from cost_engine.daily import reprice_latest
from tests.cost_engine.ce_history import A100_RUNPOD_COMMUNITY, add_gpu, at, gpu
from tests.pricewatch.test_published_readers import _hold, _stop
from warehouse.publish import publish

PRICEWATCH = Path(sys.executable).parent / "pricewatch"
JOB = ["--params", "7e9", "--method", "lora", "--examples", "1000", "--tokens-per-example", "500",
       "--route", "gpu:A100 SXM 80GB:1", "--format", "json"]
COMMANDS = [("scenarios", "--format", "json"), ("estimate", *JOB), ("alerts", "--format", "json")]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRICEWATCH_COST_POLICY": "", "PRICEWATCH_LOCK_WAIT_S": "0"}
    return subprocess.run([str(PRICEWATCH), *args], capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture
def warehouse(settings):
    offer = gpu("runpod", "A100 SXM 80GB", "community", A100_RUNPOD_COMMUNITY)
    add_gpu(settings.db_path, at(date(2026, 6, 1)), [offer])
    reprice_latest(settings)
    return settings


@pytest.mark.parametrize("command", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_a_writer_holding_the_warehouse_does_not_block_the_reader(warehouse, command):
    publish(warehouse)
    holder = _hold(warehouse.db_path)
    try:
        result = _run(*command, "--db", str(warehouse.db_path))
    finally:
        _stop(holder)
    assert result.returncode == 0, result.stderr
    assert "locked" not in result.stderr and "reading the warehouse itself" not in result.stderr


@pytest.mark.parametrize("command", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_without_a_published_copy_the_warehouse_is_read_with_a_note(warehouse, command):
    result = _run(*command, "--db", str(warehouse.db_path))
    assert result.returncode == 0, result.stderr
    assert "no published copy" in result.stderr and "reading the warehouse itself" in result.stderr
