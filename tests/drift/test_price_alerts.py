"""Price drift over replayed RunPod histories (a real capture, prices edited per day)."""
from __future__ import annotations

from tests.drift.conftest import H100_SXM, alert_rows, h100_secure, stamp


def test_h100_drop_of_30_percent_gives_one_h100_alert_dated_that_day(settings, replay_days, drift):
    replay_days([{}, {}, h100_secure(2.09), h100_secure(2.09), {}][:4])

    drift()

    drops = alert_rows(settings, "h100_price_drop")
    assert len(drops) == 1
    assert drops[0]["first_seen_at"] == stamp(2)
    assert drops[0]["key"] == f"runpod|{H100_SXM}|secure"
    assert "$2.99 → $2.09" in drops[0]["message"] and "-30.1%" in drops[0]["message"]


def test_the_offering_and_cheapest_price_rules_fire_once_too(settings, replay_days, drift):
    replay_days([{}, {}, h100_secure(2.09), h100_secure(2.09)])

    drift()

    rules = sorted(a["rule"] for a in alert_rows(settings))
    assert rules == ["gpu_cheapest_price_change", "h100_price_drop"]  # gpu_price_change defers to the H100 rule
    cheapest = alert_rows(settings, "gpu_cheapest_price_change")[0]
    assert cheapest["key"] == "runpod|H100 SXM 80GB" and "$2.69 → $2.09" in cheapest["message"]


def test_first_load_is_the_baseline_not_a_flood_of_new_offerings(settings, replay_days, drift):
    replay_days([{}, {}, {}])

    run = drift()

    assert run.summary().startswith("0 new alerts")
    assert alert_rows(settings) == []


def test_an_offering_gone_for_one_snapshot_and_back_gives_no_alert(settings, replay_days, drift):
    replay_days([{}, {}, {H100_SXM: None}, {}, {}])

    drift()

    assert alert_rows(settings) == []


def test_an_offering_gone_for_two_snapshots_vanishes_and_resolves_when_back(settings, replay_days, drift):
    replay_days([{}, {}, {H100_SXM: None}, {H100_SXM: None}, {}, {}])

    drift()

    vanished = [a for a in alert_rows(settings, "gpu_offering_vanished") if a["key"] == f"runpod|{H100_SXM}|secure"]
    assert len(vanished) == 1
    assert vanished[0]["first_seen_at"] == stamp(3)  # reported once it persisted for 2 loads
    assert vanished[0]["state"] == "resolved" and vanished[0]["resolved_at"] == stamp(5)
    assert alert_rows(settings, "gpu_offering_new") == []


def test_a_new_offering_is_reported_after_it_persists(settings, replay_days, drift):
    replay_days([{H100_SXM: None}, {H100_SXM: None}, {}, {}])

    drift()

    new = [a["key"] for a in alert_rows(settings, "gpu_offering_new")]
    assert f"runpod|{H100_SXM}|secure" in new
    assert {a["first_seen_at"] for a in alert_rows(settings, "gpu_offering_new")} == {stamp(3)}


def test_a_90_percent_fall_is_flagged_suspect_not_a_bargain(settings, replay_days, drift):
    replay_days([{}, h100_secure(0.299), {}])

    drift()

    assert [a["rule"] for a in alert_rows(settings)] == ["suspect_price_jump"]
    suspect = alert_rows(settings, "suspect_price_jump")[0]
    assert suspect["severity"] == "warning" and suspect["first_seen_at"] == stamp(1)
    assert suspect["state"] == "resolved" and suspect["resolved_at"] == stamp(2)


def test_a_second_evaluation_over_the_same_data_adds_nothing(settings, replay_days, drift):
    replay_days([{}, {}, h100_secure(2.09)])
    first = drift()

    second = drift()

    assert len(first.stored.new) == 2
    assert second.summary() == "0 new alerts, 0 resolved, 0 delivered"
    assert len(alert_rows(settings)) == 2


def test_a_later_drop_is_a_new_alert_and_supersedes_the_earlier_one(settings, replay_days, drift):
    replay_days([{}, h100_secure(2.5), h100_secure(2.5)])
    drift()
    replay_days([h100_secure(2.0)], start=3)

    run = drift()

    drops = alert_rows(settings, "h100_price_drop")
    assert [d["first_seen_at"] for d in drops] == [stamp(1), stamp(3)]
    assert [d["state"] for d in drops] == ["resolved", "open"]
    assert run.stored.resolved == []  # superseding an event is silent


def test_a_suspect_price_whose_offering_then_vanishes_is_resolved(settings, replay_days, drift):
    replay_days([{}, {}, h100_secure(0.299), {H100_SXM: None}, {H100_SXM: None}])

    drift()

    suspect = alert_rows(settings, "suspect_price_jump")
    assert [(a["state"], a["resolved_at"]) for a in suspect] == [("resolved", stamp(4))]
    assert suspect[0]["resolution"].startswith("offering no longer listed")


def test_an_h100_drop_alerts_once_and_an_h100_rise_goes_to_the_general_rule(settings, replay_days, drift):
    replay_days([{}, {}, h100_secure(2.09), h100_secure(2.09), h100_secure(2.99)])

    drift()

    h100 = [(a["rule"], a["first_seen_at"]) for a in alert_rows(settings)
            if a["key"] == f"runpod|{H100_SXM}|secure"]
    assert h100 == [("h100_price_drop", stamp(2)), ("gpu_price_change", stamp(4))]
