"""One clock for the whole pipeline: naive UTC timestamps, as stored in the warehouse."""
from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, in UTC, without tzinfo (every warehouse timestamp is naive UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)
