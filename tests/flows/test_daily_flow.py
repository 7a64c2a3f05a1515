"""The `daily-prices` Prefect flow end to end (real flow, real DuckDB, HTTP through respx)."""
from __future__ import annotations

import httpx
import pytest
import respx

from warehouse.db import read_connection

pytestmark = pytest.mark.slow

ALL_PROVIDERS = {"runpod", "vastai", "lambda", "skypilot_catalog"}  # the GPU sources (collectors)


def providers_mock() -> respx.MockRouter:
    """A respx router for provider hosts that lets the local Prefect test server through."""
    mock = respx.mock(assert_all_called=False)
    mock.route(host="127.0.0.1").pass_through()
    mock.route(host="localhost").pass_through()
    return mock


def provider_counts(settings) -> dict[str, int]:
    with read_connection(settings.db_path) as con:
        return dict(con.execute("SELECT source, count(*) FROM gpu_price_history GROUP BY 1").fetchall())


def artifact(key: str) -> str:
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
    return artifacts[0].data if artifacts else ""


def test_offline_run_does_the_whole_day_and_publishes_summaries(flow_env):
    from flows.daily import daily_prices

    markdown = daily_prices(offline=True).to_markdown()
    assert set(provider_counts(flow_env)) == ALL_PROVIDERS
    for provider in ALL_PROVIDERS:
        assert f"| {provider} |" in markdown
    for step in ("reprice", "dbt", "alerts", "report"):
        assert f"| {step} | yes |" in markdown
    assert (flow_env.reports_dir / "latest.html").exists()
    assert "| source | fetched | parsed | rows added" in artifact("daily-prices-summary")
    assert artifact("daily-report-summary")


def test_unreachable_providers_fall_back_to_the_bundled_snapshots(flow_env):
    from flows.daily import daily_prices

    with providers_mock() as mock:
        mock.route().mock(side_effect=httpx.ConnectError("no route to host"))
        markdown = daily_prices(offline=False, post_steps=False).to_markdown()
    assert "No provider was reachable" in markdown
    assert set(provider_counts(flow_env)) == ALL_PROVIDERS


def test_one_failing_source_never_fails_the_others(flow_env, fixtures_dir):
    from flows.daily import daily_prices

    runpod_payload = (fixtures_dir / "gpu" / "runpod_graphql_gpuTypes_2025-06-21.json").read_bytes()
    with providers_mock() as mock:
        mock.post("https://api.runpod.io/graphql").mock(return_value=httpx.Response(200, content=runpod_payload))
        mock.route().mock(return_value=httpx.Response(500, text="internal error"))
        markdown = daily_prices(offline=False, post_steps=False).to_markdown()
    assert provider_counts(flow_env).keys() == {"runpod"}
    assert "No provider was reachable" not in markdown
    assert "HTTP 500" in markdown
