"""Bad inputs to the cost commands through the installed console script (issue #14 item 7): one
line on stderr naming the bad value and the valid range, exit code 2, never a traceback, nothing
written. Prices: seed article 001's RunPod A100 community $1.64 on a synthetic day."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from tests.cost_engine.ce_history import A100_RUNPOD_COMMUNITY, add_gpu, at, gpu
from tests.sql import scalar
from warehouse.db import read_connection

PRICEWATCH = Path(sys.executable).parent / "pricewatch"
JOB = ["--params", "7e9", "--method", "lora", "--examples", "1000", "--tokens-per-example", "500",
       "--route", "gpu:A100 SXM 80GB:1"]


@pytest.fixture
def db(settings):
    offer = gpu("runpod", "A100 SXM 80GB", "community", A100_RUNPOD_COMMUNITY)
    add_gpu(settings.db_path, at(date(2026, 6, 1)), [offer])
    return str(settings.db_path)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    """The console script; an argument ``env:NAME=VALUE`` sets an environment variable instead."""
    env = {**os.environ, "PRICEWATCH_COST_POLICY": ""}
    for name, _, value in (a[4:].partition("=") for a in args if a.startswith("env:")):
        env[name] = value
    argv = [a for a in args if not a.startswith("env:")]
    return subprocess.run([str(PRICEWATCH), *argv], capture_output=True, text=True, timeout=120, env=env)


def _with(args: list[str], option: str, value: str) -> list[str]:
    out = list(args)
    if option in out:
        out[out.index(option) + 1] = value
    else:
        out += [option, value]
    return out


CASES = [
    # (command and arguments, what the one-line error must name). The option errors come from the
    # shared validators of pricewatch.cli_common (Number, DAY, Choice, PRICE_AGES): the same words
    # as every other command's, "<value> is out of range; valid: <low> to <high> (<kind>)".
    (["estimate", *_with(JOB, "--params", "0")], ["'--params'", "0 is out of range", "valid: 1e+06 to 1e+13"]),
    (["estimate", *_with(JOB, "--params", "-7e9")], ["-7e9 is out of range", "valid: 1e+06 to 1e+13"]),
    (["estimate", *_with(JOB, "--params", "nan")], ["nan is out of range", "finite number"]),
    (["estimate", *_with(JOB, "--params", "inf")], ["inf is out of range", "finite number"]),
    (["estimate", *_with(JOB, "--seq-len", "0")], ["0 is out of range", "valid: 16 to 1.04858e+06"]),
    (["estimate", *_with(JOB, "--seq-len", "nan")], ["nan is out of range", "whole number"]),
    (["estimate", *_with(JOB, "--seq-len", "-4096")], ["-4096 is out of range", "whole number"]),
    (["estimate", *_with(JOB, "--seq-len", "2048.5")], ["'2048.5' is not a whole number"]),
    (["estimate", *_with(JOB, "--runs", "-2")], ["-2 is out of range", "valid: 1 to 1000"]),
    (["estimate", *_with(JOB, "--epochs", "inf")], ["inf is out of range", "valid: 0.01 to 1000"]),
    (["estimate", *_with(JOB, "--tokens-per-example", "0")], ["0 is out of range", "valid: 1 to 1e+07"]),
    (["estimate", *_with(JOB, "--route", "gpu:A100 SXM 80GB:1:runpod:premium")],
     ["tier 'premium' is not one of on_demand", "valid forms:"]),
    (["estimate", *_with(JOB, "--route", "gpu:A100 SXM 80GB:-1")], ["GPU count -1 must be from 1 to 64"]),
    (["estimate", *JOB, "--as-of", "9999-12-31"], ["9999-12-31 is out of range", "valid: 2000-01-01 to 2099-12-31"]),
    (["estimate", *JOB, "--price-override", "gpu:H100=-1"], ["'gpu:H100=-1'", "above 0 and at most 100"]),
    (["estimate", *JOB, "--max-price-age", "gpu_provider=abc"], ["gpu_provider='abc'", "from 0 to 3650"]),
    (["estimate", *JOB, "--max-price-age", "gpu=7"], ["'gpu' is not one of gpu_marketplace"]),
    (["estimate", *JOB, "--spot-allowance", "2"], ["2 is out of range", "valid: 0 to 1"]),
    (["estimate", *JOB, "--customer-profile", "vip"], ["'vip' is not a customer profile",
                                                       "valid: new, inactive, active"]),
    (["estimate", *JOB, "--customer-profile", "actve"], ["did you mean 'active'?"]),
    (["estimate", *JOB, "--min-ram-gb", "-1"], ["-1 is out of range"]),
    (["scenarios", "--as-of", "0001-01-01"], ["0001-01-01 is out of range", "valid: 2000-01-01 to 2099-12-31"]),
    (["scenarios", "--as-of", "2026-13-45"], ["'2026-13-45' is not a date", "YYYY-MM-DD"]),
    (["scenarios", "--scenario", "no_such_scenario"], ["no scenario 'no_such_scenario'", "weekend_lora_7b"]),
    (["reprice", "--from", "1900-01-01"], ["1900-01-01 is out of range", "valid: 2000-01-01 to 2099-12-31"]),
    (["reprice", "--from", "2020-01-01"], ["--from 2020-01-01 is before the first observation",
                                           "valid range 2026-06-01 to 2026-06-01"]),
    (["reprice", "--from", "2026-06-02", "--to", "2026-06-01"], ["--to 2026-06-01 is before --from 2026-06-02"]),
    # A bad cost setting is one line too, naming the variable (core.settings, as every setting).
    (["estimate", *JOB, "env:PRICEWATCH_CUSTOMER_PROFILE=vip"], ["PRICEWATCH_CUSTOMER_PROFILE='vip'"]),
    (["scenarios", "env:PRICEWATCH_MAX_PRICE_AGE=gpu_provider=-3"], ["PRICEWATCH_MAX_PRICE_AGE",
                                                                    "gpu_provider='-3'"]),
]


@pytest.mark.parametrize("args,names", CASES, ids=[" ".join(c[0][:1] + c[0][-2:]) for c in CASES])
def test_a_bad_input_is_one_line_exit_2_and_writes_nothing(db, args, names):
    result = _run(*args, "--db", db)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for name in names:
        assert name in lines[0], lines[0]
    assert result.stdout == ""
    with read_connection(db) as con:
        assert scalar(con.execute("SELECT count(*) FROM scenario_costs")) == 0
