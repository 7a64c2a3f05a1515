"""A warm offline daily run: its fixed overhead (imports, Prefect's start-up) against its work,
and concurrent against one-after-another collection.

"Warm" = the second run on the same warehouse and the same PREFECT_HOME (the Prefect database
already migrated), as a daily cron job runs. Every run is the real console script in its own
process; the work is timed inside a `--no-prefect`-style process phase by phase. Wall times
depend on what else the machine is doing, so the CPU seconds of each run (with every process
it waited for) and the load average are printed too.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import line

PRICEWATCH = str(Path(sys.executable).parent / "pricewatch")
GOAL_S = 30.0

# `pricewatch run --offline --no-prefect` in one fresh process, phase by phase.
NO_PREFECT_PHASES = """
import json, time
t0 = time.perf_counter()
from core.settings import settings_for
from flows import pipeline
marks = {"import": time.perf_counter() - t0}
settings = settings_for(None)
t = time.perf_counter()
pipeline.load_sources(offline=True, collect=dict, replay_snapshots=lambda local: pipeline.replay_bundled(settings))
marks["load"] = time.perf_counter() - t
for step in pipeline.run_steps(True):
    t = time.perf_counter()
    assert pipeline.run_step(step, settings).ok
    marks[step.name] = time.perf_counter() - t
marks["total"] = time.perf_counter() - t0
print(json.dumps(marks))
"""

# `pricewatch run --offline` (Prefect) in one fresh process, as pricewatch.cli_run does it; the
# work is what the flow's task runs took (read from the API before it stops).
PREFECT_PHASES = """
import json, time
t0 = time.perf_counter()
from flows.tempserver import temporary_api
with temporary_api() as api:
    from flows.daily import run_once
    marks = {"import": time.perf_counter() - t0}
    url = api.wait()
    marks["api ready"] = time.perf_counter() - t0
    t = time.perf_counter()
    state, summary = run_once(url, offline=True)
    assert state.is_completed(), state
    marks["flow"] = time.perf_counter() - t
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.settings import PREFECT_API_URL, temporary_settings
    this_run = FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id]))
    with temporary_settings(updates={PREFECT_API_URL: url}), get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=this_run)
    marks["tasks"] = sum(r.total_run_time.total_seconds() for r in runs)
    t = time.perf_counter()
marks["stop"] = time.perf_counter() - t
marks["total"] = time.perf_counter() - t0
print(json.dumps(marks))
"""

IMPORT = "import time; t0 = time.perf_counter(); import {module}; print(time.perf_counter() - t0)"


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (the run and every process it waited for: the temporary
    API, dbt) of one `pricewatch run --offline`."""
    cpu, started = _cpu_of_children(), time.perf_counter()
    result = subprocess.run([PRICEWATCH, "run", "--offline", *args], env=env, capture_output=True, text=True,
                            timeout=900)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"pricewatch run {' '.join(args)} failed: {result.stderr[-2000:]}")
    return wall, _cpu_of_children() - cpu


def _python(code: str, env: dict[str, str], *args: str) -> str:
    result = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True,
                            timeout=900)
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    return result.stdout.strip().splitlines()[-1]


def overhead(env: dict[str, str]) -> dict[str, float]:
    cold, _ = _run([], env)  # warm-up: the warehouse exists, dbt has run once, PREFECT_HOME's database is migrated
    cli_prefect, cpu_prefect = _run([], env)
    cli_no_prefect, cpu_no_prefect = _run(["--no-prefect"], env)
    plain = json.loads(_python(NO_PREFECT_PHASES, env))
    flow = json.loads(_python(PREFECT_PHASES, env))
    work = plain["total"] - plain["import"]
    import_flow = float(_python(IMPORT.format(module="flows.daily"), env))
    load = os.getloadavg()[0]

    print(f"Warm offline daily run (bundled snapshots, all four after-load steps; load average {load:.1f}):")
    line("first run (cold: new warehouse, new Prefect database), wall", f"{cold:.1f} s")
    line("pricewatch run --offline (Prefect, temporary API), wall", f"{cli_prefect:.1f} s "
                                                                      f"(CPU {cpu_prefect:.1f} s)")
    line("pricewatch run --offline --no-prefect, wall", f"{cli_no_prefect:.1f} s (CPU {cpu_no_prefect:.1f} s)")
    line("  Prefect run / --no-prefect run", f"{cli_prefect / cli_no_prefect:.2f}x")
    line("  the work (--no-prefect, in process)", f"{work:.1f} s: " + ", ".join(
        f"{k} {v:.1f}" for k, v in plain.items() if k not in ("import", "total")))
    line("  --no-prefect fixed overhead: imports", f"{plain['import']:.1f} s = "
                                                    f"{plain['import'] / plain['total']:.0%} of {plain['total']:.1f} s")
    fixed = flow["total"] - flow["tasks"]
    line("  Prefect fixed overhead: run - its task runs",
         f"{fixed:.1f} s = {fixed / flow['total']:.0%} of {flow['total']:.1f} s")
    line("    imports (Prefect + the flow; the API boots meanwhile)", f"{flow['import']:.1f} s")
    line("    waiting for the temporary API after the imports", f"{flow['api ready'] - flow['import']:.1f} s")
    line("    in the flow, around its tasks", f"{flow['flow'] - flow['tasks']:.1f} s")
    line("    stopping the API", f"{flow['stop']:.1f} s")
    line("    import flows.daily alone", f"{import_flow:.1f} s")
    line(f"  goal: a warm offline daily run under {GOAL_S:.0f} s (wall, on this machine now)",
         f"{'met' if cli_prefect < GOAL_S else 'NOT met'} (Prefect {cli_prefect:.1f} s, "
         f"--no-prefect {cli_no_prefect:.1f} s)")
    line("  CPU seconds per wall second of the Prefect run (2 cores: at most 2)", f"{cpu_prefect / cli_prefect:.2f}")
    return {"cold_s": cold, "prefect_s": cli_prefect, "prefect_cpu_s": cpu_prefect, "no_prefect_s": cli_no_prefect,
            "no_prefect_cpu_s": cpu_no_prefect, "work_s": work, "prefect_fixed_s": fixed, "load_average": load}


COLLECT = """
import json, sys, time
from dataclasses import replace
import httpx, respx
from core.settings import settings_for
from flows import pipeline
pipeline.MAX_COLLECT_THREADS = int(sys.argv[1])
settings = replace(settings_for(None), http_retries=0, source_retries=0)

def answer(request):
    time.sleep(0.5)  # a provider's answer time
    return httpx.Response(503)

with respx.mock() as mock:
    mock.route().mock(side_effect=answer)
    t = time.perf_counter()
    pipeline.collect_live(settings)
    print(time.perf_counter() - t)
"""


def collection(env: dict[str, str]) -> dict[str, float]:
    one_by_one, together = (float(_python(COLLECT, env, threads)) for threads in ("1", "8"))
    print("Live collection of every source, each answering in 0.5 s (respx), without Prefect:")
    line("one after another (1 thread)", f"{one_by_one:.1f} s")
    line("at the same time (8 threads, as `pricewatch run --no-prefect`)", f"{together:.1f} s")
    line("  speed-up", f"{one_by_one / together:.1f}x")
    return {"sequential_s": one_by_one, "concurrent_s": together}


def main() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
        env.update({"PRICEWATCH_DB": f"{tmp}/pw.duckdb", "PRICEWATCH_DATA_DIR": f"{tmp}/data",
                    "PRICEWATCH_REPORTS_DIR": f"{tmp}/reports", "PREFECT_HOME": f"{tmp}/prefect",
                    "PREFECT_SERVER_ANALYTICS_ENABLED": "false"})
        return {**overhead(env), **collection(env)}



if __name__ == "__main__":
    main()
