"""The built wheel runs on its own: package data (snapshots, dbt project, migrations, semantic
layer, catalogue, rules, templates) is found relative to the installed code, and a run started
from an empty directory writes only where the settings point."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
UV = shutil.which("uv") or str(Path.home() / ".local" / "bin" / "uv")

pytestmark = pytest.mark.slow


def _uv(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([UV, *args], check=True, capture_output=True, text=True, **kw)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    _uv("build", "--wheel", "--quiet", "-o", str(out), cwd=REPO)
    return next(out.glob("pricewatch-*.whl"))


def test_wheel_carries_the_package_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in ("core/_bundled/dbt_models/dbt_project.yml", "warehouse/migrations/001_core.sql",
                     "warehouse/semantic/20_as_of.sql", "cost_engine/catalogue.yaml", "drift/rules.yaml",
                     "reports/templates/report.html.j2", "scrapers/data/fine_tuning_prices.csv"):
        assert expected in names, expected
    assert any(n.startswith("core/_bundled/snapshots/runpod/") for n in names)


def test_installed_console_script_runs_from_an_empty_directory(wheel, tmp_path):
    venv = tmp_path / "venv"
    requirements = tmp_path / "requirements.txt"
    _uv("venv", "--quiet", "--python", f"{sys.version_info.major}.{sys.version_info.minor}", str(venv))
    requirements.write_text(_uv("export", "--frozen", "--no-dev", "--no-emit-project", "--quiet", cwd=REPO).stdout)
    _uv("pip", "install", "--quiet", "-r", str(requirements), str(wheel), env={**os.environ, "VIRTUAL_ENV": str(venv)})
    workdir, home = tmp_path / "empty", tmp_path / "home"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRICEWATCH_")}
    env.update(PRICEWATCH_DATA_DIR=str(home), PRICEWATCH_DB=str(home / "pricewatch.duckdb"),
               PRICEWATCH_REPORTS_DIR=str(home / "reports"))
    result = subprocess.run([str(venv / "bin" / "pricewatch"), "run", "--offline", "--no-prefect"],
                            cwd=workdir, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "| dbt | yes |" in result.stdout and "| report | yes |" in result.stdout
    assert list(workdir.iterdir()) == []
    assert (home / "pricewatch.duckdb").is_file() and any((home / "reports").glob("*.html"))
