"""``pricewatch backfill``: load past prices from public history (commands over
``warehouse.backfill``)."""
from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from pricewatch.cli_common import (
    DAY,
    check_writable,
    db_option,
    echo_err,
    init_option,
    load_settings,
    require_warehouse_or_init,
)
from pricewatch.output import FORMATS, render
from scrapers import skypilot_catalog
from scrapers.github_history import Commit
from warehouse.backfill import Progress, backfill_skypilot


def _clouds(ctx: click.Context, param: click.Parameter, value: str) -> list[str]:
    names = [c.strip().lower() for c in value.split(",") if c.strip()]
    if not names or any(not c.replace("-", "").replace("_", "").isalnum() for c in names):
        raise click.BadParameter(f"{value!r}: give catalogue folder names such as shadeform,aws")
    return names


@contextmanager
def _progress_bar() -> Iterator[Progress]:
    """A progress bar per cloud on stderr, driven by the backfill's progress callback."""
    bars: dict[str, tuple[Any, list[int]]] = {}

    def progress(cloud: str, n: int, total: int, commit: Commit | None) -> None:
        if commit is None:
            bar: Any = click.progressbar(length=max(1, total), label=f"{cloud:<16}", file=sys.stderr, show_pos=True,
                                    item_show_func=lambda c: f"{c:%Y-%m-%d %H:%M}" if c else None)
            bar.__enter__()
            bars[cloud] = (bar, [0])
            if total == 0:
                bar.__exit__(None, None, None)
            return
        bar, last = bars[cloud]
        bar.update(n - last[0], commit.committed_at)
        last[0] = n
        if n == total:
            bar.__exit__(None, None, None)

    yield progress


@click.group()
def backfill() -> None:
    """Load past prices from public history (each past version observed at its own time)."""


@backfill.command("skypilot")
@click.option("--since", required=True, type=DAY,
              help="Load versions committed on or after this day (UTC), e.g. 2026-08-01.")
@click.option("--until", type=DAY, help="... and before this day (default: now).")
@click.option("--clouds", default=",".join(skypilot_catalog.DEFAULT_CLOUDS), show_default=True, callback=_clouds,
              help="Comma-separated catalogue folders (catalogs/v8/<cloud>/vms.csv); any folder works.")
@click.option("--max-wait", type=click.IntRange(0, 3600), default=300, show_default=True,
              help="Seconds to wait for a spent GitHub rate limit to reset before stopping.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@db_option
@init_option
def skypilot(since: date, until: date | None, clouds: list[str], max_wait: int, fmt: str, db: Path | None,
             init: bool) -> None:
    """Backfill from the SkyPilot catalogue's git history.

    Lists the commits of skypilot-org/skypilot-catalog touching each cloud's vms.csv (GitHub
    REST API; 60 requests an hour without a token, set GITHUB_TOKEN for 5,000), then loads each
    version as observed at its commit time. Idempotent and resumable: versions already loaded
    are skipped, so an interrupted run continues where it stopped. Exits 1 when a version or a
    cloud failed (the others are loaded) or the rate limit stopped the run; 2 on bad input. The
    read-only published copy is refreshed when it finishes.

    \b
    Example:
      pricewatch backfill skypilot --since 2026-08-01 --clouds shadeform,aws
    """
    from warehouse.publish import publish

    if until is not None and until <= since:
        raise click.BadParameter("--until must be after --since", param_hint="--until")
    settings = load_settings(db)
    require_warehouse_or_init(settings, init=init, command="backfill skypilot")
    check_writable(settings)
    start = datetime.combine(since, datetime.min.time())
    end = datetime.combine(until, datetime.min.time()) if until is not None else None
    with _progress_bar() as progress:
        result = backfill_skypilot(settings, clouds, since=start, until=end, max_wait_s=max_wait, progress=progress)
    rows = [(r.cloud, r.versions, r.already, r.loaded, r.failed, r.rows) for r in result.clouds]
    click.echo(render(["cloud", "versions", "already_loaded", "loaded", "failed", "rows_added"], rows, fmt))
    for r in result.clouds:
        for error in r.errors[:5]:
            echo_err(f"  {r.cloud}: {error}")
    if any(r.loaded for r in result.clouds):
        echo_err(publish(settings).summary())
    if result.stopped:
        echo_err(f"error: {result.stopped}")
    if not result.ok:
        sys.exit(1)


def register(group: click.Group) -> None:
    group.add_command(backfill)
