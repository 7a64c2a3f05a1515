"""Settings: one home for every path, resolved to absolute paths once; every value validated."""
from __future__ import annotations

from pathlib import Path

import pytest

from core.paths import BUNDLED_SNAPSHOTS
from core.settings import Settings, SettingsError, physical_memory_mb


def load(tmp_path: Path, **env: str) -> Settings:
    cwd = tmp_path / "cwd"
    cwd.mkdir(exist_ok=True)
    return Settings.from_env(env, cwd=cwd)


def test_without_a_home_the_repository_layout_is_resolved_against_the_working_directory(tmp_path):
    s = load(tmp_path)
    cwd = tmp_path / "cwd"
    assert (s.db_path, s.data_dir, s.raw_dir, s.alert_log, s.reports_dir) == (
        cwd / "data" / "pricewatch.duckdb", cwd / "data", cwd / "data" / "raw", cwd / "data" / "alerts.jsonl",
        cwd / "reports" / "out")
    assert (s.published_db, s.published_parquet_dir) == (
        cwd / "data" / "published" / "pricewatch.duckdb", cwd / "data" / "published" / "pricewatch_parquet")
    assert s.snapshots_dir == BUNDLED_SNAPSHOTS and s.home is None


def test_a_home_holds_every_path(tmp_path):
    home = tmp_path / "home"
    s = load(tmp_path, PRICEWATCH_HOME=str(home))
    assert (s.home, s.db_path, s.raw_dir, s.alert_log, s.reports_dir, s.published_db, s.published_parquet_dir) == (
        home, home / "pricewatch.duckdb", home / "raw", home / "alerts.jsonl", home / "reports",
        home / "published" / "pricewatch.duckdb", home / "published" / "pricewatch_parquet")


def test_a_relative_home_is_made_absolute_against_the_working_directory(tmp_path):
    assert load(tmp_path, PRICEWATCH_HOME="pw").db_path == tmp_path / "cwd" / "pw" / "pricewatch.duckdb"


def test_relative_variables_are_relative_to_the_home(tmp_path):
    home = tmp_path / "home"
    s = load(tmp_path, PRICEWATCH_HOME=str(home), PRICEWATCH_DB="other.duckdb", PRICEWATCH_REPORTS_DIR="../out")
    assert (s.db_path, s.reports_dir) == (home / "other.duckdb", tmp_path / "out")


def test_an_empty_variable_counts_as_unset(tmp_path):
    assert load(tmp_path, PRICEWATCH_DB="").db_path == tmp_path / "cwd" / "data" / "pricewatch.duckdb"


def test_an_explicit_db_wins_and_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = load(tmp_path, PRICEWATCH_DB=str(tmp_path / "env.duckdb")).with_db("cli.duckdb")
    assert s.db_path == tmp_path / "cli.duckdb" and s.published_db == tmp_path / "published" / "cli.duckdb"


def test_the_config_file_in_the_home_sets_values_and_variables_override_it(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "pricewatch.toml").write_text('db = "w/main.duckdb"\nhttp_retries = 5\nlock_wait_s = 2.5\n'
                                          'alert_urls = ["json://hooks.example/a"]\nsql_memory_limit = "1GiB"\n')
    s = load(tmp_path, PRICEWATCH_HOME=str(home), PRICEWATCH_HTTP_RETRIES="1")
    assert (s.config_file, s.db_path, s.http_retries, s.lock_wait_s, s.alert_urls, s.sql_memory_limit_mb) == (
        home / "pricewatch.toml", home / "w" / "main.duckdb", 1, 2.5, ("json://hooks.example/a",), 1024)


def test_an_unknown_config_key_is_named_with_a_suggestion(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "pricewatch.toml").write_text("http_retry = 5\n")
    with pytest.raises(SettingsError, match="unknown setting 'http_retry'; did you mean 'http_retries'"):
        load(tmp_path, PRICEWATCH_HOME=str(home))


def test_a_config_file_that_is_not_toml_is_named(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "pricewatch.toml").write_text("db = \n")
    with pytest.raises(SettingsError, match="pricewatch.toml is not valid TOML"):
        load(tmp_path, PRICEWATCH_HOME=str(home))


@pytest.mark.parametrize("value, message", [
    ("abc", "PRICEWATCH_HTTP_RETRIES='abc' is not a whole number; valid: 0 to 10"),
    ("-1", "PRICEWATCH_HTTP_RETRIES='-1' is out of range; valid: 0 to 10"),
    ("11", "PRICEWATCH_HTTP_RETRIES='11' is out of range; valid: 0 to 10"),
    ("2.5", "PRICEWATCH_HTTP_RETRIES='2.5' is not a whole number; valid: 0 to 10"),
])
def test_bad_http_retries_are_refused_naming_the_value_and_range(tmp_path, value, message):
    with pytest.raises(SettingsError) as caught:
        load(tmp_path, PRICEWATCH_HTTP_RETRIES=value)
    assert str(caught.value).startswith(message)


def test_zero_http_retries_is_allowed(tmp_path):
    assert load(tmp_path, PRICEWATCH_HTTP_RETRIES="0").http_retries == 0


@pytest.mark.parametrize("var, value", [
    ("PRICEWATCH_LOCK_WAIT_S", "nan"), ("PRICEWATCH_LOCK_WAIT_S", "-1"), ("PRICEWATCH_SQL_TIMEOUT_S", "0"),
    ("PRICEWATCH_HTTP_TIMEOUT_S", "inf"), ("PRICEWATCH_SQL_MEMORY_LIMIT", "lots"),
    ("PRICEWATCH_SQL_MEMORY_LIMIT", "32MB"), ("PRICEWATCH_SQL_MEMORY_LIMIT", "100TB"),
])
def test_bad_numbers_are_refused_naming_the_variable(tmp_path, var, value):
    with pytest.raises(SettingsError, match=f"^{var}='{value}' is (not a|out of range)"):
        load(tmp_path, **{var: value})


def test_memory_sizes_accept_units_and_default_to_a_quarter_of_the_ram(tmp_path):
    assert load(tmp_path, PRICEWATCH_SQL_MEMORY_LIMIT="2GB").sql_memory_limit_mb == 2 * 10**9 // 2**20
    assert load(tmp_path, PRICEWATCH_SQL_MEMORY_LIMIT="1500").sql_memory_limit_mb == 1500
    assert load(tmp_path).sql_memory_limit_mb == physical_memory_mb() // 4


def test_a_data_dir_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "data.txt").write_text("x")
    with pytest.raises(SettingsError, match=f"PRICEWATCH_DATA_DIR: {tmp_path / 'data.txt'} is a file, not a directory"):
        load(tmp_path, PRICEWATCH_DATA_DIR=str(tmp_path / "data.txt"))


def test_a_folder_below_a_file_is_refused(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(SettingsError, match="cannot be created: .*/f is a file"):
        load(tmp_path, PRICEWATCH_REPORTS_DIR=str(tmp_path / "f" / "reports"))


def test_a_db_that_is_a_directory_is_refused(tmp_path):
    with pytest.raises(SettingsError, match="PRICEWATCH_DB: .* is a directory"):
        load(tmp_path, PRICEWATCH_DB=str(tmp_path))


def test_a_home_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "home").write_text("x")
    with pytest.raises(SettingsError, match="PRICEWATCH_HOME=.* is a file, not a directory"):
        load(tmp_path, PRICEWATCH_HOME=str(tmp_path / "home"))


def test_a_missing_snapshots_dir_is_refused(tmp_path):
    with pytest.raises(SettingsError, match="PRICEWATCH_SNAPSHOTS_DIR=.*/nope is not a folder"):
        load(tmp_path, PRICEWATCH_SNAPSHOTS_DIR=str(tmp_path / "nope"))
