"""Pure series logic, urlwatch-style cases: input series → expected events."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from drift.series import Point, PresenceTracker, accept_prices, threshold_changes

T0 = datetime(2025, 1, 1)


def series(*prices: float) -> list[Point]:
    return [Point(T0 + timedelta(days=i), p) for i, p in enumerate(prices)]


@pytest.mark.parametrize(("prices", "direction", "expected"), [
    ((2.0, 2.0, 1.7), "any", [(2, 2.0, 1.7)]),
    ((2.0, 1.9, 1.8), "any", [(2, 2.0, 1.8)]),        # slow drift adds up from the last alert
    ((2.0, 1.95, 2.0), "any", []),
    ((2.0, 2.5, 2.0), "down", [(2, 2.5, 2.0)]),       # a rise moves the reference, then a drop
    ((2.0, 2.5), "down", []),
])
def test_threshold_changes(prices, direction, expected):
    changes = threshold_changes(series(*prices), 10, direction)
    assert [((c.at - T0).days, c.old, c.new) for c in changes] == expected


def test_a_suspect_jump_is_kept_out_until_it_returns():
    accepted, episodes = accept_prices(series(3.0, 0.3, 3.0), max_drop_pct=70, max_rise_pct=300)
    assert [p.price for p in accepted] == [3.0, 3.0]
    assert episodes[0].ended == "returned" and episodes[0].price == 0.3


def test_a_suspect_price_seen_three_times_is_confirmed():
    accepted, episodes = accept_prices(series(3.0, 0.3, 0.3, 0.3), max_drop_pct=70, max_rise_pct=300,
                                       confirm_after=3)
    assert [p.price for p in accepted] == [3.0, 0.3]
    assert episodes[0].ended == "confirmed" and episodes[0].ended_at == T0 + timedelta(days=3)


def test_presence_is_debounced_and_the_first_load_is_the_baseline():
    tracker = PresenceTracker(persist=2)
    loads = [{"a", "b"}, {"a"}, {"a", "b"}, {"a", "c"}, {"a", "c"}, {"a", "c"}]
    events = [[(e.key, e.kind) for e in tracker.observe(T0 + timedelta(days=i), keys)]
              for i, keys in enumerate(loads)]
    assert events == [[], [], [], [], [("b", "vanished"), ("c", "new")], []]


def test_a_zero_price_is_a_price_0_to_0_is_no_change():
    from drift.series import Change, pct_change

    assert pct_change(0.0, 0.0) == 0.0
    assert threshold_changes(series(0.0, 0.0, 0.0), 10) == []
    assert Change(T0, 0.0, 0.0, T0).pct == 0.0


def test_a_move_away_from_zero_is_a_plain_change_never_suspect():
    from drift.series import Change, is_suspect, pct_change

    accepted, episodes = accept_prices(series(0.0, 5.0, 5.0), max_drop_pct=70, max_rise_pct=300)

    assert [p.price for p in accepted] == [0.0, 5.0, 5.0] and episodes == []
    assert not is_suspect(0.0, 5.0, 70, 300)
    assert [(c.old, c.new) for c in threshold_changes(series(0.0, 5.0), 10)] == [(0.0, 5.0)]
    assert Change(T0, 0.0, 5.0, T0).pct == pct_change(0.0, 5.0) > 1e9
