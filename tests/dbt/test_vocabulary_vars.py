"""The dbt project's vocabularies (accepted values, dated sources...) come from the Python tuples
that define them, passed by drift/dbt_runner.py as dbt --vars: adding a source or a tier in
Python never touches dbt_models/."""
from __future__ import annotations

import json
import re
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from core.paths import DBT_PROJECT_DIR
from core.settings import Settings
from drift import dbt_runner
from drift.dbt_runner import dbt_command, dbt_env, dbt_vars, run_dbt, with_vars
from scrapers import registry
from scrapers.records import GPU_TIERS, LIFECYCLE_EVENTS, PRICE_KINDS, TOKEN_METHODS, GpuOffer
from warehouse.db import write_connection
from warehouse.load import FETCH_OUTCOMES, SUCCEEDED_OUTCOMES, FetchLogEntry, insert_fetch_log, load_gpu_offers

# each var and the Python tuple it must carry
EXPECTED = {
    "gpu_tiers": GPU_TIERS,
    "token_methods": TOKEN_METHODS,
    "price_kinds": PRICE_KINDS,
    "lifecycle_events": LIFECYCLE_EVENTS,
    "fetch_outcomes": FETCH_OUTCOMES,
    "succeeded_outcomes": SUCCEEDED_OUTCOMES,
    "sources": registry.GPU_SOURCES + registry.TOKEN_SOURCES,
    "gpu_sources": registry.GPU_SOURCES,
    "token_sources": registry.TOKEN_SOURCES,
    "dated_sources": registry.DATED_SOURCES,
}


def _passed_vars(args: list[str]) -> dict:
    assert args[-2] == "--vars"
    return json.loads(args[-1])


def test_the_vars_passed_are_the_python_vocabularies():
    passed = _passed_vars(with_vars(["build"]))
    assert passed == {name: list(values) for name, values in EXPECTED.items()}


def test_every_vocabulary_the_dbt_project_reads_is_passed():
    used = {name for path in DBT_PROJECT_DIR.rglob("*") if path.suffix in (".sql", ".yml")
            and "target" not in path.parts
            for name in re.findall(r"vocabulary\('(\w+)'\)", path.read_text())}
    assert used and used <= set(dbt_vars())
    assert {"gpu_tiers", "price_kinds", "token_methods", "lifecycle_events", "fetch_outcomes", "sources"} <= used


def _accepted_values(node, where: str = ""):
    """(model.column, values) of every accepted_values test in a parsed properties file."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "accepted_values":
                yield where, value["arguments"]["values"]
            else:
                yield from _accepted_values(value, f"{where}.{node['name']}" if "name" in node else where)
    elif isinstance(node, list):
        for item in node:
            yield from _accepted_values(item, where)


def test_no_properties_file_spells_out_a_python_vocabulary():
    found = [(f"{path.name}{where}", values) for path in (DBT_PROJECT_DIR / "models").rglob("*.yml")
             for where, values in _accepted_values(yaml.safe_load(path.read_text()))]
    literal = [(where, values) for where, values in found if not isinstance(values, str)]
    # price_changes.asset is the mart's own two-valued column, not a Python vocabulary
    assert literal == [("_marts.yml.price_changes.asset", ["gpu", "token"])]
    assert len(found) >= 9 and all("vocabulary(" in v for _, v in found if isinstance(v, str))


def test_a_callers_own_vars_are_kept_beside_the_vocabularies():
    args = with_vars(["build", "--vars", "{threshold: 3}", "--select", "marts"])
    assert args[:3] == ["build", "--select", "marts"]
    assert _passed_vars(args) == {"threshold": 3, **dbt_vars()}
    assert _passed_vars(with_vars(["docs", "generate"])) == dbt_vars()


def test_no_vars_are_added_where_dbt_takes_none():
    assert with_vars(["--version"]) == ["--version"]
    assert with_vars(["docs"]) == ["docs"]  # a group without its command: dbt prints its usage


def _warehouse_with_tier(tmp_path: Path, tier: str) -> Settings:
    settings = Settings(db_path=tmp_path / "pricewatch.duckdb", data_dir=tmp_path / "data")
    at = datetime(2026, 5, 1, 6)
    with write_connection(settings.db_path) as con:
        fetch_id = insert_fetch_log(con, FetchLogEntry("runpod", "https://runpod.example/", at, at, "replay", "ok"))
        load_gpu_offers(con, [GpuOffer("runpod", f"H100|{tier}", "H100 SXM 80GB", "H100", 1, tier, 2.0, 2.0)],
                        at, fetch_id)
    return settings


@pytest.mark.slow
def test_a_tier_added_in_python_is_accepted_by_dbt_without_touching_it(tmp_path, monkeypatch):
    settings = _warehouse_with_tier(tmp_path, "weekly_flex")
    select = ["build", "--select", "stg_gpu_observations"]
    rejected = run_dbt(settings, select)
    assert not rejected.ok and "accepted_values_stg_gpu_observations_tier" in rejected.output
    monkeypatch.setattr(dbt_runner, "GPU_TIERS", (*GPU_TIERS, "weekly_flex"))
    accepted = run_dbt(settings, select)
    assert accepted.ok, accepted.output[-2000:]


@pytest.mark.slow
def test_dbt_run_without_the_vars_stops_and_says_how_to_run_it(tmp_path):
    settings = Settings(db_path=tmp_path / "pricewatch.duckdb", data_dir=tmp_path / "data")
    proc = subprocess.run(dbt_command(["parse"]), cwd=DBT_PROJECT_DIR, env=dbt_env(settings),
                          capture_output=True, text=True)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert re.search(r"dbt var '\w+' is missing", output) and "pricewatch dbt <command>" in output
