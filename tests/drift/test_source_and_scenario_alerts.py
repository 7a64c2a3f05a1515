"""Stale sources (from fetch_log, via replayed broken payloads) and scenario cost drift."""
from __future__ import annotations

import json
from datetime import date, datetime

from tests.drift.conftest import alert_rows, stamp, write_runpod_days, write_runpod_garbage
from warehouse.db import write_connection
from warehouse.replay import replay


def test_a_source_is_stale_after_three_failed_fetches_and_resolves_when_one_succeeds(settings, tmp_path, drift):
    directory = tmp_path / "snap"
    write_runpod_days(directory, [{}])
    write_runpod_garbage(directory, [1, 2, 3])
    replay(settings, directory)

    drift()
    stale = alert_rows(settings, "source_stale")
    assert len(stale) == 1
    assert stale[0]["key"] == "runpod" and stale[0]["state"] == "open"
    assert stale[0]["first_seen_at"] == stamp(3) and stale[0]["severity"] == "critical"

    write_runpod_days(directory, [{}], start=4)
    replay(settings, directory)
    run = drift()

    stale = alert_rows(settings, "source_stale")
    assert len(stale) == 1 and stale[0]["state"] == "resolved" and stale[0]["resolved_at"] == stamp(4)
    assert run.summary() == "0 new alerts, 1 resolved, 1 delivered"


def test_two_failures_are_not_stale(settings, tmp_path, drift):
    directory = tmp_path / "snap"
    write_runpod_days(directory, [{}])
    write_runpod_garbage(directory, [1, 2])
    write_runpod_days(directory, [{}], start=3)
    replay(settings, directory)

    drift()

    assert alert_rows(settings, "source_stale") == []


def _scenario_costs(settings, rows):
    """Synthetic scenario_costs total rows: (day, route, usd, available, the route's GPU price or None)."""
    def inputs(price):
        prov = [] if price is None else [{"kind": "gpu", "provider": "runpod", "offering": "H100|secure",
                                          "tier": "secure", "gpus_rented": 1, "gpu_model": "H100 SXM 80GB",
                                          "usd": price}]
        return json.dumps({"provenance": prov, "catalogue_version": 3})

    with write_connection(settings.db_path) as con:
        con.executemany(
            "INSERT INTO scenario_costs (as_of, scenario, route, layer, usd_mid, available, inputs, computed_at) "
            "VALUES (?, ?, ?, 'total', ?, ?, ?, ?)",
            [(d, "llama8b-lora-10m", route, usd, avail, inputs(price), datetime(2026, 1, 1))
             for d, route, usd, avail, price in rows])


def test_a_cost_alert_names_the_price_that_moved_and_a_preference_change_is_not_one(settings, drift):
    h100 = "runpod:H100 SXM 80GB"
    _scenario_costs(settings, [
        (date(2026, 5, 1), h100, 12.0, True, 2.00), (date(2026, 5, 1), "openai:sft", 30.0, True, None),
        (date(2026, 5, 2), h100, 12.5, True, 2.10), (date(2026, 5, 2), "openai:sft", 30.0, True, None),
        (date(2026, 5, 3), h100, 13.5, True, 2.25), (date(2026, 5, 3), "openai:sft", 30.0, True, None),
        # 05-04: the H100 price goes stale (no price moved): the cheapest route changes, the cost does not
        (date(2026, 5, 4), h100, 13.5, False, 2.25), (date(2026, 5, 4), "openai:sft", 30.0, True, None),
    ])

    drift()

    route = alert_rows(settings, "scenario_route_change")
    cost = alert_rows(settings, "scenario_cost_change")
    assert [(a["key"], a["first_seen_at"]) for a in route] == [("llama8b-lora-10m|total", datetime(2026, 5, 4))]
    assert "now openai:sft" in route[0]["message"] and "runpod:H100 SXM 80GB is no longer usable" in route[0]["message"]
    # 12.0 → 12.5 is +4.2% (below 10%); 12.0 → 13.5 is +12.5% on 05-03, the price moving 2.00 → 2.25 (+12.5%).
    assert [a["first_seen_at"] for a in cost] == [datetime(2026, 5, 3)]
    assert "rose $12 → $13.5 (+12.5%)" in cost[0]["message"] and "$2 → $2.25 (+12.5%)" in cost[0]["message"]
    assert json.loads(cost[0]["evidence"])["largest_price_move_pct"] == 12.5


def _fetch_runs(settings, source, runs):
    """Synthetic fetch_log rows: one run (batch) per list of page outcomes, one run a day."""
    with write_connection(settings.db_path) as con:
        for day, outcomes in enumerate(runs):
            batch = datetime(2026, 5, 1 + day, 6)
            con.executemany(
                "INSERT INTO fetch_log (source, url, fetched_at, observed_at, mode, outcome, error) "
                "VALUES (?, ?, ?, ?, 'live', ?, ?)",
                [(source, f"https://example.invalid/page{i}", batch.replace(minute=i), batch, outcome,
                  None if outcome == "ok" else f"page {i}: {outcome}")
                 for i, outcome in enumerate(outcomes)])


def test_one_run_with_many_failed_pages_is_one_failure_not_a_stale_source(settings, drift):
    _fetch_runs(settings, "vastai", [["ok", "ok"], ["parse_error", "http_error", "parse_error", "http_error"]])

    drift(now=datetime(2026, 6, 1))

    assert alert_rows(settings, "source_stale") == []


def test_a_run_with_some_pages_that_worked_is_not_a_failure(settings, drift):
    _fetch_runs(settings, "vastai", [["ok", "http_error"]] * 4)

    drift(now=datetime(2026, 6, 1))

    assert alert_rows(settings, "source_stale") == []


def test_three_runs_that_delivered_no_data_make_a_source_stale(settings, drift):
    _fetch_runs(settings, "vastai", [["ok"], ["empty", "empty"], ["http_error", "empty"], ["parse_error"],
                                     ["ok", "empty"]])

    drift(now=datetime(2026, 6, 1))

    stale = alert_rows(settings, "source_stale")
    assert [(a["first_seen_at"], a["state"], a["resolved_at"]) for a in stale] == [
        (datetime(2026, 5, 4, 6), "resolved", datetime(2026, 5, 5, 6))]
    assert "3 failed runs in a row" in stale[0]["message"]


def test_an_open_condition_of_a_disabled_rule_is_resolved_as_no_longer_evaluated(settings, tmp_path, drift):
    from drift.rules import RuleSet, load_rules

    directory = tmp_path / "snap"
    write_runpod_days(directory, [{}])
    write_runpod_garbage(directory, [1, 2, 3])
    replay(settings, directory)
    drift()
    defaults = load_rules()
    without_stale = RuleSet(persist_observations=defaults.persist_observations,
                            rules=[r.model_copy(update={"enabled": r.type != "source_stale"}) for r in defaults.rules])

    run = drift(rules=without_stale, now=datetime(2025, 7, 2))

    stale = alert_rows(settings, "source_stale")
    assert [(a["state"], a["resolution"], a["resolved_at"]) for a in stale] == [
        ("resolved", "no longer evaluated", datetime(2025, 7, 2))]
    assert run.summary() == "0 new alerts, 1 resolved, 1 delivered"
    assert drift(rules=without_stale, now=datetime(2025, 7, 3)).summary() == "0 new alerts, 0 resolved, 0 delivered"


def test_a_retired_endpoint_fails_its_runs_and_the_alert_says_it_is_retired(settings, tmp_path, drift):
    # RunPod's GraphQL API answering that it is retired (the answer tests/scrapers/test_runpod_v2.py
    # parses as `retired`), three days running after one good capture; the default rule's
    # failure_outcomes do not list `retired`: it fails a run whatever they say.
    directory = tmp_path / "snap"
    write_runpod_days(directory, [{}])
    for day in (1, 2, 3):
        name = stamp(day).strftime("%Y-%m-%dT%H%M%SZ") + ".json"
        (directory / "runpod" / name).write_text(json.dumps({"errors": [{"message": "This API is retired"}]}))
    replay(settings, directory)

    drift()

    stale = alert_rows(settings, "source_stale")
    assert [(a["key"], a["first_seen_at"], a["state"]) for a in stale] == [("runpod", stamp(3), "open")]
    assert stale[0]["message"].startswith(
        "source runpod is retired: its endpoint answered that it is gone for good (3 failed runs in a row since "
        f"{stamp(1).isoformat(sep=' ')}): ")
    assert "set RUNPOD_API_KEY" in stale[0]["message"]
    evidence = json.loads(stale[0]["evidence"])
    assert evidence["retired"] is True and evidence["last_outcome"] == "retired"
