"""Replay of 365 daily snapshots of all three GPU sources (built from the bundled snapshots)."""
from __future__ import annotations

import json
import random
import re
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from benchmarks.common import line, stopwatch
from core.paths import BUNDLED_SNAPSHOTS
from core.settings import Settings
from scrapers.registry import GPU_SOURCES
from warehouse.archive import format_timestamp
from warehouse.db import read_connection
from warehouse.replay import discover, replay

_PRICE_IN_HTML = re.compile(r"\$?(\d+\.\d{2})")


def _jitter_json(value, rng: random.Random):
    """Move every positive price-looking float by up to ±5% (keeps 0 / 0.5 placeholders intact)."""
    if isinstance(value, dict):
        return {k: _jitter_json(v, rng) for k, v in value.items()}
    if isinstance(value, list):
        return [_jitter_json(v, rng) for v in value]
    if isinstance(value, float) and value not in (0.0, 0.5):
        return round(value * rng.uniform(0.95, 1.05), 4)
    return value


def _jitter(body: bytes, ext: str, rng: random.Random) -> bytes:
    if ext == "json":
        return json.dumps(_jitter_json(json.loads(body), rng)).encode()
    text = body.decode()
    def moved(m: re.Match[str]) -> str:
        return m.group(0).replace(m.group(1), f"{float(m.group(1)) * rng.uniform(0.95, 1.05):.2f}")

    return _PRICE_IN_HTML.sub(moved, text).encode()


def build_year(target: Path, days: int = 365, seed: int = 11) -> int:
    rng = random.Random(seed)
    latest = {}
    for f in discover(BUNDLED_SNAPSHOTS, GPU_SOURCES).files:
        latest[f.source] = f  # last bundled snapshot per source
    start = datetime(2025, 1, 1, 6)
    count = 0
    for source, snap in latest.items():
        body = snap.path.read_bytes()
        for day in range(days):
            stamp = format_timestamp(start + timedelta(days=day))
            out = target / source / f"{stamp}.{snap.ext}"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(_jitter(body, snap.ext, rng))
            count += 1
    return count


def main(days: int = 365) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        snaps = Path(tmp) / "snaps"
        files = build_year(snaps, days)
        print(f"[replay] {files:,} snapshot files ({days} days x {', '.join(GPU_SOURCES)})")
        settings = Settings(db_path=Path(tmp) / "bench.duckdb", data_dir=Path(tmp) / "data")
        with stopwatch() as took:
            summaries = replay(settings, snaps)
        with read_connection(settings.db_path) as con:
            rows = con.execute("SELECT count(*) FROM gpu_observations").fetchall()[0][0]
        errors = sum(len(s.errors) for s in summaries.values())
        line("replay total (archive + parse + load)", f"{took[0]:.1f} s  = {files / took[0]:,.1f} files/s")
        line("observations loaded", f"{rows:,} rows ({rows / took[0]:,.0f} rows/s), {errors} file errors")
    return {"replay_s": took[0], "files": files}


if __name__ == "__main__":
    main()
