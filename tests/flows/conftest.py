"""One Prefect test harness for the whole session (it takes ~15-20 s to start)."""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def flow_env(prefect_harness, settings, monkeypatch):
    """Point the flow (which reads settings from the environment) at this test's temp files."""
    monkeypatch.setenv("PRICEWATCH_DB", str(settings.db_path))
    monkeypatch.setenv("PRICEWATCH_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("PRICEWATCH_REPORTS_DIR", str(settings.reports_dir))
    monkeypatch.setenv("PRICEWATCH_HTTP_RETRIES", "0")
    return settings
