"""Runtime settings: one home for every path, every value validated where it is read.

Where things live is decided once, here, and every path is absolute from then on:

* ``PRICEWATCH_HOME`` set: everything lives in that folder (``<home>/pricewatch.duckdb``,
  ``<home>/raw/``, ``<home>/alerts.jsonl``, ``<home>/reports/``, ``<home>/published/``), and
  ``<home>/pricewatch.toml``, when present, may set any value below (relative paths in it are
  relative to the home).
* unset: the repository layout relative to the working directory, as ``make run`` uses it
  (``data/pricewatch.duckdb``, ``data/raw/``, ``reports/out/``), resolved to absolute paths.

Environment variables override the config file, which overrides the defaults; a relative path
is relative to the home (to the working directory when no home is set):

* ``PRICEWATCH_DB``              DuckDB file (default ``<data dir>/pricewatch.duckdb``)
* ``PRICEWATCH_DATA_DIR``        holds ``raw/`` and ``alerts.jsonl`` (default ``<home>`` or ``data``)
* ``PRICEWATCH_REPORTS_DIR``     report output folder (default ``<home>/reports`` or ``reports/out``)
* ``PRICEWATCH_SNAPSHOTS_DIR``   offline snapshot folder (default: the bundled ``snapshots/``)
* ``PRICEWATCH_ALERT_URLS``      space-separated apprise URLs for alert delivery
* ``PRICEWATCH_HTTP_RETRIES``    retries per request on 429/5xx/connection errors (0-10, default 3)
* ``PRICEWATCH_HTTP_TIMEOUT_S``  seconds per HTTP request (default 20)
* ``PRICEWATCH_LOCK_WAIT_S``     how long a writer waits for the warehouse lock (default 30)
* ``PRICEWATCH_SQL_TIMEOUT_S``   default ``pricewatch sql --timeout`` (default 60)
* ``PRICEWATCH_SQL_MEMORY_LIMIT`` memory cap of ``pricewatch sql`` (default a quarter of the RAM)
* ``LAMBDA_API_KEY``             switches the Lambda collector from the pricing page to the API
* ``RUNPOD_API_KEY``             switches RunPod from the (retiring) GraphQL API to the REST v2 catalogue
* ``GITHUB_TOKEN``               raises the GitHub API rate limit for ``pricewatch backfill``
* ``PRICEWATCH_SOURCE_BUDGET_S`` / ``PRICEWATCH_RUN_BUDGET_S``, ``PRICEWATCH_SOURCE_RETRIES`` /
  ``PRICEWATCH_SOURCE_RETRY_DELAY_S``, ``PRICEWATCH_RUN_WAIT_S``: the daily run's limits (the
  run-limit fields of ``Settings``)

The cost engine's settings (defaults in the cost policy file, ``warehouse/policy.yaml``; the
commands' ``--max-price-age``/``--customer-profile``/``--spot-allowance`` override these):

* ``PRICEWATCH_COST_POLICY``     another cost policy file (YAML shaped like the bundled one)
* ``PRICEWATCH_MAX_PRICE_AGE``   maximum price age per source kind, ``gpu_provider=14,curated=200``
                                 (in the config file also a table: ``[max_price_age]`` ``gpu_provider = 14``)
* ``PRICEWATCH_CURATED_MAX_AGE_DAYS`` the curated sheet's maximum age (wins over ``curated=`` above)
* ``PRICEWATCH_CUSTOMER_PROFILE`` who is priced: ``new``, ``inactive`` or ``active``
* ``PRICEWATCH_SPOT_ALLOWANCE``  extra GPU-hours on spot tiers, a fraction from 0 to 1 (0.15 = 15%)

A bad value raises ``SettingsError`` whose message is one line naming the variable (or config
key), the value and the valid range.
"""
from __future__ import annotations

import difflib
import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from core.paths import BUNDLED_SNAPSHOTS

CONFIG_FILE = "pricewatch.toml"
PUBLISHED_DIR = "published"

# The daily run's limits (flows/): field -> (environment variable, valid range).
RUN_LIMITS: dict[str, tuple[str, tuple[float, float]]] = {
    "source_budget_s": ("PRICEWATCH_SOURCE_BUDGET_S", (1.0, 86400.0)),
    "run_budget_s": ("PRICEWATCH_RUN_BUDGET_S", (1.0, 86400.0)),
    "run_wait_s": ("PRICEWATCH_RUN_WAIT_S", (0.0, 86400.0)),
    "source_retries": ("PRICEWATCH_SOURCE_RETRIES", (0, 10)),
    "source_retry_delay_s": ("PRICEWATCH_SOURCE_RETRY_DELAY_S", (0.0, 3600.0)),
}

# Settings field -> environment variable (the config file uses the field name as key).
ENV_VARS: dict[str, str] = {
    "db": "PRICEWATCH_DB",
    "data_dir": "PRICEWATCH_DATA_DIR",
    "reports_dir": "PRICEWATCH_REPORTS_DIR",
    "snapshots_dir": "PRICEWATCH_SNAPSHOTS_DIR",
    "alert_urls": "PRICEWATCH_ALERT_URLS",
    "http_retries": "PRICEWATCH_HTTP_RETRIES",
    "http_timeout_s": "PRICEWATCH_HTTP_TIMEOUT_S",
    "lock_wait_s": "PRICEWATCH_LOCK_WAIT_S",
    "sql_timeout_s": "PRICEWATCH_SQL_TIMEOUT_S",
    "sql_memory_limit": "PRICEWATCH_SQL_MEMORY_LIMIT",
    **{name: var for name, (var, _) in RUN_LIMITS.items()},
    "cost_policy": "PRICEWATCH_COST_POLICY",
    "max_price_age": "PRICEWATCH_MAX_PRICE_AGE",
    "curated_max_age_days": "PRICEWATCH_CURATED_MAX_AGE_DAYS",
    "customer_profile": "PRICEWATCH_CUSTOMER_PROFILE",
    "spot_allowance": "PRICEWATCH_SPOT_ALLOWANCE",
}
HOME_VAR = "PRICEWATCH_HOME"

HTTP_RETRIES_RANGE = (0, 10)
HTTP_TIMEOUT_RANGE = (1.0, 600.0)
LOCK_WAIT_RANGE = (0.0, 3600.0)
SQL_TIMEOUT_RANGE = (1.0, 86400.0)
SQL_MEMORY_MIN_MB = 64

# Cost vocabularies (the policy file, the settings and the commands all check against these).
# Source kinds of the freshness policy (warehouse.policy.Policy.source_kind says which is which).
SOURCE_KINDS = ("gpu_marketplace", "gpu_provider", "token_provider", "aggregator", "curated")
# Who is priced: new (never fine-tuned), inactive (no fine-tuned inference in 60 days), active.
CUSTOMER_PROFILES = ("new", "inactive", "active")
MAX_PRICE_AGE_RANGE = (0, 3650)          # days
SPOT_ALLOWANCE_RANGE = (0.0, 1.0)        # a fraction of the run's GPU-hours


class SettingsError(ValueError):
    """A configuration value that cannot be used; the message is one line for the user."""


def physical_memory_mb() -> int:
    """The machine's RAM in MiB (a generous 4 GiB guess where the OS will not say)."""
    try:
        return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2**20)
    except (ValueError, OSError, AttributeError):
        return 4096


def default_sql_memory_mb() -> int:
    """A quarter of the RAM: a runaway query fails with 'out of memory' long before the machine does."""
    return max(SQL_MEMORY_MIN_MB, physical_memory_mb() // 4)


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
    home: Path | None = None              # PRICEWATCH_HOME, when set
    config_file: Path | None = None       # <home>/pricewatch.toml, when it exists
    lock_wait_s: float = 30.0
    sql_timeout_s: float = 60.0
    sql_memory_limit_mb: int = field(default_factory=default_sql_memory_mb)
    # The daily run's limits (flows/): wall-clock seconds one source may take, seconds the whole
    # collection may take, seconds a run waits for another run of the same warehouse, and how
    # often a failed source is collected again (the first delay; the next is 6x).
    source_budget_s: float = 300.0
    run_budget_s: float = 1200.0
    run_wait_s: float = 0.0
    source_retries: int = 2
    source_retry_delay_s: float = 10.0
    # Cost engine: overrides of the cost policy file (None / empty: the file's value).
    cost_policy: Path | None = None                 # another policy file
    max_price_age: tuple[tuple[str, int], ...] = ()   # (source kind, days) pairs
    customer_profile: str | None = None
    spot_allowance: float | None = None

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def alert_log(self) -> Path:
        """The JSON-lines alert log (the ``jsonl`` channel)."""
        return self.data_dir / "alerts.jsonl"

    @property
    def published_dir(self) -> Path:
        """Read-only copies for readers, beside the warehouse: ``<db folder>/published``."""
        return self.db_path.parent / PUBLISHED_DIR

    @property
    def published_db(self) -> Path:
        """The published DuckDB copy that readers and BI tools open (read-only)."""
        return self.published_dir / self.db_path.name

    @property
    def published_parquet_dir(self) -> Path:
        """The published history as a hive-partitioned Parquet dataset (``<view>/day=YYYY-MM-DD/``)."""
        return self.published_dir / f"{self.db_path.stem}_parquet"

    def with_db(self, db_path: str | Path | None) -> Settings:
        return self if db_path is None else replace(self, db_path=absolute(Path(db_path)))

    def paths(self) -> dict[str, Path | None]:
        """Every location, for ``pricewatch paths`` and error messages."""
        return {
            "home": self.home, "config file": self.config_file, "warehouse": self.db_path,
            "published copy": self.published_db, "published parquet": self.published_parquet_dir,
            "raw archive": self.raw_dir, "alert log": self.alert_log, "reports": self.reports_dir,
            "snapshots": self.snapshots_dir,
        }

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, cwd: Path | None = None) -> Settings:
        """Settings from ``PRICEWATCH_HOME`` (and its config file), the environment and the
        defaults; raises ``SettingsError`` for a value that cannot be used."""
        return _Loader(dict(os.environ if env is None else env), absolute(cwd or Path.cwd())).load()


def settings_for(db: str | Path | None) -> Settings:
    """Settings from the environment, with an explicit db (``--db``, a flow parameter) winning
    over ``$PRICEWATCH_DB``."""
    return Settings.from_env().with_db(db)


def absolute(path: Path, base: Path | None = None) -> Path:
    """``path`` made absolute against ``base`` (default: the working directory), ``~`` expanded,
    ``..`` collapsed, symlinks kept."""
    path = path.expanduser()
    if not path.is_absolute():
        path = (base or Path.cwd()) / path
    return Path(os.path.normpath(path))


class _Loader:
    """Reads each value from the environment, else the config file; remembers where it came
    from so an error can name it."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env = env
        self.cwd = cwd
        self.home = self._home()
        self.base = self.home or cwd
        self.config_path = self.home / CONFIG_FILE if self.home and (self.home / CONFIG_FILE).is_file() else None
        self.config = _read_config(self.config_path) if self.config_path else {}

    def _home(self) -> Path | None:
        raw = self.env.get(HOME_VAR, "").strip()
        if not raw:
            return None
        home = absolute(Path(raw), self.cwd)
        if home.exists() and not home.is_dir():
            raise SettingsError(f"{HOME_VAR}={raw} is a file, not a directory; point it at a folder "
                                f"(it is created by `pricewatch run` when missing)")
        return home

    def lookup(self, key: str) -> tuple[Any, str, Path] | None:
        """(value, label for messages, base for relative paths), or None when not set."""
        var = ENV_VARS[key]
        if self.env.get(var, "").strip():
            return self.env[var].strip(), var, self.base
        if key in self.config:
            assert self.config_path is not None and self.home is not None
            return self.config[key], f"{self.config_path.name}: {key}", self.home
        return None

    def path(self, key: str, default: Path) -> Path:
        found = self.lookup(key)
        if found is None:
            return default
        value, label, base = found
        if not isinstance(value, str) or not value:
            raise SettingsError(f"{label}={value!r} is not a path; give a file or folder name")
        return absolute(Path(value), base)

    def number(self, key: str, default: float, bounds: tuple[float, float], *, whole: bool = False) -> float:
        found = self.lookup(key)
        if found is None:
            return default
        value, label, _ = found
        return parse_number(value, label, bounds, whole=whole)

    def load(self) -> Settings:
        data_dir = self.path("data_dir", self.home if self.home else self.cwd / "data")
        db_path = self.path("db", data_dir / "pricewatch.duckdb")
        reports_dir = self.path("reports_dir", self.home / "reports" if self.home else self.cwd / "reports" / "out")
        snapshots_dir = self.path("snapshots_dir", BUNDLED_SNAPSHOTS)
        for key, folder in (("data_dir", data_dir), ("reports_dir", reports_dir)):
            _check_folder(folder, self._label(key))
        _check_db_path(db_path, self._label("db"))
        if self.lookup("snapshots_dir") is not None and not snapshots_dir.is_dir():
            raise SettingsError(f"{self._label('snapshots_dir')}={snapshots_dir} is not a folder; it should hold "
                                f"<source>/<UTC timestamp>.<ext> files like the bundled {BUNDLED_SNAPSHOTS.name}/")
        return Settings(
            db_path=db_path,
            data_dir=data_dir,
            reports_dir=reports_dir,
            snapshots_dir=snapshots_dir,
            alert_urls=self._urls(),
            lambda_api_key=self.env.get("LAMBDA_API_KEY") or None,
            runpod_api_key=self.env.get("RUNPOD_API_KEY") or None,
            github_token=self.env.get("GITHUB_TOKEN") or None,
            http_timeout_s=self.number("http_timeout_s", 20.0, HTTP_TIMEOUT_RANGE),
            http_retries=int(self.number("http_retries", 3, HTTP_RETRIES_RANGE, whole=True)),
            home=self.home,
            config_file=self.config_path,
            lock_wait_s=self.number("lock_wait_s", 30.0, LOCK_WAIT_RANGE),
            sql_timeout_s=self.number("sql_timeout_s", 60.0, SQL_TIMEOUT_RANGE),
            sql_memory_limit_mb=self._memory(),
            **self._run_limits(),
            cost_policy=self._cost_policy(),
            max_price_age=self._max_price_age(),
            customer_profile=self._choice("customer_profile", CUSTOMER_PROFILES, "customer profile"),
            spot_allowance=self._optional_number("spot_allowance", SPOT_ALLOWANCE_RANGE),
        )

    def _run_limits(self) -> dict[str, Any]:
        limits: dict[str, Any] = {}
        for key, (_, bounds) in RUN_LIMITS.items():
            whole = key == "source_retries"
            if self.lookup(key) is not None:
                number = self.number(key, 0, bounds, whole=whole)
                limits[key] = int(number) if whole else number
        return limits

    def _label(self, key: str) -> str:
        found = self.lookup(key)
        if found is not None:
            return found[1]
        return f"{HOME_VAR} ({self.home})" if self.home else f"the default ({ENV_VARS[key]} unset)"

    def _urls(self) -> tuple[str, ...]:
        found = self.lookup("alert_urls")
        if found is None:
            return ()
        value, label, _ = found
        if isinstance(value, str):
            return tuple(value.split())
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise SettingsError(f"{label} must be a list of apprise URLs (strings), not {value!r}")

    def _cost_policy(self) -> Path | None:
        if self.lookup("cost_policy") is None:
            return None
        path = self.path("cost_policy", Path())
        if not path.is_file():
            raise SettingsError(f"{self._label('cost_policy')}={path} is not a file; give a YAML file shaped like "
                                f"the bundled warehouse/policy.yaml")
        return path

    def _max_price_age(self) -> tuple[tuple[str, int], ...]:
        ages: dict[str, int] = {}
        found = self.lookup("max_price_age")
        if found is not None:
            ages.update(parse_max_price_age(found[0], found[1]))
        curated = self._optional_number("curated_max_age_days", MAX_PRICE_AGE_RANGE, whole=True)
        if curated is not None:
            ages["curated"] = int(curated)
        return tuple(ages.items())

    def _optional_number(self, key: str, bounds: tuple[float, float], *, whole: bool = False) -> float | None:
        found = self.lookup(key)
        return None if found is None else parse_number(found[0], found[1], bounds, whole=whole)

    def _choice(self, key: str, choices: tuple[str, ...], what: str) -> str | None:
        found = self.lookup(key)
        return None if found is None else parse_choice(found[0], found[1], choices, what)

    def _memory(self) -> int:
        found = self.lookup("sql_memory_limit")
        if found is None:
            return default_sql_memory_mb()
        value, label, _ = found
        return parse_memory_mb(value, label)


def parse_number(value: Any, label: str, bounds: tuple[float, float], *, whole: bool = False) -> float:
    """``value`` (a string or a number) as a finite number within ``bounds``, else SettingsError."""
    lo, hi = bounds
    valid = f"valid: {lo:g} to {hi:g}" + (" (a whole number)" if whole else "")
    if isinstance(value, bool):
        raise SettingsError(f"{label}={value!r} is not a number; {valid}")
    try:
        number = int(value) if whole and not isinstance(value, float) else float(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{label}={value!r} is not a{' whole' if whole else ''} number; {valid}") from None
    if whole and isinstance(number, float) and not number.is_integer():
        raise SettingsError(f"{label}={value!r} is not a whole number; {valid}")
    if not math.isfinite(number) or not lo <= number <= hi:
        raise SettingsError(f"{label}={value!r} is out of range; {valid}")
    return number


def _prefix(label: str | None) -> str:
    return f"{label}: " if label else ""


def parse_choice(value: Any, label: str | None, choices: tuple[str, ...], what: str) -> str:
    """``value`` if it is one of ``choices``, else SettingsError with a "did you mean"."""
    if isinstance(value, str) and value in choices:
        return value
    close = difflib.get_close_matches(str(value), list(choices), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    shown = f"{label}={value!r}" if label else repr(value)
    raise SettingsError(f"{shown} is not a {what}; {hint}valid: {', '.join(choices)}")


def parse_max_price_age(value: Any, label: str | None = None) -> dict[str, int]:
    """Maximum price ages: ``gpu_provider=14,curated=200`` (commas or spaces), or a mapping
    {kind: days} (a config-file table), as {source kind: whole days}. One line per bad value,
    naming it and the valid range."""
    if isinstance(value, Mapping):
        pairs = [(str(k), v) for k, v in value.items()]
    elif isinstance(value, str):
        pairs = []
        for part in value.replace(",", " ").split():
            kind, sep, days = part.partition("=")
            if not sep:
                raise SettingsError(f"{_prefix(label)}maximum price age {part!r} must be KIND=DAYS, e.g. "
                                    f"gpu_provider=14 (kinds: {', '.join(SOURCE_KINDS)})")
            pairs.append((kind.strip(), days.strip()))
    else:
        raise SettingsError(f"{_prefix(label)}maximum price age {value!r} must be KIND=DAYS pairs, e.g. "
                            f"gpu_provider=14 (kinds: {', '.join(SOURCE_KINDS)})")
    return {kind: check_max_price_age(kind, days, label) for kind, days in pairs}


def check_max_price_age(kind: str, days: Any, label: str | None = None) -> int:
    """One source kind's maximum price age as whole days in MAX_PRICE_AGE_RANGE."""
    if kind not in SOURCE_KINDS:
        close = difflib.get_close_matches(kind, list(SOURCE_KINDS), n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise SettingsError(f"{_prefix(label)}price age kind {kind!r} is not one of {', '.join(SOURCE_KINDS)}"
                            + (f"; {hint.strip()}" if hint else ""))
    lo, hi = MAX_PRICE_AGE_RANGE
    try:
        number = float(days) if not isinstance(days, bool) else math.nan
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or not number.is_integer() or not lo <= number <= hi:
        raise SettingsError(f"{_prefix(label)}maximum price age {kind}={days!r} must be a whole number of days "
                            f"from {lo} to {hi}")
    return int(number)


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)?\s*$", re.IGNORECASE)
_UNIT_BYTES = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
               "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def parse_memory_mb(value: Any, label: str) -> int:
    """A memory size like ``2GB``, ``1500MiB`` or ``4GiB`` (a bare number is MiB) as whole MiB,
    between 64 MiB and 90% of the RAM."""
    ram = physical_memory_mb()
    hi = int(ram * 0.9)
    valid = f"valid: {SQL_MEMORY_MIN_MB}MiB to {hi}MiB (90% of this machine's RAM), e.g. 2GB or 1500MiB"
    match = _SIZE.match(str(value)) if isinstance(value, (str, int)) and not isinstance(value, bool) else None
    if not match:
        raise SettingsError(f"{label}={value!r} is not a memory size; {valid}")
    unit = (match.group(2) or "mib").lower()
    mb = int(float(match.group(1)) * _UNIT_BYTES[unit] // 2**20)
    if not SQL_MEMORY_MIN_MB <= mb <= hi:
        raise SettingsError(f"{label}={value!r} is out of range; {valid}")
    return mb


def _read_config(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            config = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise SettingsError(f"cannot read {path}: {exc.strerror}") from None
    for key in config:
        if key not in ENV_VARS:
            close = difflib.get_close_matches(key, list(ENV_VARS), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise SettingsError(f"{path}: unknown setting {key!r}; {hint}valid: {', '.join(ENV_VARS)}")
    return config


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _check_folder(folder: Path, label: str) -> None:
    existing = _nearest_existing(folder)
    if not existing.is_dir():
        what = "is a file" if existing == folder else f"cannot be created: {existing} is a file"
        raise SettingsError(f"{label}: {folder} {what}, not a directory")


def _check_db_path(db_path: Path, label: str) -> None:
    if db_path.is_dir():
        raise SettingsError(f"{label}: {db_path} is a directory; give the warehouse file, "
                            f"e.g. {db_path / 'pricewatch.duckdb'}")
    _check_folder(db_path.parent, label)
