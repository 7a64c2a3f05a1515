"""`pricewatch migrate`, and read paths that detect an older warehouse (issue #10 item 7)."""
from __future__ import annotations

import shutil

import duckdb
import pytest

from warehouse import migrate as migrate_module
from warehouse.migrate import migrate, migration_files
from warehouse.semantic import apply_semantic_layer

# Every migration from 040 on is missing from the old warehouse (other workstreams add theirs).
MISSING = [path.name for version, path in migration_files() if version >= 40]
OUTDATED = f"has an older schema (missing {', '.join(MISSING)}): run `pricewatch migrate`"


@pytest.fixture
def old_warehouse(settings, tmp_path, monkeypatch):
    """A warehouse as the release before migration 040 left it: migrations 001-011 and its views."""
    old_dir = tmp_path / "old_migrations"
    old_dir.mkdir()
    for version, path in migration_files():
        if version < 40:
            shutil.copy(path, old_dir / path.name)
    monkeypatch.setattr(migrate_module, "MIGRATIONS_DIR", old_dir)
    con = duckdb.connect(str(settings.db_path))
    migrate(con)
    apply_semantic_layer(con)
    con.close()
    monkeypatch.undo()
    return settings.db_path


@pytest.mark.parametrize("command", [
    ("sql", "select * from token_prices_current"),
    ("status",),
    ("alerts",),
    ("scenarios",),
])
def test_reading_an_older_warehouse_says_run_pricewatch_migrate(cli, old_warehouse, command):
    result = cli(*command, "--db", str(old_warehouse))
    assert result.returncode == 2
    assert OUTDATED in result.stderr and result.stderr.count("\n") == 1


def test_migrate_upgrades_in_place_and_publishes(cli, old_warehouse):
    result = cli("migrate", "--db", str(old_warehouse))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == (f"{old_warehouse}: applied {len(MISSING)} migration(s): "
                                             f"{', '.join(MISSING)}; views and macros recreated")
    copy = old_warehouse.parent / "published" / "pricewatch.duckdb"
    assert result.stdout.splitlines()[1].startswith(f"published {copy}")
    after = cli("sql", "select count(*) as n from token_prices_current", "--format", "csv", "--db", str(old_warehouse))
    assert after.returncode == 0 and after.stdout.splitlines() == ["n", "0"]


def test_migrating_a_current_warehouse_changes_nothing_but_republishes(cli, old_warehouse):
    cli("migrate", "--db", str(old_warehouse))
    again = cli("migrate", "--db", str(old_warehouse))
    assert again.returncode == 0
    assert "schema up to date" in again.stdout and "published" in again.stdout
