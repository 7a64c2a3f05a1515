"""Vast.ai: every rentable offer of the whole market kept as columns; per-model p10/min/median per
GPU-hour computed by the warehouse once a run's pages are loaded."""
from __future__ import annotations

import json
from dataclasses import fields
from datetime import datetime

import httpx
import pyarrow as pa
import pytest
import respx

from scrapers import vastai
from scrapers.errors import ParseError
from scrapers.http import HttpClient
from scrapers.records import MarketOffer
from tests.scrapers.conftest import failure, gpu_fixture, ingest, market_table, payload, payloads, query, snapshot

REAL = "vastai/2024-07-30T141055Z.json"  # a bundled snapshot: one real offer, start_date 2024-07-30
SYNTHETIC = "vast_bundles_synthetic_market.json"  # hand-written offers, invented prices
AT = datetime(2024, 7, 30, 14, 10, 55)
EMPTY = b'{"offers": []}'


@pytest.fixture(scope="module")
def market():
    return vastai.parse(gpu_fixture(SYNTHETIC), ext="json", origin=SYNTHETIC)


def offers_by_id(result) -> dict[str, dict]:
    return {row["offer_id"]: row for row in result.market_offers.to_pylist()}


@pytest.fixture
def loaded(settings):
    """The synthetic market ingested into a real warehouse; the per-model statistics as
    {offering_key: (p10, min, median, count)}."""
    ingest(settings, vastai.SOURCE, [payload("vastai", gpu_fixture(SYNTHETIC), at=AT, url=vastai.page_url(None))], AT)
    rows = query(settings, "SELECT offering_key, usd_per_gpu_hour, usd_per_gpu_hour_min, usd_per_gpu_hour_median, "
                           "offer_count FROM gpu_price_history")
    return {key: (p10, low, median, n) for key, p10, low, median, n in rows}


# --- the real offer ----------------------------------------------------------------------------

def test_the_real_offer_is_priced_per_gpu_from_dph_base_not_divided_by_gpu_frac():
    [offer] = market_table(vastai.parse(snapshot(REAL), ext="json")).to_pylist()
    assert offer["usd_per_gpu_hour"] == pytest.approx(0.246667, abs=1e-6)  # gpu_frac 0.25 is not used
    assert (offer["offer_id"], offer["machine_id"], offer["gpu_model"], offer["gpu_raw_name"], offer["gpu_count"]) == (
        "11684738", "22990", "RTX 4090 24GB", "RTX 4090", 1)
    assert (offer["vram_gb"], offer["reliability"], offer["verified"], offer["location"]) == (
        23.99, 0.9700835, True, "Guangxi, CN")


def test_the_real_offer_keeps_its_min_bid_and_machine_shape():
    [offer] = market_table(vastai.parse(snapshot(REAL), ext="json")).to_pylist()
    # min_bid 0.2 $/h; cpu_cores_effective 24.0; cpu_ram 64393 MB; disk_space 1607.875 GB
    assert (offer["min_bid"], offer["vcpus"], offer["ram_gb"], offer["disk_gb"]) == (0.2, 24.0, 62.88, 1607.875)


def test_a_page_parses_to_columns_not_python_objects():
    result = vastai.parse(snapshot(REAL), ext="json")
    assert isinstance(result.market_offers, pa.Table) and result.gpu_offers == []
    assert set(result.market_offers.column_names) <= {f.name for f in fields(MarketOffer)}


def test_the_real_offer_gives_an_on_demand_and_an_interruptible_statistic_once_loaded(settings):
    ingest(settings, vastai.SOURCE, [payload("vastai", snapshot(REAL), at=AT, url=vastai.URL)], AT)
    rows = query(settings, "SELECT offering_key, round(usd_per_gpu_hour, 6), offer_count, gpu_count, source "
                           "FROM gpu_price_history ORDER BY 1")
    assert rows == [("RTX 4090 24GB|interruptible", 0.2, 1, 1, "vastai"),
                    ("RTX 4090 24GB|on_demand", 0.246667, 1, 1, "vastai")]


def test_the_statistics_are_the_offerings_latest_observations_and_current(settings):
    ingest(settings, vastai.SOURCE, [payload("vastai", snapshot(REAL), at=AT, url=vastai.URL)], AT)
    rows = query(settings, "SELECT offering_key, observed_at, is_current FROM gpu_prices_latest ORDER BY 1")
    assert rows == [("RTX 4090 24GB|interruptible", AT, True), ("RTX 4090 24GB|on_demand", AT, True)]


# --- offers and statistics over a synthetic market ------------------------------------------------

def test_multi_gpu_offers_are_divided_by_num_gpus(market):
    offer = offers_by_id(market)["900007"]
    assert (offer["usd_per_gpu_hour"], offer["usd_per_instance_hour"], offer["gpu_count"]) == (2.0, 16.0, 8)


def test_on_demand_statistic_is_p10_with_min_median_and_count(loaded):
    # per-GPU prices 0.30 0.35 0.40 0.50 0.60: p10 = 0.30 + 0.4 * (0.35 - 0.30) = 0.32
    p10, low, median, n = loaded["RTX 4090 24GB|on_demand"]
    assert (p10, low, median, n) == (pytest.approx(0.32), 0.30, 0.40, 5)


def test_the_statistic_rows_are_per_gpu_at_the_nominal_size(settings, loaded):
    rows = query(settings, "SELECT usd_per_instance_hour = usd_per_gpu_hour, gpu_count, tier, gpu_model, vram_gb, "
                           "region FROM gpu_price_history WHERE offering_key = 'RTX 4090 24GB|on_demand'")
    assert rows == [(True, 1, "on_demand", "RTX 4090 24GB", 24.0, None)]


def test_h100_statistic(loaded):
    # 2.00 (8 GPUs), 2.40, 2.50 (2 GPUs): p10 = 2.00 + 0.2 * 0.40 = 2.08
    assert loaded["H100 SXM 80GB|on_demand"] == (pytest.approx(2.08), 2.0, 2.4, 3)


def test_interruptible_statistic_uses_positive_min_bids_per_gpu(loaded):
    # bids 0.20, 0.25, 0.60/2; 0 and null ignored: p10 = 0.20 + 0.2 * 0.05 = 0.21
    assert loaded["RTX 4090 24GB|interruptible"] == (pytest.approx(0.21), 0.20, 0.25, 3)


def test_a_48gb_rtx_4090_is_counted_apart_from_the_24gb_cards(loaded):
    assert loaded["RTX 4090 48GB|on_demand"] == (0.55, 0.55, 0.55, 1)


def test_a100_sizes_are_separate_models(loaded):
    assert loaded["A100 SXM 40GB|on_demand"][0] == 0.8
    assert loaded["A100 SXM 80GB|on_demand"][0] == 1.2


def test_vasts_rtx_4070s_ti_is_the_4070_ti_super(market):
    offer = offers_by_id(market)["900015"]
    assert (offer["gpu_model"], offer["gpu_raw_name"]) == ("RTX 4070 Ti SUPER 16GB", "RTX 4070S Ti")


def test_an_unknown_model_is_kept_under_its_raw_name_with_a_warning(settings):
    doc = json.loads(gpu_fixture(SYNTHETIC))
    doc["offers"][14]["gpu_name"] = "Imaginary RTX 9999"  # the name in Vast's own API docs example
    result = vastai.parse(json.dumps(doc).encode(), ext="json")
    assert offers_by_id(result)["900015"]["gpu_model"] is None
    assert any(w.startswith("unknown GPU name 'Imaginary RTX 9999'") for w in result.warnings)
    ingest(settings, vastai.SOURCE, [payload("vastai", json.dumps(doc).encode(), at=AT)], AT)
    assert query(settings, "SELECT gpu_model, gpu_raw_name FROM gpu_price_history "
                           "WHERE offering_key = 'Imaginary RTX 9999|on_demand'") == [(None, "Imaginary RTX 9999")]


def test_unrentable_free_and_absurd_offers_are_discarded_with_warnings(market):
    ids = set(offers_by_id(market))
    assert len(ids) == 12 and not ids & {"900012", "900013", "900014"}
    [warning] = [w for w in market.warnings if "not plausible" in w]
    assert "900013" in warning and "900014" in warning and warning.startswith("2 offer(s) skipped")


def test_an_empty_market_parses_to_nothing():
    result = vastai.parse(EMPTY, ext="json")
    assert result.record_count == 0 and result.warnings == []


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1.0, 0.5, 0, 2000])
def test_a_gpu_count_that_is_not_a_whole_number_of_gpus_is_skipped_with_a_warning(bad):
    doc = json.loads(snapshot(REAL))
    doc[0]["num_gpus"] = bad
    body = json.dumps(doc).encode()  # NaN and Infinity as Python's json writes them
    result = vastai.parse(body, ext="json")
    assert market_table(result).num_rows == 0
    assert result.warnings == ["1 offer(s) skipped: num_gpus is not a whole number of GPUs in 1..1024: "
                               "11684738 (RTX 4090)"]


@pytest.mark.parametrize("bad", [float("nan"), float("-inf"), 1e12, -0.5, 0])
def test_a_price_that_is_not_plausible_never_passes(bad):
    doc = json.loads(snapshot(REAL))
    doc[0]["dph_base"] = bad
    result = vastai.parse(json.dumps(doc).encode(), ext="json")
    assert market_table(result).num_rows == 0 and "not plausible" in result.warnings[0]


def test_a_huge_integer_price_is_a_parse_error_not_an_overflow():
    body = snapshot(REAL).replace(b'"dph_base": 0.24666666666666665', b'"dph_base": 1' + b"0" * 400)
    with pytest.raises(ParseError) as err:
        vastai.parse(body, ext="json")
    assert err.value.field == "offers[0].dph_base" and "too large" in err.value.message


@pytest.mark.parametrize(("key", "bad"), [("dph_base", "0.25"), ("dph_base", True), ("num_gpus", [1]),
                                          ("gpu_name", 4090), ("gpu_ram", "24 GB")])
def test_a_wrongly_typed_value_is_a_parse_error_naming_the_offer(key, bad):
    doc = json.loads(gpu_fixture(SYNTHETIC))
    doc["offers"][2][key] = bad
    with pytest.raises(ParseError) as err:
        vastai.parse(json.dumps(doc).encode(), ext="json")
    assert err.value.field == f"offers[2].{key}"


def test_a_non_finite_optional_measurement_reads_as_null():
    doc = json.loads(snapshot(REAL))
    doc[0].update(gpu_ram=float("inf"), min_bid=float("nan"), reliability2=-1e309)
    [offer] = market_table(vastai.parse(json.dumps(doc).encode(), ext="json")).to_pylist()
    assert (offer["vram_gb"], offer["min_bid"], offer["reliability"]) == (None, None, None)
    assert offer["gpu_model"] is None  # two RTX 4090 sizes and no measured VRAM: not guessed


# --- bad input --------------------------------------------------------------------------------

def test_a_missing_price_is_a_parse_error_naming_the_offer():
    doc = json.loads(gpu_fixture(SYNTHETIC))
    del doc["offers"][3]["dph_base"]
    with pytest.raises(ParseError) as err:
        vastai.parse(json.dumps(doc).encode(), ext="json")
    assert err.value.field == "offers[3].dph_base"


def test_an_answer_without_offers_is_a_parse_error():
    with pytest.raises(ParseError) as err:
        vastai.parse(b'{"success": false, "msg": "API requests too frequent"}', ext="json")
    assert err.value.field == "offers" and "too frequent" in err.value.message


def test_an_html_page_is_a_parse_error():
    with pytest.raises(ParseError) as err:
        vastai.parse(b"<html><body>502 Bad Gateway</body></html>", ext="json")
    assert err.value.field == "offers"


# --- fetch: the whole market, paged by offer id ---------------------------------------------------

def test_the_first_page_asks_for_every_rentable_on_demand_offer_in_id_order():
    body = vastai.query_body()
    assert "gpu_name" not in body and "id" not in body
    assert body["type"] == "ondemand" and body["rentable"] == {"eq": True} and body["rented"] == {"eq": False}
    assert body["order"] == [["id", "asc"]] and body["limit"] == vastai.PAGE_SIZE


def test_a_later_page_starts_after_the_last_offer_id():
    assert vastai.query_body(900015)["id"] == {"gt": 900015}


def _offers_page(first_id: int, n: int) -> bytes:
    template = json.loads(snapshot(REAL))[0]
    return json.dumps({"offers": [{**template, "id": first_id + i} for i in range(n)]}).encode()


def _after(request: httpx.Request) -> int:
    return json.loads(request.content).get("id", {}).get("gt", 0)


@respx.mock
def test_paging_follows_the_last_id_until_a_short_page(client, settings, monkeypatch):
    monkeypatch.setattr(vastai, "PAGE_SIZE", 2)
    pages = {0: _offers_page(1, 2), 2: _offers_page(3, 2), 4: _offers_page(5, 1)}
    route = respx.post(vastai.URL).mock(side_effect=lambda r: httpx.Response(200, content=pages[_after(r)]))
    items = vastai.fetch(client, settings)
    assert [_after(call.request) for call in route.calls] == [0, 2, 4]
    assert [i.url for i in items] == [f"{vastai.URL}#after_id={n}" for n in (0, 2, 4)]

    summary = ingest(settings, vastai.SOURCE, items, AT)
    assert query(settings, "SELECT count(*) FROM market_offers") == [(5,)]
    assert query(settings, "SELECT offer_count FROM gpu_price_history WHERE tier = 'on_demand'") == [(5,)]
    assert summary.errors == []


@respx.mock
def test_an_exactly_full_last_page_is_followed_by_an_empty_one(client, settings, monkeypatch):
    monkeypatch.setattr(vastai, "PAGE_SIZE", 2)
    pages = {0: _offers_page(1, 2), 2: EMPTY}
    respx.post(vastai.URL).mock(side_effect=lambda r: httpx.Response(200, content=pages[_after(r)]))
    assert [i.status for i in payloads(vastai.fetch(client, settings))] == [200, 200]


@respx.mock
def test_a_failing_page_ends_the_paging_and_no_statistics_are_stored(client, settings, monkeypatch):
    monkeypatch.setattr(vastai, "PAGE_SIZE", 2)

    def answer(request):
        if _after(request) == 2:
            raise httpx.ConnectTimeout("timed out")
        return httpx.Response(200, content=_offers_page(1, 2))

    respx.post(vastai.URL).mock(side_effect=answer)
    items = vastai.fetch(client, settings)
    assert [type(i).__name__ for i in items] == ["RawPayload", "FetchFailure"]
    assert "not read" in failure(items[1]).error and items[1].url == f"{vastai.URL}#after_id=2"

    summary = ingest(settings, vastai.SOURCE, items, AT)
    assert query(settings, "SELECT count(*) FROM market_offers") == [(2,)]  # kept: nothing stored is lost
    assert query(settings, "SELECT count(*) FROM gpu_observations") == [(0,)]  # no half-market statistics
    assert any("not read whole" in w for w in summary.warnings) and summary.errors


@respx.mock
def test_pages_are_spaced_by_the_source_minimum_interval(sleeps, settings, monkeypatch):
    now = [0.0]

    def monotonic() -> float:  # every look at the clock is a second later (requests take time)
        now[0] += 1.0
        return now[0]

    def sleep(seconds: float) -> None:  # sleeping moves the clock too
        sleeps(seconds)
        now[0] += seconds

    monkeypatch.setattr("scrapers.http.time.monotonic", monotonic)
    monkeypatch.setattr(vastai, "PAGE_SIZE", 1)
    respx.post(vastai.URL).mock(side_effect=lambda r: httpx.Response(
        200, content=_offers_page(_after(r) + 1, 1) if _after(r) < 3 else EMPTY))
    with HttpClient(retries=0, sleep=sleep, min_interval_s={"vastai": vastai.SOURCE.min_interval_s}) as http:
        items = vastai.fetch(http, settings)
    assert vastai.SOURCE.min_interval_s == 6.0  # Vast documents 10 requests a minute per IP
    assert len(items) == 4 and len(sleeps.calls) == 3 and all(0 < s <= 6.0 for s in sleeps.calls)


@respx.mock
def test_429_then_success_backs_off_and_keeps_the_page(client, settings, sleeps):
    answers = iter([httpx.Response(429, text="API requests too frequent: endpoint threshold=10"),
                    httpx.Response(200, content=EMPTY)])
    respx.post(vastai.URL).mock(side_effect=lambda request: next(answers))
    items = vastai.fetch(client, settings)
    assert [i.status for i in payloads(items)] == [200]
    assert sleeps.calls == [1.0]  # no Retry-After from Vast: own backoff


@respx.mock
def test_a_page_that_is_not_json_ends_the_paging(client, settings):
    respx.post(vastai.URL).mock(return_value=httpx.Response(200, text="<html><body>captcha</body></html>"))
    items = vastai.fetch(client, settings)
    assert [i.status for i in payloads(items)] == [200]
    summary = ingest(settings, vastai.SOURCE, items, AT)
    assert query(settings, "SELECT outcome FROM fetch_log") == [("parse_error",)] and summary.errors


# --- end to end -----------------------------------------------------------------------------------

def test_ingesting_the_real_capture_once_and_again(settings):
    item = payload("vastai", snapshot(REAL), at=AT, url=vastai.URL)
    first = ingest(settings, vastai.SOURCE, [item], AT)
    second = ingest(settings, vastai.SOURCE, [item], AT)
    assert (first.added, second.added, second.skipped) == (3, 0, 1)  # 1 offer + 2 statistics
    assert query(settings, "SELECT offering_key, round(usd_per_gpu_hour, 4), offer_count FROM gpu_price_history "
                           "ORDER BY 1") == [("RTX 4090 24GB|interruptible", 0.2, 1),
                                             ("RTX 4090 24GB|on_demand", 0.2467, 1)]
    assert query(settings, "SELECT offer_id, location FROM market_offers") == [("11684738", "Guangxi, CN")]


def test_an_empty_market_is_recorded_as_empty(settings):
    summary = ingest(settings, vastai.SOURCE, [payload("vastai", EMPTY, at=AT, url=vastai.URL)], AT)
    assert query(settings, "SELECT outcome FROM fetch_log") == [("empty",)]
    assert summary.added == 0


def test_the_bundled_snapshot_replays(settings):
    from core.paths import BUNDLED_SNAPSHOTS
    from warehouse.replay import replay

    summary = replay(settings, BUNDLED_SNAPSHOTS, sources=["vastai"])["vastai"]
    assert (summary.added, summary.errors) == (3, [])
    assert query(settings, "SELECT DISTINCT observed_at FROM gpu_price_history") == [(AT,)]


def test_an_unreachable_host_is_tried_once_not_paged(client):
    with respx.mock() as mock:
        route = mock.post(vastai.URL).mock(side_effect=httpx.ConnectError("no route to host"))
        items = vastai.fetch(client, None)
    assert len(items) == 1 and "unreachable" in failure(items[0]).error
    assert route.call_count == client.retries + 1


def test_a_server_error_on_the_first_page_stops_the_paging(client):
    with respx.mock() as mock:
        route = mock.post(vastai.URL).mock(return_value=httpx.Response(503, text="maintenance"))
        items = vastai.fetch(client, None)
    assert route.call_count == client.retries + 1
    assert [i.status for i in payloads(items)] == [503]


def test_still_rate_limited_on_a_later_page_stops_the_paging(client, monkeypatch):
    monkeypatch.setattr(vastai, "PAGE_SIZE", 1)
    answers = iter([httpx.Response(200, content=_offers_page(1, 1))] + [httpx.Response(429)] * 10)
    with respx.mock() as mock:
        mock.post(vastai.URL).mock(side_effect=lambda request: next(answers))
        items = vastai.fetch(client, None)
    assert [i.status for i in payloads(items)] == [200, 429]


def test_a_market_without_min_bid_warns_that_bids_are_not_recorded():
    doc = json.loads(gpu_fixture(SYNTHETIC))
    for offer in doc["offers"]:
        del offer["min_bid"]
    result = vastai.parse(json.dumps(doc).encode(), ext="json")
    assert "schema drift: no offer has 'min_bid'; interruptible bids not recorded" in result.warnings
    assert not any("drift" in w for w in vastai.parse(gpu_fixture(SYNTHETIC), ext="json").warnings)
