"""Helpers: synthetic multi-day RunPod histories built from one real capture, and a drift run
with a fixed clock."""
from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.settings import Settings
from drift.daily import DriftRun, run_drift
from drift.rules import load_rules
from warehouse.replay import replay

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "drift" / "runpod_graphql_gpuTypes_2025-06-21.json"
H100_SXM = "NVIDIA H100 80GB HBM3"
DAY0 = datetime(2025, 6, 21, 23, 18, 57)

# One day's edit: {gpu id: {field: value}} or {gpu id: None} to drop the GPU type that day.
DayEdit = dict[str, dict[str, Any] | None]


def stamp(day: int) -> datetime:
    return DAY0 + timedelta(days=day)


def write_runpod_days(directory: Path, edits: list[DayEdit], *, start: int = 0) -> Path:
    """DIR/runpod/<timestamp>.json, one file per day, each the real capture with that day's edits."""
    base = json.loads(FIXTURE.read_text())
    folder = directory / "runpod"
    folder.mkdir(parents=True, exist_ok=True)
    for offset, edit in enumerate(edits):
        items = []
        for item in base:
            if item["id"] in edit and edit[item["id"]] is None:
                continue
            items.append({**item, **(edit.get(item["id"]) or {})})
        name = stamp(start + offset).strftime("%Y-%m-%dT%H%M%SZ") + ".json"
        (folder / name).write_text(json.dumps(items))
    return directory


def write_runpod_garbage(directory: Path, days: list[int]) -> None:
    folder = directory / "runpod"
    folder.mkdir(parents=True, exist_ok=True)
    for day in days:
        name = stamp(day).strftime("%Y-%m-%dT%H%M%SZ") + ".json"
        (folder / name).write_text("<!DOCTYPE html><html><body>Cloudflare: checking your browser</body></html>")


def h100_secure(price: float) -> DayEdit:
    return {H100_SXM: {"securePrice": price}}


@pytest.fixture
def replay_days(settings: Settings, tmp_path: Path) -> Callable[..., None]:
    def _replay(edits: list[DayEdit], *, start: int = 0) -> None:
        directory = tmp_path / f"snap{start}"
        write_runpod_days(directory, edits, start=start)
        replay(settings, directory)
    return _replay


@pytest.fixture
def drift(settings: Settings) -> Callable[..., DriftRun]:
    """Run evaluation + delivery with the default rules and a clock (default 2025-07-01)."""
    def _run(now: datetime = datetime(2025, 7, 1), **kwargs: Any) -> DriftRun:
        return run_drift(settings, rules=kwargs.pop("rules", None) or load_rules(), now=now,
                         stream=io.StringIO(), **kwargs)
    return _run


def alert_rows(settings: Settings, rule: str | None = None) -> list[dict[str, Any]]:
    import duckdb

    con = duckdb.connect(str(settings.db_path), read_only=True)
    try:
        cur = con.execute("SELECT * FROM alerts WHERE ? IS NULL OR rule = ? ORDER BY first_seen_at, rule, key",
                          [rule, rule])
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()
