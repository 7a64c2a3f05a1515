"""The rules file: documented defaults, a user copy through PRICEWATCH_RULES, clear errors."""
from __future__ import annotations

import pytest

from drift.rules import DEFAULT_RULES_PATH, RulesError, load_rules, parse_rules, rules_path


def test_the_default_rules_cover_every_kind_of_drift():
    rules = load_rules(DEFAULT_RULES_PATH)

    assert {r.name for r in rules.rules} >= {
        "gpu_price_change", "h100_price_drop", "gpu_cheapest_price_change", "token_price_change",
        "suspect_price_jump", "gpu_offering_new", "gpu_offering_vanished", "lifecycle_announced",
        "lifecycle_reminder", "scenario_cost_change", "scenario_route_change", "source_stale"}
    assert rules.persist_observations == 2
    assert next(r for r in rules.rules if r.name == "gpu_price_change").threshold_pct == 10


def test_pricewatch_rules_points_at_a_users_copy(tmp_path):
    own = tmp_path / "rules.yaml"
    own.write_text("rules:\n  - {name: only_h100, type: gpu_offering_price_change, threshold_pct: 5}\n")

    assert rules_path({"PRICEWATCH_RULES": str(own)}) == own
    assert [r.name for r in load_rules(own).rules] == ["only_h100"]


def test_a_misspelt_setting_is_named_in_the_error():
    with pytest.raises(RulesError, match=r"rules\.0\.treshold_pct"):
        parse_rules("rules:\n  - {name: x, type: gpu_offering_price_change, treshold_pct: 5}\n")


def test_match_uses_globs_and_lists():
    rule = parse_rules("rules:\n  - {name: x, type: gpu_offering_price_change, "
                       "match: {gpu_model: 'H100*', tier: [secure, on_demand]}}\n").rules[0]

    assert rule.matches(gpu_model="H100 SXM 80GB", tier="secure")
    assert not rule.matches(gpu_model="A100 SXM 80GB", tier="secure")
    assert not rule.matches(gpu_model=None, tier="secure")


def test_defer_to_must_name_another_rule():
    with pytest.raises(RulesError, match="defer_to must name other rules.*h100_drop"):
        parse_rules("rules:\n  - {name: x, type: gpu_offering_price_change, defer_to: [h100_drop]}\n")


def test_empty_pages_are_not_a_failure_outcome_by_default():
    stale = next(r for r in load_rules(DEFAULT_RULES_PATH).rules if r.type == "source_stale")

    assert "empty" not in stale.failure_outcomes
