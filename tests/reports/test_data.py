"""The report's queries, against the synthetic history built by the real loaders (conftest.py)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb

from reports.assembly import load_report_data, scenario_catalogue
from reports.comparisons import diff_prices
from reports.daily import newest_day
from reports.model import GpuOffering, PriceChange, cheapest_by_gpu, gpu_sort_key
from reports.queries import (
    alerts_for_day,
    gpu_daily_history,
    gpu_snapshot,
    lifecycle_events,
    source_health,
    token_history,
    token_snapshot,
)
from scrapers.records import LifecycleEvent
from warehouse.db import read_connection, write_connection
from warehouse.load import load_lifecycle_events

AS_OF = date(2026, 2, 11)


def test_as_of_defaults_to_the_newest_observation_day(con_history):
    assert newest_day(con_history) == AS_OF


def test_an_empty_or_unmigrated_warehouse_has_no_as_of_day(tmp_path, empty):
    duckdb.connect(str(tmp_path / "bare.duckdb")).close()
    with read_connection(tmp_path / "bare.duckdb") as con:
        assert newest_day(con) is None
    with read_connection(empty.db_path) as con:
        assert newest_day(con) is None


def test_gpus_are_ordered_h100_a100_l40s_rtx4090_then_the_rest():
    names = ["V100 16GB", "RTX 4090 24GB", "H100 PCIe 80GB", "L40S 48GB", "A100 SXM 80GB", "H100 SXM 80GB"]
    assert sorted(names, key=gpu_sort_key) == [
        "H100 SXM 80GB", "H100 PCIe 80GB", "A100 SXM 80GB", "L40S 48GB", "RTX 4090 24GB", "V100 16GB"]


def test_daily_history_has_one_point_per_day_provider_and_tier_and_skips_unknown_gpus(con_history):
    points = gpu_daily_history(con_history, AS_OF)
    h100_secure = [p for p in points if (p.gpu_model, p.provider, p.tier) == ("H100 SXM 80GB", "runpod", "secure")]
    assert len(h100_secure) == 37
    assert [p.usd_per_gpu_hour for p in h100_secure[-2:]] == [2.79, 2.69]
    assert all(p.gpu_model is not None for p in points)


def test_history_window_ends_on_the_as_of_day(con_history):
    points = gpu_daily_history(con_history, date(2026, 1, 20), days=5)
    assert {p.day for p in points} == {date(2026, 1, d) for d in range(16, 21)}


def test_a_provider_missing_on_a_day_keeps_its_previous_prices_in_the_snapshot(con_history):
    snapshot = gpu_snapshot(con_history, date(2026, 2, 1))
    lam = [o for o in snapshot if o.provider == "lambda"]
    assert lam and all(o.observed_at == datetime(2026, 1, 31, 6) for o in lam)


def test_cheapest_prefers_non_interruptible_tiers(con_history):
    cheapest = cheapest_by_gpu(gpu_snapshot(con_history, AS_OF))
    assert list(cheapest) == ["H100 SXM 80GB", "A100 SXM 80GB", "L40S 48GB", "RTX 4090 24GB", "V100 16GB"]
    h100 = cheapest["H100 SXM 80GB"]
    assert (h100.provider, h100.tier, h100.usd_per_gpu_hour) == ("runpod", "secure", 2.69)


def test_token_snapshot_is_the_latest_price_known_on_the_day(con_history):
    before = {q.key: q.usd for q in token_snapshot(con_history, date(2026, 1, 19), "training_per_1m_tokens")}
    after = {q.key: q.usd for q in token_snapshot(con_history, AS_OF, "training_per_1m_tokens")}
    key = ("together", "<=16B", "sft_lora", "training_per_1m_tokens")
    assert (before[key], after[key]) == (0.50, 0.48)
    assert len(after) == 3


def test_token_history_holds_only_training_prices(con_history):
    history = token_history(con_history, AS_OF)
    assert {(q.provider, q.model, q.method) for q in history} == {
        ("openai", "gpt-4.1-2025-04-14", "sft_full"), ("openai", "gpt-4o-mini-2024-07-18", "sft_full"),
        ("together", "<=16B", "sft_lora")}
    assert len(history) == 3 * 37


def test_diff_lists_moves_biggest_first_then_new_then_gone():
    changes = diff_prices({("a",): 1.0, ("b",): 2.0, ("gone",): 5.0, ("same",): 1.0},
                          {("a",): 1.1, ("b",): 1.0, ("new",): 3.0, ("same",): 1.0}, "USD")
    assert [(c.label, c.kind) for c in changes] == [("b", "down"), ("a", "up"), ("new", "new"), ("gone", "gone")]
    assert PriceChange("x", 2.0, 1.0, "USD").pct == -0.5


def test_changes_since_yesterday_and_30_days(con_history):
    data = load_report_data(con_history, AS_OF)
    yesterday, month = data.changes
    assert [c.label for c in yesterday.gpu] == ["RTX 4090 24GB · runpod · community", "H100 SXM 80GB · runpod · secure"]
    assert [e["model"] for e in yesterday.new_events] == ["dall-e-3"]
    assert month.since == date(2026, 1, 12) and month.count("down") == 4


def test_no_baseline_before_the_history_starts(con_history):
    data = load_report_data(con_history, date(2026, 1, 6))
    assert [c.has_baseline for c in data.changes] == [False, False]


def test_lifecycle_lists_events_known_by_the_day_from_90_days_back(con_history):
    models = [e["model"] for e in lifecycle_events(con_history, AS_OF)]
    assert models == ["codex-mini-latest", "chatgpt-4o-latest", "gpt-4-0314", "dall-e-3"]
    assert "dall-e-3" not in [e["model"] for e in lifecycle_events(con_history, AS_OF - timedelta(days=1))]


def test_a_superseded_lifecycle_event_is_hidden(settings):
    first = LifecycleEvent("openai", "gpt-4-1106-preview", "retired", date(2026, 3, 26))
    moved = LifecycleEvent("openai", "gpt-4-1106-preview", "retired", date(2026, 10, 23))
    with write_connection(settings.db_path) as con:
        load_lifecycle_events(con, [first], datetime(2026, 2, 1), "test", None)
        load_lifecycle_events(con, [moved], datetime(2026, 4, 22), "test", None)
    with read_connection(settings.db_path) as con:
        assert [e["effective_date"] for e in lifecycle_events(con, date(2026, 3, 1))] == [date(2026, 3, 26)]
        assert [e["effective_date"] for e in lifecycle_events(con, date(2026, 5, 1))] == [date(2026, 10, 23)]


def test_scenarios_use_the_total_layer_and_compare_with_7_and_30_days(con_history):
    day, scenarios = scenario_catalogue(con_history, AS_OF)
    assert day == AS_OF
    lora = next(s for s in scenarios if s.scenario == "sft-lora-8b-10m-tokens")
    assert lora.cheapest is not None and lora.cheapest.route == "api:together:<=16B:sft_lora"
    assert (lora.cheapest_7d, lora.cheapest_30d) == (4.8, 5.0)
    assert [r.route for r in lora.not_used] == ["api:openai:gpt-4o-mini-2024-07-18"]
    gpu = next(r for r in lora.routes if r.route.startswith("gpu:runpod"))
    assert (gpu.usd_mid, gpu.mid_7d, gpu.mid_30d) == (8.07, 8.37, None)


def test_scenarios_fall_back_to_the_latest_repricing_before_the_day(con_history):
    day, scenarios = scenario_catalogue(con_history, AS_OF - timedelta(days=2))
    assert day == AS_OF - timedelta(days=7) and len(scenarios) == 2


def test_alerts_of_the_day_exclude_those_resolved_before_it(con_history):
    alerts = alerts_for_day(con_history, AS_OF)
    assert [(a["severity"], a["rule"]) for a in alerts] == [
        ("critical", "lifecycle_soon"), ("warning", "gpu_price_drop"), ("info", "gpu_price_rise")]
    assert [a["is_new"] for a in alerts] == [False, True, False]
    assert alerts[2]["resolved_today"]


def test_source_health_counts_failures_of_the_day(con_history):
    health = {s["source"]: s for s in source_health(con_history, date(2026, 2, 1))}
    assert health["lambdalabs"]["failures_today"] == 1 and health["lambdalabs"]["last_ok"] is None
    assert health["runpod"]["last_outcome"] == "ok"


def test_missing_tables_give_empty_sections_not_errors(tmp_path):
    path = tmp_path / "partial.duckdb"
    con = duckdb.connect(str(path))  # tables of an early schema, without the as-of macros of migration 005
    con.execute("CREATE TABLE token_observations (observed_at TIMESTAMP, provider VARCHAR, model VARCHAR, "
                "method VARCHAR, price_kind VARCHAR, usd DOUBLE, source VARCHAR)")
    con.execute("CREATE VIEW token_price_history AS SELECT * FROM token_observations")
    con.execute("INSERT INTO token_observations VALUES ('2026-02-11 06:00', 'openai', 'gpt-4.1', 'sft_full', "
                "'training_per_1m_tokens', 25.0, 'openai_pricing')")
    con.close()
    with read_connection(path) as con:
        data = load_report_data(con, AS_OF)
    assert data.problems == []
    assert data.training_now == [] and data.token_history == []
    assert data.gpu_now == [] and data.scenarios == [] and data.alerts == [] and data.lifecycle == []


def test_a_table_with_an_unexpected_shape_is_reported_not_raised(tmp_path):
    path = tmp_path / "odd.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE scenario_costs (as_of DATE, something_else VARCHAR)")
    con.execute("INSERT INTO scenario_costs VALUES ('2026-02-11', 'x')")
    con.close()
    with read_connection(path) as con:
        data = load_report_data(con, AS_OF)
    assert data.scenarios == [] and len(data.problems) == 1 and data.problems[0].startswith("scenarios:")


def test_cheapest_skips_committed_tiers_unless_nothing_else(settings):
    at = datetime(2026, 2, 11, 6)
    reserved = GpuOffering("H100 SXM 80GB", "runpod", "reserved_6m", 2.10, 1, None, at, None)
    on_demand = GpuOffering("H100 SXM 80GB", "lambda", "on_demand", 2.99, 8, None, at, None)
    only_reserved = GpuOffering("B200 180GB", "runpod", "reserved_6m", 4.00, 1, None, at, None)
    cheapest = cheapest_by_gpu([reserved, on_demand, only_reserved])
    assert cheapest["H100 SXM 80GB"] is on_demand and cheapest["B200 180GB"] is only_reserved


def test_aggregator_prices_never_are_the_price_of_record(con_history):
    snapshot = {q.key: q for q in token_snapshot(con_history, AS_OF)}
    assert {q.source for q in snapshot.values()} == {"openai_pricing", "together_pricing"}
    assert snapshot[("openai", "gpt-4.1-2025-04-14", "sft_full", "training_per_1m_tokens")].usd == 25.00
    assert ("openai", "gpt-4o-2024-08-06", "inference", "ft_output_per_1m") not in snapshot  # only LiteLLM has it
    assert all(p.source != "litellm" for p in token_history(con_history, AS_OF))


def test_an_aggregator_flip_flopping_is_not_a_price_change(con_history):
    yesterday, month = load_report_data(con_history, AS_OF).changes
    assert yesterday.tokens == []
    assert [c.label for c in month.tokens] == ["together · <=16B · sft_lora · training_per_1m_tokens"]


def test_token_history_covers_the_gpu_chart_window_only(con_history):
    history = token_history(con_history, AS_OF, days=5)
    assert {p.day for p in history} == {AS_OF - timedelta(days=n) for n in range(5)}


def test_a_lifecycle_event_reported_by_two_sources_is_listed_once_from_the_best_source(settings):
    event = LifecycleEvent("openai", "gpt-4-0314", "retired", date(2026, 3, 26))
    with write_connection(settings.db_path) as con:
        load_lifecycle_events(con, [event], datetime(2026, 2, 1, 6), "litellm", None)
        load_lifecycle_events(con, [event], datetime(2026, 2, 2, 6), "openai_deprecations", None)
    with read_connection(settings.db_path) as con:
        data = load_report_data(con, date(2026, 2, 11))
    assert [(e["model"], e["source"]) for e in data.lifecycle] == [("gpt-4-0314", "openai_deprecations")]
    assert [len(cs.new_events) for cs in data.changes] == [0, 1]


def test_a_past_day_shows_the_alert_state_of_that_day(con_history):
    alerts = {a["rule"]: a for a in alerts_for_day(con_history, date(2026, 2, 1))}
    assert alerts["source_failing"]["state"] == "open"  # resolved on 2026-02-02, after that day
    assert alerts["source_failing"]["resolved_at"] is None and not alerts["source_failing"]["resolved_today"]
    resolved = {a["rule"]: a for a in alerts_for_day(con_history, date(2026, 2, 2))}["source_failing"]
    assert resolved["state"] == "resolved" and resolved["resolved_today"]


def test_an_offering_its_provider_stopped_listing_leaves_the_snapshot(settings):
    from scrapers.records import GpuOffer
    from warehouse.load import load_gpu_offers

    h100 = GpuOffer("runpod", "H100 SXM|secure|1", "H100 SXM 80GB", "H100 SXM", 1, "secure", 2.69, 2.69)
    a100 = GpuOffer("runpod", "A100 SXM|secure|1", "A100 SXM 80GB", "A100 SXM", 1, "secure", 1.49, 1.49)
    with write_connection(settings.db_path) as con:
        load_gpu_offers(con, [h100, a100], datetime(2026, 2, 10, 6), 1)
        load_gpu_offers(con, [h100], datetime(2026, 2, 11, 6), 2)
    with read_connection(settings.db_path) as con:
        assert [o.gpu_model for o in gpu_snapshot(con, date(2026, 2, 10))] == ["H100 SXM 80GB", "A100 SXM 80GB"]
        assert [o.gpu_model for o in gpu_snapshot(con, date(2026, 2, 11))] == ["H100 SXM 80GB"]


def test_each_route_carries_its_status_the_price_charged_and_its_basis(con_history):
    """conftest SCENARIO_ROWS: Lambda's H100 is an 8-GPU instance at 8 x $2.99 = $23.92/h."""
    _, scenarios = scenario_catalogue(con_history, AS_OF)
    full = next(s for s in scenarios if s.scenario == "sft-full-70b-100m-tokens")
    routes = {r.route: r for r in full.routes}
    lam = routes["gpu:lambda:H100 SXM 80GB:on_demand"]
    assert (lam.state, lam.usd_per_hour, lam.gpus_rented, lam.basis, lam.observed_at) == (
        "available", 23.92, 8, "provider page", "2026-02-11")
    stale = routes["gpu:runpod:A100 SXM 80GB:secure"]
    assert (stale.state, stale.usd_mid, stale.basis, stale.observed_at) == (
        "stale", 700.0, "curated sheet", "2025-11-30")
    assert routes["api:together:llama-3.1-70b"].state == "unpriced"
    lora = next(s for s in scenarios if s.scenario == "sft-lora-8b-10m-tokens")
    assert lora.cheapest is not None and lora.cheapest.usd_per_1m_tokens == 0.48 and lora.cheapest.usd_per_hour is None


def test_a_stale_route_is_never_the_cheapest_though_it_costs_less(con_history):
    _, scenarios = scenario_catalogue(con_history, AS_OF)
    full = next(s for s in scenarios if s.scenario == "sft-full-70b-100m-tokens")
    # the stale A100 route's $700 is below every usable route; the cheapest usable is RunPod's H100 at $1,170
    assert full.cheapest is not None
    assert (full.cheapest.route, full.cheapest.usd_mid) == ("gpu:runpod:H100 SXM 80GB:secure", 1170.0)
    assert [(r.route, r.state) for r in full.not_used] == [
        ("api:together:llama-3.1-70b", "unpriced"), ("gpu:runpod:A100 SXM 80GB:secure", "stale")]
    assert (full.usable, full.count("stale"), full.count("unpriced"), full.count("unavailable")) == (2, 1, 1, 0)


def test_only_an_unavailable_route_is_pointed_at_the_cheapest_open_route(con_history):
    _, scenarios = scenario_catalogue(con_history, AS_OF)
    reasons = {r.route: r.reason for s in scenarios for r in s.routes}
    assert reasons["api:openai:gpt-4o-mini-2024-07-18"] == (
        "training unavailable to organisations that have never fine-tuned; "
        "cheapest open route: api:together:<=16B:sft_lora ($4.80)")
    assert reasons["api:together:llama-3.1-70b"] == (
        "no training price for together llama-3.1-70b at or before 2026-02-11")


def test_a_row_stored_before_routes_had_a_status_reads_as_available_or_unavailable():
    from reports.model import RouteCost

    assert RouteCost("s", "r", 1.0, 1.0, 1.0, True, None).state == "available"
    assert RouteCost("s", "r", None, None, None, False, "x").state == "unavailable"
