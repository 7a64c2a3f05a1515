"""dbt step of the daily run, and the pass-through behind ``pricewatch dbt ...``.

dbt always runs in a subprocess (the ``dbt`` script next to the interpreter running pricewatch,
or ``<python> -c "from dbt.cli.main import cli; ..."`` when that script is missing), never
in-process: a programmatic ``dbtRunner`` keeps the DuckDB file locked after
it returns (duckdb/dbt-duckdb#616), and dbt is not safe to invoke twice in one process. The
subprocess gets the project's own profiles dir, ``PRICEWATCH_DB`` as an absolute path, and
target/log dirs under ``settings.data_dir/dbt`` so the repository stays clean.

Every command gets ``--vars`` (``dbt_vars``): the vocabularies the dbt tests check against
(tiers, methods, price kinds, lifecycle events, fetch outcomes, source names), built from the
Python tuples that define them, so adding a source or a tier never touches the dbt project.
dbt run without them stops at parse time naming the missing var (``dbt_models/macros/vocabulary.sql``).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from core.paths import DBT_PROJECT_DIR
from core.settings import Settings
from scrapers import registry
from scrapers.records import GPU_TIERS, LIFECYCLE_EVENTS, PRICE_KINDS, TOKEN_METHODS
from warehouse.load import FETCH_OUTCOMES, SUCCEEDED_OUTCOMES

PROJECT_DIR = DBT_PROJECT_DIR


class DbtFailed(RuntimeError):
    """dbt exited non-zero; the message names the failing nodes and where the log is."""


@dataclass(frozen=True)
class DbtResult:
    args: tuple[str, ...]
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def dbt_dirs(settings: Settings) -> tuple[Path, Path]:
    base = Path(settings.data_dir).resolve() / "dbt"
    return base / "target", base / "logs"


def dbt_env(settings: Settings, base: dict[str, str] | None = None) -> dict[str, str]:
    target, logs = dbt_dirs(settings)
    env = dict(os.environ if base is None else base)
    env.update({
        "PRICEWATCH_DB": str(Path(settings.db_path).resolve()),
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "DBT_PROJECT_DIR": str(PROJECT_DIR),
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(logs),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
        "DBT_USE_COLORS": "false",
    })
    return env


def dbt_command(args: Sequence[str]) -> list[str]:
    """The ``dbt`` entry point next to the running interpreter (works with or without ``uv run``),
    or the same CLI through the interpreter when the script is missing."""
    script = Path(sys.executable).parent / ("dbt.exe" if os.name == "nt" else "dbt")
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-c", "import sys; from dbt.cli.main import cli; sys.exit(cli())", *args]


def dbt_vars() -> dict[str, list[str]]:
    """The dbt project's vocabulary vars, each from the one Python tuple that defines it."""
    return {
        "gpu_tiers": list(GPU_TIERS),
        "token_methods": list(TOKEN_METHODS),
        "price_kinds": list(PRICE_KINDS),
        "lifecycle_events": list(LIFECYCLE_EVENTS),
        "fetch_outcomes": list(FETCH_OUTCOMES),
        "succeeded_outcomes": list(SUCCEEDED_OUTCOMES),
        "sources": list(registry.source_names()),
        "gpu_sources": list(registry.GPU_SOURCES),
        "token_sources": list(registry.TOKEN_SOURCES),
        "dated_sources": list(registry.DATED_SOURCES),
    }


# dbt command groups whose second word is the command (``dbt docs generate``).
_GROUPS = ("docs", "source")


def with_vars(args: Sequence[str]) -> list[str]:
    """``args`` with ``--vars`` added: dbt takes it after the (sub)command only, so nothing is
    added to a bare ``--help``/``--version``. A ``--vars`` the caller passed keeps its own keys
    and gets the vocabularies beside them (the vocabularies win: they are not settings)."""
    args = list(args)
    words = 2 if args and args[0] in _GROUPS else 1
    if len(args) < words or any(a.startswith("-") for a in args[:words]):
        return args
    theirs: dict[str, Any] = {}
    rest: list[str] = []
    i = 0
    while i < len(args):
        if args[i] == "--vars" and i + 1 < len(args):
            text, i = args[i + 1], i + 2
        elif args[i].startswith("--vars="):
            text, i = args[i].split("=", 1)[1], i + 1
        else:
            rest.append(args[i])
            i += 1
            continue
        given = yaml.safe_load(text)
        if not isinstance(given, dict):  # not a mapping: leave it to dbt to say so
            return args
        theirs.update(given)
    return [*rest, "--vars", json.dumps({**theirs, **dbt_vars()})]


def run_dbt(settings: Settings, args: Sequence[str], *, capture: bool = True) -> DbtResult:
    """Run one dbt command in a subprocess (cwd = the dbt project), with the vocabulary vars.
    Never raises on dbt failure."""
    Path(settings.db_path).parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        dbt_command(with_vars(args)), cwd=PROJECT_DIR, env=dbt_env(settings),
        capture_output=capture, text=True,
    )
    output = (proc.stdout or "") + (proc.stderr or "") if capture else ""
    return DbtResult(tuple(args), proc.returncode, output)


_DONE = re.compile(r"Done\. PASS=(\d+) WARN=(\d+) ERROR=(\d+) SKIP=(\d+)(?: NO-OP=(\d+))? TOTAL=(\d+)")
_FAILED_NODE = re.compile(r"^.*?(?:Failure|Error) in (?:test|model|seed|snapshot) (\S+)", re.M)


def summarise(result: DbtResult) -> str:
    found = list(_DONE.finditer(result.output))
    match = found[-1] if found else None
    counts = (f"PASS={match[1]} WARN={match[2]} ERROR={match[3]} SKIP={match[4]} TOTAL={match[6]}"
              if match else "no summary line")
    return f"dbt {' '.join(result.args[:1])}: {counts}"


def failure_message(result: DbtResult, settings: Settings) -> str:
    failed = sorted(set(_FAILED_NODE.findall(result.output)))
    _, logs = dbt_dirs(settings)
    tail = [line for line in result.output.strip().splitlines() if line.strip()][-8:]
    named = f" failing: {', '.join(failed[:10])}." if failed else ""
    return (f"{summarise(result)} (exit {result.returncode}).{named} "
            f"Rerun `pricewatch dbt {' '.join(result.args)}` to see details; log in {logs}/dbt.log. "
            f"Last lines: {' / '.join(tail)}")


def build_models(settings: Settings) -> str:
    """``dbt build`` over the warehouse; returns a one-line summary, raises DbtFailed on failure."""
    if not Path(settings.db_path).exists():
        return f"dbt build skipped: no warehouse at {settings.db_path}"
    result = run_dbt(settings, ["build"])
    if not result.ok:
        raise DbtFailed(failure_message(result, settings))
    return summarise(result)
