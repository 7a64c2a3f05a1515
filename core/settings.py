"""Runtime settings: where the warehouse, raw archive, snapshots and reports live.

Everything has a default that works on a fresh clone; environment variables override:

* ``PRICEWATCH_DB``            DuckDB file (default ``data/pricewatch.duckdb``)
* ``PRICEWATCH_DATA_DIR``      data folder holding ``raw/`` (default ``data``)
* ``PRICEWATCH_REPORTS_DIR``   report output folder (default ``reports/out``)
* ``PRICEWATCH_ALERT_URLS``    space-separated apprise URLs for alert delivery
* ``LAMBDA_API_KEY``           switches the Lambda collector from the pricing page to the API
* ``RUNPOD_API_KEY``           switches RunPod from the (retiring) GraphQL API to the REST v2 catalogue
* ``GITHUB_TOKEN``             raises the GitHub API rate limit for ``pricewatch backfill``
* ``PRICEWATCH_SNAPSHOTS_DIR`` offline snapshot folder (default: the bundled ``snapshots/``)
* ``PRICEWATCH_HTTP_RETRIES``  retries per request on 429/5xx/connection errors (default 3)
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from core.paths import BUNDLED_SNAPSHOTS


@dataclass(frozen=True)
class Settings:
    db_path: Path = Path("data/pricewatch.duckdb")
    data_dir: Path = Path("data")
    reports_dir: Path = Path("reports/out")
    snapshots_dir: Path = BUNDLED_SNAPSHOTS
    alert_urls: tuple[str, ...] = ()
    lambda_api_key: str | None = field(default=None, repr=False)
    runpod_api_key: str | None = field(default=None, repr=False)
    github_token: str | None = field(default=None, repr=False)
    http_timeout_s: float = 20.0
    http_retries: int = 3

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
            runpod_api_key=env.get("RUNPOD_API_KEY") or None,
            github_token=env.get("GITHUB_TOKEN") or None,
            http_retries=int(env.get("PRICEWATCH_HTTP_RETRIES", "3")),
        )


def settings_for(db: str | Path | None) -> Settings:
    """Settings from the environment, with an explicit db (``--db``, a flow parameter) winning
    over ``$PRICEWATCH_DB``."""
    return Settings.from_env().with_db(db)
