"""OpenAI's fine-tuning wind-down (dates from the 2026-05-07 announcement) as lifecycle alerts."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from drift.detect_lifecycle import lifecycle_alerts
from drift.impact import ImpactFinder
from drift.rules import load_rules
from scrapers.records import LifecycleEvent
from tests.drift.conftest import alert_rows
from warehouse.db import write_connection
from warehouse.load import load_lifecycle_events

ANNOUNCED = date(2026, 5, 7)
URL = "https://platform.openai.com/docs/deprecations"
WIND_DOWN = [
    LifecycleEvent("openai", "*", "announced", ANNOUNCED, ANNOUNCED, source_url=URL),
    LifecycleEvent("openai", "*", "training_unavailable", date(2026, 5, 7), ANNOUNCED,
                   scope="organisations that have never fine-tuned", source_url=URL),
    LifecycleEvent("openai", "*", "training_unavailable", date(2026, 7, 2), ANNOUNCED,
                   scope="no fine-tuned model inference in the last 60 days", source_url=URL),
    LifecycleEvent("openai", "*", "training_unavailable", date(2027, 1, 6), ANNOUNCED, source_url=URL),
    LifecycleEvent("openai", "ft:*", "inference_shutdown", date(2026, 10, 23), ANNOUNCED, source_url=URL),
]


@pytest.fixture
def wind_down(settings):
    with write_connection(settings.db_path) as con:
        load_lifecycle_events(con, WIND_DOWN, datetime(2026, 5, 7, 18), "openai_deprecations", None)


def test_announcement_day_gives_one_alert_per_event_and_no_reminders(settings, wind_down, drift):
    drift(now=datetime(2026, 5, 8))

    announced = alert_rows(settings, "lifecycle_announced")
    assert len(announced) == 5
    assert {a["first_seen_at"] for a in announced} == {datetime(2026, 5, 7, 18)}
    assert alert_rows(settings, "lifecycle_reminder") == []


def test_reminders_come_90_30_and_7_days_before_each_date_dated_on_their_day(settings, wind_down, drift):
    drift(now=datetime(2027, 1, 31))

    reminders = {(a["key"].split("|")[-1], a["first_seen_at"].date())
                 for a in alert_rows(settings, "lifecycle_reminder")}
    assert reminders == {
        # training unavailable 2026-07-02 (the 90-day point was before the announcement)
        ("T-30", date(2026, 6, 2)), ("T-7", date(2026, 6, 25)),
        # ft: inference shutdown 2026-10-23
        ("T-90", date(2026, 7, 25)), ("T-30", date(2026, 9, 23)), ("T-7", date(2026, 10, 16)),
        # training unavailable for everyone 2027-01-06
        ("T-90", date(2026, 10, 8)), ("T-30", date(2026, 12, 7)), ("T-7", date(2026, 12, 30)),
    }


def test_reminders_not_yet_due_wait_and_later_runs_add_only_the_due_ones(settings, wind_down, drift):
    drift(now=datetime(2026, 9, 1))
    before = {a["alert_id"] for a in alert_rows(settings, "lifecycle_reminder")}

    run = drift(now=datetime(2026, 9, 23, 1))

    after = alert_rows(settings, "lifecycle_reminder")
    assert len(before) == 3 and len(after) == 4
    assert [a.rule for a in run.stored.new] == ["lifecycle_reminder"]
    assert drift(now=datetime(2026, 9, 23, 2)).summary().startswith("0 new alerts")


def test_a_shutdown_names_the_scenarios_it_affects(settings, wind_down):
    class FakeImpact(ImpactFinder):
        def affected(self, event):
            return ["openai-sft-small"] if event.event == "inference_shutdown" else []

    with write_connection(settings.db_path) as con:
        alerts = lifecycle_alerts(con, load_rules(), datetime(2026, 5, 8), FakeImpact())

    shutdown = next(a for a in alerts if a.key.startswith("openai|ft:*|inference_shutdown"))
    assert "affects scenarios: openai-sft-small" in shutdown.message
    assert shutdown.evidence["scenarios_affected"] == ["openai-sft-small"]


def test_without_the_cost_engine_the_impact_is_unknown_not_an_error(settings, wind_down):
    def no_engine():
        raise ModuleNotFoundError("cost_engine.availability missing")

    with write_connection(settings.db_path) as con:
        alerts = lifecycle_alerts(con, load_rules(), datetime(2026, 5, 8), ImpactFinder(no_engine))

    shutdown = next(a for a in alerts if "inference_shutdown" in a.key)
    assert shutdown.evidence["impact_unknown"] == (
        "loading the scenario catalogue failed: cost_engine.availability missing")


def test_an_event_already_in_effect_when_first_seen_is_not_news(settings, drift):
    old = LifecycleEvent("openai", "babbage-002", "retired", date(2024, 10, 28), date(2023, 7, 6))
    with write_connection(settings.db_path) as con:
        load_lifecycle_events(con, [old], datetime(2026, 5, 7), "openai_deprecations", None)

    drift(now=datetime(2026, 5, 8))

    assert alert_rows(settings) == []


def test_a_changed_date_is_announced_again(settings, wind_down, drift):
    drift(now=datetime(2026, 5, 8))
    moved = LifecycleEvent("openai", "ft:*", "inference_shutdown", date(2026, 12, 1), ANNOUNCED, source_url=URL)
    with write_connection(settings.db_path) as con:
        load_lifecycle_events(con, [moved], datetime(2026, 6, 1), "openai_deprecations", None)

    drift(now=datetime(2026, 6, 2))

    shutdowns = [a for a in alert_rows(settings, "lifecycle_announced") if "inference_shutdown" in a["key"]]
    assert [a["state"] for a in shutdowns] == ["resolved", "open"]
    assert shutdowns[1]["message"].startswith("date changed (was 2026-10-23)")


def _load(settings, events, seen_at, source="openai_deprecations"):
    with write_connection(settings.db_path) as con:
        load_lifecycle_events(con, events, seen_at, source, None)


def test_a_date_changed_back_to_an_earlier_value_is_announced_again(settings, wind_down, drift):
    original = date(2026, 10, 23)
    _load(settings, [LifecycleEvent("openai", "ft:*", "inference_shutdown", date(2026, 12, 1), ANNOUNCED)],
          datetime(2026, 6, 1))
    _load(settings, [LifecycleEvent("openai", "ft:*", "inference_shutdown", original, ANNOUNCED)],
          datetime(2026, 6, 10))

    drift(now=datetime(2026, 6, 11))

    shutdowns = [a for a in alert_rows(settings, "lifecycle_announced") if "inference_shutdown" in a["key"]]
    assert [a["state"] for a in shutdowns] == ["resolved", "resolved", "open"]
    assert shutdowns[2]["message"].startswith("date changed (was 2026-12-01)")
    assert shutdowns[2]["first_seen_at"] == datetime(2026, 6, 10)


def test_two_sources_with_the_same_date_give_one_open_announcement(settings, drift):
    event = LifecycleEvent("openai", "gpt-4o-2024-05-13", "training_unavailable", date(2026, 9, 1), ANNOUNCED)
    _load(settings, [event], datetime(2026, 5, 7), "openai_deprecations")
    _load(settings, [event], datetime(2026, 5, 8), "aggregator")

    run = drift(now=datetime(2026, 5, 9))

    announced = alert_rows(settings, "lifecycle_announced")
    assert len(announced) == 1 and len(run.stored.new) == 1
    assert announced[0]["state"] == "open" and announced[0]["first_seen_at"] == datetime(2026, 5, 7)


def test_an_event_in_effect_with_unknown_impact_is_announced_as_route_ending(settings):
    def broken_catalogue():
        raise ValueError("catalogue.yaml: not valid YAML")

    old = LifecycleEvent("openai", "babbage-002", "retired", date(2024, 10, 28), date(2023, 7, 6))
    _load(settings, [old], datetime(2026, 5, 7))

    with write_connection(settings.db_path) as con:
        alerts = lifecycle_alerts(con, load_rules(), datetime(2026, 5, 8), ImpactFinder(broken_catalogue))

    assert [(a.rule, a.severity) for a in alerts] == [("lifecycle_announced", "critical")]
    assert "not valid YAML" in alerts[0].evidence["impact_unknown"]


def test_route_ending_events_are_the_cost_engines_blockers():
    from cost_engine.availability import INFERENCE_BLOCKERS, TRAINING_BLOCKERS
    from drift.detect_lifecycle import ENDING_EVENTS

    assert set(ENDING_EVENTS) == set(TRAINING_BLOCKERS) | set(INFERENCE_BLOCKERS)


def test_a_failure_working_out_the_impact_is_unknown_impact_not_a_failed_alert_step(settings, monkeypatch):
    def engine_bug(event, catalogue):
        raise KeyError("scenario without routes")

    monkeypatch.setattr("drift.impact.scenarios_affected", engine_bug)
    old = LifecycleEvent("openai", "babbage-002", "retired", date(2024, 10, 28), date(2023, 7, 6))
    _load(settings, [old], datetime(2026, 5, 7))

    with write_connection(settings.db_path) as con:
        alerts = lifecycle_alerts(con, load_rules(), datetime(2026, 5, 8), ImpactFinder())

    assert [(a.rule, a.severity) for a in alerts] == [("lifecycle_announced", "critical")]
    assert "scenario without routes" in alerts[0].evidence["impact_unknown"]


def test_reminders_follow_the_current_event_of_the_best_ranked_source(settings, drift):
    # OpenAI's own page and LiteLLM's aggregator disagree on a shutdown date. The current event
    # (lifecycle_events_as_of: the best-ranked source, a provider page before an aggregator) is
    # OpenAI's 2026-11-01; LiteLLM's 2026-12-01 is announced but gets no reminders.
    shutdown = [LifecycleEvent("openai", "ft:gpt-4o-mini-2024-07-18", "inference_shutdown", date(2026, 11, 1),
                               ANNOUNCED, source_url=URL)]
    later = [LifecycleEvent("openai", "ft:gpt-4o-mini-2024-07-18", "inference_shutdown", date(2026, 12, 1),
                            None, source_url="https://github.com/BerriAI/litellm")]
    with write_connection(settings.db_path) as con:
        load_lifecycle_events(con, shutdown, datetime(2026, 5, 7, 18), "openai_deprecations", None)
        load_lifecycle_events(con, later, datetime(2026, 5, 8, 18), "litellm", None)

    drift(now=datetime(2027, 1, 1))

    reminders = {(a["trigger_ref"], a["key"].split("|")[-1]) for a in alert_rows(settings, "lifecycle_reminder")}
    assert reminders == {("2026-11-01", "T-90"), ("2026-11-01", "T-30"), ("2026-11-01", "T-7")}
    assert {a["trigger_ref"] for a in alert_rows(settings, "lifecycle_announced")} == {"2026-11-01", "2026-12-01"}
