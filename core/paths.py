"""Where the package data lives, found relative to the code (never the working directory).

In a checkout (and an editable install) the data folders sit beside the packages at the
repository root; a built wheel carries them inside ``core/_bundled/`` (pyproject.toml,
``force-include``).
"""
from __future__ import annotations

from pathlib import Path

_CORE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = _CORE_DIR.parent


def package_data_dir(name: str) -> Path:
    """The bundled data folder ``name`` (``snapshots``, ``dbt_models``) of this installation."""
    bundled = _CORE_DIR / "_bundled" / name
    return bundled if bundled.is_dir() else PROJECT_ROOT / name


BUNDLED_SNAPSHOTS = package_data_dir("snapshots")
DBT_PROJECT_DIR = package_data_dir("dbt_models")
