"""Backfill from the SkyPilot catalogue's git history: each version observed at its commit time,
idempotent, resumable, failures recorded and retried. GitHub answers are mocked with respx in the
documented shapes; file versions are the real catalogue CSVs bundled as snapshots."""
from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta

import httpx
import pytest
import respx
from click.testing import CliRunner

from core.paths import BUNDLED_SNAPSHOTS
from pricewatch.cli import main
from scrapers import skypilot_catalog
from scrapers.http import HttpClient
from warehouse.backfill import backfill_skypilot
from warehouse.db import write_connection

SHADEFORM = (BUNDLED_SNAPSHOTS / "skypilot_catalog" / "2026-10-01T000000Z__shadeform.csv").read_bytes()
EXAMPLE = json.loads((BUNDLED_SNAPSHOTS.parent / "tests" / "fixtures" / "gpu" /
                      "github_list_commits_example.json").read_bytes())[0]
OLD, NEW = "002363dac75913b446b2d3d564ae795678849dfd", "8e50954d565e52ffb31cb3f84c04e0cebbb15c1d"
T_OLD, T_NEW = datetime(2026, 9, 2, 7, 15, 3), datetime(2026, 9, 2, 14, 15, 41)
SINCE = datetime(2026, 9, 1)


def commit(sha: str, when: datetime) -> dict:
    out = copy.deepcopy(EXAMPLE)
    out["sha"] = sha
    out["commit"]["committer"]["date"] = f"{when:%Y-%m-%dT%H:%M:%S}Z"
    return out


def mock_github(files: dict[str, httpx.Response], commits: list[dict] | None = None) -> respx.Route:
    listing = respx.get(url__startswith="https://api.github.com/repos/skypilot-org/skypilot-catalog/commits").mock(
        return_value=httpx.Response(200, json=commits if commits is not None else
                                    [commit(NEW, T_NEW), commit(OLD, T_OLD)]))  # newest first, as GitHub lists
    for sha, answer in files.items():
        respx.get(skypilot_catalog.raw_url("shadeform", sha)).mock(return_value=answer)
    return listing


def rows(settings, sql: str) -> list[tuple]:
    with write_connection(settings.db_path) as con:
        return con.execute(sql).fetchall()


@pytest.fixture
def http():
    with HttpClient(retries=0, sleep=lambda s: None) as client:
        yield client


@respx.mock
def test_each_version_is_loaded_as_observed_at_its_commit_time(settings, http):
    mock_github({OLD: httpx.Response(200, content=SHADEFORM), NEW: httpx.Response(200, content=SHADEFORM)})
    result = backfill_skypilot(settings, ["shadeform"], since=SINCE, client=http)
    [report] = result.clouds
    assert (report.versions, report.loaded, report.failed, report.already) == (2, 2, 0, 0) and result.ok
    assert rows(settings, "SELECT DISTINCT observed_at FROM gpu_observations ORDER BY 1") == [(T_OLD,), (T_NEW,)]
    assert rows(settings, "SELECT url, mode FROM fetch_log ORDER BY fetch_id") == [
        (skypilot_catalog.raw_url("shadeform", OLD), "backfill"),
        (skypilot_catalog.raw_url("shadeform", NEW), "backfill")]
    assert rows(settings, "SELECT DISTINCT source, catalog FROM gpu_price_history") == [("skypilot_catalog",
                                                                                         "shadeform")]


@respx.mock
def test_a_second_run_adds_nothing(settings, http):
    mock_github({OLD: httpx.Response(200, content=SHADEFORM), NEW: httpx.Response(200, content=SHADEFORM)})
    backfill_skypilot(settings, ["shadeform"], since=SINCE, client=http)
    before = rows(settings, "SELECT count(*) FROM gpu_observations")
    [report] = backfill_skypilot(settings, ["shadeform"], since=SINCE, client=http).clouds
    assert (report.loaded, report.already) == (0, 2)
    assert rows(settings, "SELECT count(*) FROM gpu_observations") == before


@respx.mock
def test_an_interrupted_backfill_resumes_with_the_versions_not_yet_loaded(settings, http):
    mock_github({OLD: httpx.Response(200, content=SHADEFORM)}, commits=[commit(OLD, T_OLD)])
    backfill_skypilot(settings, ["shadeform"], since=SINCE, client=http)  # the first run stopped after OLD
    respx.clear()
    mock_github({OLD: httpx.Response(500), NEW: httpx.Response(200, content=SHADEFORM)})
    [report] = backfill_skypilot(settings, ["shadeform"], since=SINCE, client=http).clouds
    assert (report.already, report.loaded, report.failed) == (1, 1, 0)  # OLD is never asked for again


@respx.mock
def test_a_truncated_download_is_recorded_and_retried_by_the_next_run(settings, http):
    mock_github({OLD: httpx.Response(200, content=SHADEFORM[:10_000]), NEW: httpx.Response(200, content=SHADEFORM)})
    [report] = backfill_skypilot(settings, ["shadeform"], since=SINCE, client=http).clouds
    assert (report.loaded, report.failed) == (1, 1) and "truncated" in report.errors[0]
    assert rows(settings, "SELECT outcome FROM fetch_log ORDER BY fetch_id") == [("parse_error",), ("ok",)]

    respx.clear()
    mock_github({OLD: httpx.Response(200, content=SHADEFORM), NEW: httpx.Response(200, content=SHADEFORM)})
    [report] = backfill_skypilot(settings, ["shadeform"], since=SINCE, client=http).clouds
    assert (report.loaded, report.already, report.failed) == (1, 1, 0)


@respx.mock
def test_a_version_the_raw_host_does_not_have_is_an_http_error_and_the_others_go_on(settings, http):
    mock_github({OLD: httpx.Response(404, text="404: Not Found"), NEW: httpx.Response(200, content=SHADEFORM)})
    result = backfill_skypilot(settings, ["shadeform"], since=SINCE, client=http)
    assert (result.clouds[0].loaded, result.clouds[0].failed, result.ok) == (1, 1, False)
    assert rows(settings, "SELECT outcome, status FROM fetch_log ORDER BY fetch_id") == [("http_error", 404),
                                                                                        ("ok", 200)]


@respx.mock
def test_a_spent_rate_limit_stops_the_run_saying_when_to_resume(settings, http):
    respx.get(url__startswith="https://api.github.com/").mock(return_value=httpx.Response(
        403, json={"message": "API rate limit exceeded"},
        headers={"x-ratelimit-limit": "60", "x-ratelimit-remaining": "0",
                 "x-ratelimit-reset": str(int((datetime.now() + timedelta(hours=1)).timestamp()))}))
    result = backfill_skypilot(settings, ["shadeform", "verda"], since=SINCE, client=http, max_wait_s=10)
    assert result.clouds == [] and "GITHUB_TOKEN" in (result.stopped or "") and not result.ok


@respx.mock
def test_the_command_shows_progress_and_a_summary(settings, monkeypatch):
    monkeypatch.setenv("PRICEWATCH_DATA_DIR", str(settings.data_dir))
    mock_github({OLD: httpx.Response(200, content=SHADEFORM), NEW: httpx.Response(200, content=SHADEFORM)})
    out = CliRunner().invoke(main, ["backfill", "skypilot", "--since", "2026-09-01", "--clouds", "shadeform",
                                    "--format", "csv", "--db", str(settings.db_path), "--init"])
    assert out.exit_code == 0, out.output
    assert "cloud,versions,already_loaded,loaded,failed,rows_added" in out.stdout
    assert out.stdout.strip().splitlines()[-1].startswith("shadeform,2,0,2,0,")
    assert out.stderr.startswith("shadeform")  # the progress bar (its label only: not a terminal)


@pytest.mark.parametrize(("args", "message"), [
    (["--since", "2026-13-01"], "2026-13-01"),
    (["--since", "1999-01-01"], "1999-01-01"),
    (["--since", "2026-09-01", "--until", "2026-08-01"], "after --since"),
    (["--since", "2026-09-01", "--clouds", "../etc"], "catalogue folder names"),
])
def test_bad_options_are_a_one_line_usage_error(settings, args, message):
    out = CliRunner().invoke(main, ["backfill", "skypilot", *args, "--db", str(settings.db_path), "--init"])
    assert out.exit_code == 2 and message in out.output and len(out.output.strip().splitlines()) == 1


def test_without_a_warehouse_it_will_not_start_one_unless_asked(settings):
    out = CliRunner().invoke(main, ["backfill", "skypilot", "--since", "2026-09-01", "--db", str(settings.db_path)])
    assert out.exit_code == 2 and "--init" in out.output and not settings.db_path.exists()
