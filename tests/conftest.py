"""Shared test fixtures.

* No test reaches the network: sockets to anything but loopback are refused (respx intercepts
  httpx before sockets; Prefect's test server and the browser test use loopback).
* ``settings``: a Settings pointing at a fresh DuckDB file and raw archive under tmp_path.
* ``bundled``: the bundled offline history (what `make run` loads) as a warehouse, built once per
  session (used by the cost engine's and the `pricewatch costs` tests).
"""
from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.settings import Settings

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

_real_connect = socket.socket.connect
_LOOPBACK_PREFIXES = ("127.", "::1", "localhost", "0.0.0.0")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and (host.startswith(_LOOPBACK_PREFIXES) or self.family == socket.AF_UNIX):
        return _real_connect(self, address)
    raise ConnectionRefusedError(f"tests may not reach the network (tried {address!r}); use respx")


@pytest.fixture(autouse=True, scope="session")
def _no_network() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", _guarded_connect)
        yield


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        db_path=tmp_path / "pricewatch.duckdb",
        data_dir=tmp_path / "data",
        reports_dir=tmp_path / "reports",
        http_retries=1,
    )


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The snapshots in snapshots/ (see snapshots/SOURCES.md) plus the curated price sheet, repriced
    as the daily run does (the newest observation day, 2026-10-08, and the 29 days before it)."""
    from cost_engine.daily import reprice_latest  # imported here: most sessions never build it
    from flows.pipeline import run_daily
    from warehouse.publish import publish

    root: Path = tmp_path_factory.mktemp("bundled")
    settings = Settings(db_path=root / "pricewatch.duckdb", data_dir=root / "data", reports_dir=root / "reports")
    run_daily(settings, offline=True, post_steps=False)
    reprice_latest(settings)
    publish(settings)  # readers (`pricewatch sql`) open the published copy: refresh it after this write
    return settings
