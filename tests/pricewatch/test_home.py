"""One home for paths (issue #10): PRICEWATCH_HOME decides where everything lives, never the
working directory; a command never silently starts a second warehouse."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.paths import PROJECT_ROOT


def _files(root: Path) -> dict[str, int]:
    """Every file under ``root`` with its modification time (bytecode caches aside)."""
    skip = {".git", ".venv", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*")
            if p.is_file() and not skip.intersection(p.relative_to(root).parts)}


@pytest.mark.slow
def test_an_offline_run_from_an_empty_directory_writes_only_under_the_home(cli, tmp_path):
    home, cwd, user = tmp_path / "home", tmp_path / "cwd", tmp_path / "user"
    cwd.mkdir()
    user.mkdir()
    repo_before = _files(PROJECT_ROOT)
    result = cli("run", "--offline", "--no-prefect", cwd=cwd, env={"PRICEWATCH_HOME": str(home), "HOME": str(user)})
    assert result.returncode == 0, result.stderr[-2000:]
    assert list(cwd.iterdir()) == [] and list(user.iterdir()) == []
    assert _files(PROJECT_ROOT) == repo_before
    for written in ("pricewatch.duckdb", "raw/runpod", "alerts.jsonl", "reports/latest.html", "dbt"):
        assert (home / written).exists(), written
    assert set(_files(tmp_path)) == {f"home/{name}" for name in _files(home)}


def test_paths_shows_where_everything_lives(cli, tmp_path):
    home = tmp_path / "home"
    result = cli("paths", "--format", "json", env={"PRICEWATCH_HOME": str(home)}, cwd=tmp_path)
    paths = {row["what"]: row["path"] for row in json.loads(result.stdout)}
    assert paths["warehouse"] == str(home / "pricewatch.duckdb")
    assert paths["published copy"] == str(home / "published" / "pricewatch.duckdb")
    assert paths["published parquet"] == str(home / "published" / "pricewatch_parquet")
    assert paths["raw archive"] == str(home / "raw") and paths["alert log"] == str(home / "alerts.jsonl")
    assert paths["reports"] == str(home / "reports")


def test_a_command_from_another_directory_finds_the_same_warehouse(cli, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    assert cli("migrate", env={"PRICEWATCH_HOME": str(home)}, cwd=tmp_path).returncode == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = cli("sql", "select count(*) as n from fetch_log", "--format", "csv", cwd=elsewhere,
                 env={"PRICEWATCH_HOME": str(home)})
    assert result.returncode == 0 and result.stdout.splitlines() == ["n", "0"]
    assert list(elsewhere.iterdir()) == []


def test_inside_an_existing_home_a_write_command_may_create_the_warehouse(cli, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    result = cli("migrate", env={"PRICEWATCH_HOME": str(home)}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (home / "pricewatch.duckdb").is_file() and (home / "published" / "pricewatch.duckdb").is_file()


def test_without_a_home_a_write_command_refuses_to_start_a_warehouse_in_the_working_directory(cli, tmp_path):
    result = cli("migrate", cwd=tmp_path, env={"PRICEWATCH_HOME": ""})
    assert result.returncode == 2
    assert result.stderr == (f"error: no warehouse at {tmp_path / 'data' / 'pricewatch.duckdb'} (PRICEWATCH_HOME is "
                             f"not set): `pricewatch migrate` will not create a new one there; pass --init to create "
                             f"it, or point --db / PRICEWATCH_HOME at the existing warehouse\n")
    assert list(tmp_path.iterdir()) == []


def test_a_home_that_does_not_exist_yet_is_not_created_by_a_write_command_without_init(cli, tmp_path):
    result = cli("migrate", cwd=tmp_path, env={"PRICEWATCH_HOME": str(tmp_path / "typo")})
    assert result.returncode == 2 and "does not exist" in result.stderr
    assert not (tmp_path / "typo").exists()


def test_init_creates_the_warehouse_where_asked(cli, tmp_path):
    result = cli("migrate", "--init", "--db", str(tmp_path / "new" / "pw.duckdb"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "new" / "pw.duckdb").is_file() and (tmp_path / "new" / "published" / "pw.duckdb").is_file()


def test_the_config_file_in_the_home_is_used(cli, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "pricewatch.toml").write_text('db = "warehouse/main.duckdb"\n')
    result = cli("migrate", env={"PRICEWATCH_HOME": str(home)}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (home / "warehouse" / "main.duckdb").is_file()
