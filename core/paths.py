"""Where the package data lives, found relative to the code (never the working directory).

In a checkout (and an editable install) the data folders sit beside the packages at the
repository root.
"""
from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_SNAPSHOTS = PROJECT_ROOT / "snapshots"
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_models"
