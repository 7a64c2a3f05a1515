"""Zero prices (Together's "no minimum" min_charge is $0) and the scope of the suspect filter."""
from __future__ import annotations

from datetime import datetime

from drift.evaluate import evaluate
from drift.rules import load_rules, parse_rules
from tests.drift.conftest import H100_SXM, alert_rows, h100_secure, stamp
from warehouse.db import write_connection


def _token_prices(settings, prices):
    """Synthetic token observations of one Together line, one per day."""
    with write_connection(settings.db_path) as con:
        con.executemany(
            "INSERT INTO token_observations (observed_at, source, provider, model, method, price_kind, usd, "
            "source_fetch_id) VALUES (?, 'together_pricing', 'together', 'llama-8b', 'sft_lora', 'min_charge', ?, 1)",
            [(datetime(2026, 5, day + 1), usd) for day, usd in enumerate(prices)])


def test_a_price_moving_away_from_zero_is_a_change_not_a_crash_or_a_suspect(settings):
    _token_prices(settings, [0.0, 0.0, 5.0])

    with write_connection(settings.db_path) as con:
        alerts = evaluate(con, load_rules(), datetime(2026, 6, 1))

    assert [(a.rule, a.first_seen_at) for a in alerts] == [("token_price_change", datetime(2026, 5, 3))]
    assert "$0 → $5 (from zero)" in alerts[0].message and alerts[0].evidence["pct"] is None


def test_a_price_staying_at_zero_gives_no_alert(settings, drift):
    _token_prices(settings, [0.0, 0.0, 0.0])

    assert drift(now=datetime(2026, 6, 1)).summary().startswith("0 new alerts")


SUSPECT_ONLY_VASTAI = """
rules:
  - {name: h100_price_drop, type: gpu_offering_price_change, match: {gpu_model: "H100*"}, direction: down}
  - {name: suspect_price_jump, type: suspect_price_jump, match: {provider: vastai}}
"""


def test_a_jump_of_an_item_outside_the_suspect_rules_match_is_a_plain_change(settings, replay_days, drift):
    replay_days([{}, h100_secure(0.299), h100_secure(0.299)])

    drift(rules=parse_rules(SUSPECT_ONLY_VASTAI))

    drops = alert_rows(settings, "h100_price_drop")
    assert [(d["key"], d["first_seen_at"]) for d in drops] == [(f"runpod|{H100_SXM}|secure", stamp(1))]
    assert alert_rows(settings, "suspect_price_jump") == []
