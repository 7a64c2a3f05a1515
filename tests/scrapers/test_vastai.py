"""Vast.ai: every rentable offer kept, per-model p10/min/median per GPU-hour aggregated."""
from __future__ import annotations

import json
from datetime import datetime

import httpx
import pytest
import respx

from scrapers import vastai
from scrapers.errors import ParseError
from scrapers.http import HttpClient
from scrapers.records import FetchFailure, RawPayload
from tests.scrapers.conftest import gpu_fixture, ingest, payload, query

REAL = "vast_bundles_offer_capture_2024-07.json"  # one real offer, start_date 2024-07-30
SYNTHETIC = "vast_bundles_synthetic_market.json"  # hand-written offers, invented prices
AT = datetime(2024, 7, 30, 14, 10, 55)
EMPTY = b'{"offers": []}'


@pytest.fixture(scope="module")
def market():
    return vastai.parse(gpu_fixture(SYNTHETIC), ext="json", origin=SYNTHETIC)


def aggregate(result, key):
    [offer] = [o for o in result.gpu_offers if o.offering_key == key]
    return offer


# --- the real offer ----------------------------------------------------------------------------

def test_the_real_offer_is_priced_per_gpu_from_dph_base_not_divided_by_gpu_frac():
    result = vastai.parse(gpu_fixture(REAL), ext="json")
    [offer] = result.market_offers
    assert offer.usd_per_gpu_hour == pytest.approx(0.246667, abs=1e-6)  # gpu_frac 0.25 is not used
    assert (offer.offer_id, offer.machine_id, offer.gpu_model, offer.gpu_raw_name, offer.gpu_count) == (
        "11684738", "22990", "RTX 4090 24GB", "RTX 4090", 1)
    assert (offer.vram_gb, offer.reliability, offer.verified, offer.location) == (
        23.99, 0.9700835, True, "Guangxi, CN")


def test_the_real_offer_gives_an_on_demand_and_an_interruptible_aggregate():
    result = vastai.parse(gpu_fixture(REAL), ext="json")
    summary = {o.offering_key: (o.usd_per_gpu_hour, o.offer_count, o.gpu_count) for o in result.gpu_offers}
    assert summary == {"RTX 4090 24GB|on_demand": (pytest.approx(0.246667, abs=1e-6), 1, 1),
                       "RTX 4090 24GB|interruptible": (0.2, 1, 1)}


# --- aggregates over a synthetic market ----------------------------------------------------------

def test_multi_gpu_offers_are_divided_by_num_gpus(market):
    by_id = {o.offer_id: o for o in market.market_offers}
    assert (by_id["900007"].usd_per_gpu_hour, by_id["900007"].usd_per_instance_hour, by_id["900007"].gpu_count) == (
        2.0, 16.0, 8)


def test_on_demand_aggregate_is_p10_with_min_median_and_count(market):
    offer = aggregate(market, "RTX 4090 24GB|on_demand")  # per-GPU prices 0.30 0.35 0.40 0.50 0.60
    assert offer.usd_per_gpu_hour == pytest.approx(0.32)
    assert offer.usd_per_instance_hour == offer.usd_per_gpu_hour and offer.gpu_count == 1
    assert (offer.usd_per_gpu_hour_min, offer.usd_per_gpu_hour_median, offer.offer_count) == (0.30, 0.40, 5)
    assert (offer.tier, offer.gpu_model, offer.vram_gb, offer.region) == ("on_demand", "RTX 4090 24GB", 24.0, None)


def test_h100_aggregate(market):
    offer = aggregate(market, "H100 SXM 80GB|on_demand")  # 2.00 (8 GPUs), 2.40, 2.50 (2 GPUs)
    assert (offer.usd_per_gpu_hour, offer.usd_per_gpu_hour_min, offer.usd_per_gpu_hour_median, offer.offer_count) == (
        pytest.approx(2.08), 2.0, 2.4, 3)


def test_interruptible_aggregate_uses_positive_min_bids_per_gpu(market):
    offer = aggregate(market, "RTX 4090 24GB|interruptible")  # bids 0.20, 0.25, 0.60/2; 0 and null ignored
    assert (offer.usd_per_gpu_hour, offer.usd_per_gpu_hour_min, offer.usd_per_gpu_hour_median, offer.offer_count) == (
        pytest.approx(0.21), 0.20, 0.25, 3)


def test_a_48gb_rtx_4090_is_aggregated_apart_from_the_24gb_cards(market):
    offer = aggregate(market, "RTX 4090 48GB|on_demand")
    assert (offer.gpu_model, offer.offer_count, offer.usd_per_gpu_hour) == ("RTX 4090 48GB", 1, 0.55)


def test_a100_sizes_are_separate_models(market):
    assert aggregate(market, "A100 SXM 40GB|on_demand").usd_per_gpu_hour == 0.8
    assert aggregate(market, "A100 SXM 80GB|on_demand").usd_per_gpu_hour == 1.2


def test_an_unknown_model_is_kept_under_its_raw_name_with_a_warning(market):
    offer = aggregate(market, "RTX 4070S Ti|on_demand")
    assert (offer.gpu_model, offer.gpu_raw_name) == (None, "RTX 4070S Ti")
    assert any(w.startswith("unknown GPU name 'RTX 4070S Ti'") for w in market.warnings)


def test_unrentable_free_and_absurd_offers_are_discarded_with_warnings(market):
    ids = {o.offer_id for o in market.market_offers}
    assert len(ids) == 12 and not ids & {"900012", "900013", "900014"}
    assert any("900013" in w and "not plausible" in w for w in market.warnings)
    assert any("900014" in w and "not plausible" in w for w in market.warnings)


def test_an_empty_market_parses_to_nothing():
    result = vastai.parse(EMPTY, ext="json")
    assert result.record_count == 0 and result.warnings == []


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


# --- fetch: one page per GPU model ------------------------------------------------------------------

def test_each_page_asks_for_rentable_on_demand_offers_of_one_model():
    body = vastai.query_body("H100 SXM")
    assert body["gpu_name"] == {"eq": "H100 SXM"} and body["type"] == "ondemand"
    assert body["rentable"] == {"eq": True} and body["limit"] >= 100


def _gpu_name(request: httpx.Request) -> str:
    return json.loads(request.content)["gpu_name"]["eq"]


@respx.mock
def test_a_failing_page_does_not_stop_the_others(client, settings):
    def answer(request):
        name = _gpu_name(request)
        if name == "H200":
            raise httpx.ConnectTimeout("timed out")
        if name == "B200":
            return httpx.Response(500, text="oops")
        return httpx.Response(200, content=gpu_fixture(SYNTHETIC) if name == "RTX 4090" else EMPTY)

    respx.post(vastai.URL).mock(side_effect=answer)
    items = vastai.fetch(client, settings)
    assert len(items) == len(vastai.GPU_QUERIES)
    [failure] = [i for i in items if isinstance(i, FetchFailure)]
    assert "vastai" in failure.error and vastai.URL in failure.error and "H200" in failure.error
    assert sorted(i.status for i in items if isinstance(i, RawPayload)).count(500) == 1

    summary = ingest(settings, vastai.SOURCE, items, AT)
    outcomes = dict(query(settings, "SELECT outcome, count(*) FROM fetch_log GROUP BY 1"))
    # identical empty pages share a sha256 but not a URL: each one is logged
    empty_pages = len(vastai.GPU_QUERIES) - 3
    assert outcomes == {"network_error": 1, "http_error": 1, "ok": 1, "empty": empty_pages}
    assert summary.skipped == 0
    assert summary.added == 12 + 12  # aggregates + market offers from the one full page
    assert query(settings, "SELECT url FROM fetch_log WHERE outcome = 'ok'") == [
        (f"{vastai.URL}#gpu_name=RTX%204090",)]


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
    respx.post(vastai.URL).mock(return_value=httpx.Response(200, content=EMPTY))
    with HttpClient(retries=0, sleep=sleep, min_interval_s={"vastai": vastai.SOURCE.min_interval_s}) as http:
        vastai.fetch(http, settings)
    assert vastai.SOURCE.min_interval_s == 6.0
    assert len(sleeps.calls) == len(vastai.GPU_QUERIES) - 1 and all(0 < s <= 6.0 for s in sleeps.calls)


@respx.mock
def test_429_then_success_backs_off_and_keeps_the_page(client, settings, sleeps):
    answers = {}

    def answer(request):
        name = _gpu_name(request)
        answers[name] = answers.get(name, 0) + 1
        if name == "L4" and answers[name] == 1:
            return httpx.Response(429, text="API requests too frequent: endpoint threshold=10")
        return httpx.Response(200, content=EMPTY)

    respx.post(vastai.URL).mock(side_effect=answer)
    items = vastai.fetch(client, settings)
    assert all(isinstance(i, RawPayload) and i.status == 200 for i in items)
    assert answers["L4"] == 2 and sleeps.calls == [1.0]  # no Retry-After from Vast: own backoff


# --- end to end -----------------------------------------------------------------------------------

def test_ingesting_the_real_capture_once_and_again(settings):
    item = payload("vastai", gpu_fixture(REAL), at=AT, url=vastai.URL)
    first = ingest(settings, vastai.SOURCE, [item], AT)
    second = ingest(settings, vastai.SOURCE, [item], AT)
    assert (first.added, second.added, second.skipped) == (3, 0, 1)
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


def test_an_unreachable_host_is_not_paged_through_model_by_model(client):
    import httpx
    import respx

    from scrapers import vastai

    with respx.mock() as mock:
        route = mock.post(vastai.URL).mock(side_effect=httpx.ConnectError("no route to host"))
        items = vastai.fetch(client, None)
    assert len(items) == 1 and "unreachable" in items[0].error
    assert route.call_count == client.retries + 1


def test_a_server_error_on_the_first_page_stops_the_paging(client):
    import httpx
    import respx

    from scrapers import vastai

    with respx.mock() as mock:
        route = mock.post(vastai.URL).mock(return_value=httpx.Response(503, text="maintenance"))
        items = vastai.fetch(client, None)
    assert route.call_count == client.retries + 1
    assert [i.status for i in items] == [503]


def test_still_rate_limited_on_a_later_page_stops_the_paging(client):
    import httpx
    import respx

    from scrapers import vastai

    answers = iter([httpx.Response(200, json={"offers": []})] + [httpx.Response(429)] * 10)
    with respx.mock() as mock:
        mock.post(vastai.URL).mock(side_effect=lambda request: next(answers))
        items = vastai.fetch(client, None)
    assert [i.status for i in items] == [200, 429]
