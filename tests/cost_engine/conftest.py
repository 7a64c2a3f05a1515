"""The bundled offline history (what `make run` loads) as a warehouse, built once per session:
the snapshots in snapshots/ (see snapshots/SOURCES.md) plus the curated price sheet, repriced as
the daily run does (the newest observation day, 2026-10-08, and the 29 days before it)."""
from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import Settings
from cost_engine.daily import reprice_latest
from flows.pipeline import run_daily
from warehouse.publish import publish


@pytest.fixture(scope="session")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root: Path = tmp_path_factory.mktemp("bundled")
    settings = Settings(db_path=root / "pricewatch.duckdb", data_dir=root / "data", reports_dir=root / "reports")
    run_daily(settings, offline=True, post_steps=False)
    reprice_latest(settings)
    publish(settings)  # readers (`pricewatch sql`) open the published copy: refresh it after this write
    return settings
