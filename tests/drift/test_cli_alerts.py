"""`pricewatch alerts` lists what the drift step stored."""
from __future__ import annotations

import json

from click.testing import CliRunner

from pricewatch.cli import main
from tests.drift.conftest import h100_secure


def test_alerts_lists_alerts_as_json_since_a_date(settings, replay_days, drift):
    replay_days([{}, {}, h100_secure(2.09)])
    drift()

    result = CliRunner().invoke(main, ["alerts", "--db", str(settings.db_path), "--format", "json",
                                       "--since", "2025-06-23"])

    assert result.exit_code == 0, result.output
    assert sorted(a["rule"] for a in json.loads(result.output)) == [
        "gpu_cheapest_price_change", "gpu_price_change", "h100_price_drop"]
    later = CliRunner().invoke(main, ["alerts", "--db", str(settings.db_path), "--since", "2025-07-01"])
    assert "(0 rows)" in later.output
