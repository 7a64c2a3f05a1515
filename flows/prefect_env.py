"""Prefect's environment for every pricewatch process, set before ``import prefect``.

* no usage telemetry from the server or the client (``PREFECT_SERVER_ANALYTICS_ENABLED``,
  ``DO_NOT_TRACK``): offline they only produce errors;
* dated log lines (Prefect's default format shows only the time of day, useless in cron.log).

Values already in the environment win, so an operator can still change any of them. Child
processes (served runs, workers' flow runs, the temporary API server) inherit them.
"""
from __future__ import annotations

import os

LOG_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"

DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_LOGGING_FORMATTERS_STANDARD_DATEFMT": LOG_DATE_FORMAT,
    "PREFECT_LOGGING_FORMATTERS_SIMPLE_DATEFMT": LOG_DATE_FORMAT,
    "PREFECT_LOGGING_FORMATTERS_DEBUG_DATEFMT": LOG_DATE_FORMAT,
}


def configure(env: dict[str, str] | None = None) -> dict[str, str]:
    """Add the defaults missing from ``env`` (``os.environ`` by default); returns it."""
    target = os.environ if env is None else env
    for key, value in DEFAULTS.items():
        target.setdefault(key, value)
    return dict(target)
