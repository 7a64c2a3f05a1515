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
    assert sorted(a["rule"] for a in json.loads(result.stdout)) == [
        "gpu_cheapest_price_change", "h100_price_drop"]  # gpu_price_change defers to h100_price_drop
    later = CliRunner().invoke(main, ["alerts", "--db", str(settings.db_path), "--since", "2025-07-01"])
    assert "(0 rows)" in later.output


def test_alerts_state_filter_lists_only_that_state(settings, replay_days, drift):
    replay_days([{}, h100_secure(0.299), {}, {}, h100_secure(2.09)])
    drift()

    def states(state):
        result = CliRunner().invoke(main, ["alerts", "--db", str(settings.db_path), "--format", "json",
                                           "--state", state])
        assert result.exit_code == 0, result.output
        return sorted({(a["rule"], a["state"]) for a in json.loads(result.stdout)})

    assert states("resolved") == [("suspect_price_jump", "resolved")]
    assert ("suspect_price_jump", "resolved") not in states("open") and states("open")
