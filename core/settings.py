"""Runtime settings: where the warehouse, raw archive, snapshots and reports live.

Everything has a default that works on a fresh clone; environment variables override:

* ``PRICEWATCH_DB``            DuckDB file (default ``data/pricewatch.duckdb``)
* ``PRICEWATCH_DATA_DIR``      data folder holding ``raw/`` (default ``data``)
* ``PRICEWATCH_REPORTS_DIR``   report output folder (default ``reports/out``)
* ``PRICEWATCH_ALERT_URLS``    space-separated apprise URLs for alert delivery
* ``LAMBDA_API_KEY``           switches the Lambda collector from the pricing page to the API
* ``PRICEWATCH_SNAPSHOTS_DIR`` offline snapshot folder (default: the bundled ``snapshots/``)
* ``PRICEWATCH_HTTP_RETRIES``  retries per request on 429/5xx/connection errors (default 3)
* ``PRICEWATCH_SOURCE_BUDGET_S`` / ``PRICEWATCH_RUN_BUDGET_S`` / ``PRICEWATCH_LOCK_WAIT_S`` /
  ``PRICEWATCH_SOURCE_RETRIES`` / ``PRICEWATCH_SOURCE_RETRY_DELAY_S``: the daily run's limits
  (see the fields at the end of ``Settings``)
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from core.paths import BUNDLED_SNAPSHOTS


@dataclass(frozen=True)
class Settings:
    db_path: Path = Path("data/pricewatch.duckdb")
    data_dir: Path = Path("data")
    reports_dir: Path = Path("reports/out")
    snapshots_dir: Path = BUNDLED_SNAPSHOTS
    alert_urls: tuple[str, ...] = ()
    lambda_api_key: str | None = field(default=None, repr=False)
    http_timeout_s: float = 20.0
    http_retries: int = 3
    # The daily run's limits (flows/): wall-clock seconds one source may take (fetch, archive,
    # load), seconds the whole collection may take, seconds a run waits for another run's lock,
    # and how often a failed source is collected again (first delay; the next is 6x).
    source_budget_s: float = 300.0
    run_budget_s: float = 1200.0
    lock_wait_s: float = 0.0
    source_retries: int = 2
    source_retry_delay_s: float = 10.0

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    def with_db(self, db_path: str | Path | None) -> Settings:
        return self if db_path is None else replace(self, db_path=Path(db_path))

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("PRICEWATCH_DATA_DIR", "data"))
        return cls(
            db_path=Path(env.get("PRICEWATCH_DB", str(data_dir / "pricewatch.duckdb"))),
            data_dir=data_dir,
            reports_dir=Path(env.get("PRICEWATCH_REPORTS_DIR", "reports/out")),
            snapshots_dir=Path(env.get("PRICEWATCH_SNAPSHOTS_DIR", str(BUNDLED_SNAPSHOTS))),
            alert_urls=tuple(env.get("PRICEWATCH_ALERT_URLS", "").split()),
            lambda_api_key=env.get("LAMBDA_API_KEY") or None,
            http_retries=int(env.get("PRICEWATCH_HTTP_RETRIES", "3")),
            **run_limits_from_env(env),
        )


_RUN_LIMITS = {  # field: (variable, minimum, maximum)
    "source_budget_s": ("PRICEWATCH_SOURCE_BUDGET_S", 1.0, 86400.0),
    "run_budget_s": ("PRICEWATCH_RUN_BUDGET_S", 1.0, 86400.0),
    "lock_wait_s": ("PRICEWATCH_LOCK_WAIT_S", 0.0, 86400.0),
    "source_retries": ("PRICEWATCH_SOURCE_RETRIES", 0, 10),
    "source_retry_delay_s": ("PRICEWATCH_SOURCE_RETRY_DELAY_S", 0.0, 3600.0),
}


def run_limits_from_env(env: dict[str, str]) -> dict[str, Any]:
    """The daily run's limits given in the environment, checked against their valid range."""
    limits: dict[str, Any] = {}
    for name, (variable, low, high) in _RUN_LIMITS.items():
        if (text := env.get(variable, "").strip()) == "":
            continue
        kind = type(low)
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise ValueError(f"{variable}={text!r} is not valid: give {'an integer' if kind is int else 'a number'} "
                             f"from {low} to {high}")
        limits[name] = value
    return limits


def settings_for(db: str | Path | None) -> Settings:
    """Settings from the environment, with an explicit db (``--db``, a flow parameter) winning
    over ``$PRICEWATCH_DB``."""
    return Settings.from_env().with_db(db)
