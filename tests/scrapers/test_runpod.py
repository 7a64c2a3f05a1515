"""RunPod: list prices per GPU-hour from the keyless GraphQL gpuTypes query."""
from __future__ import annotations

import json
from datetime import datetime

import httpx
import pytest
import respx

from scrapers import runpod
from scrapers.errors import ParseError
from scrapers.records import GPU_TIERS, FetchFailure, RawPayload
from tests.scrapers.conftest import ingest, payload, payloads, query, snapshot

REAL = "runpod/2025-06-21T231800Z.json"  # real capture of the GraphQL gpuTypes answer, 2025-06-21 23:18 UTC
AT = datetime(2025, 6, 21, 23, 18)


@pytest.fixture(scope="module")
def offers():
    result = runpod.parse(snapshot(REAL), ext="json", origin=REAL)
    return {o.offering_key: o for o in result.gpu_offers}


def price(offers, key):
    return offers[key].usd_per_gpu_hour


# --- parsing the real capture ---------------------------------------------------------------

def test_h100_sxm_is_offered_on_every_tier_it_has_a_real_price_for(offers):
    tiers = {k.split("|")[1]: o.usd_per_gpu_hour for k, o in offers.items() if k.startswith("NVIDIA H100 80GB HBM3|")}
    assert tiers == {"secure": 2.99, "community": 2.69, "secure_spot": 1.75, "community_spot": 1.5,
                     "reserved_3m": 2.811, "reserved_6m": 2.601, "cluster": 3.588}


def test_an_offer_is_one_gpu_priced_per_gpu_hour_with_the_canonical_name(offers):
    offer = offers["NVIDIA H100 80GB HBM3|secure"]
    assert (offer.provider, offer.gpu_model, offer.gpu_raw_name, offer.gpu_count, offer.tier) == (
        "runpod", "H100 SXM 80GB", "NVIDIA H100 80GB HBM3", 1, "secure")
    assert offer.usd_per_instance_hour == offer.usd_per_gpu_hour == 2.99
    assert (offer.vram_gb, offer.region) == (80.0, None)


@pytest.mark.parametrize("key", [
    "AMD Instinct MI300X OAM|community",  # communityPrice 0.5 while communityCloud is false
    "NVIDIA B200|community",  # 0.5 placeholder
    "NVIDIA RTX PRO 6000 Blackwell Workstation Edition|community",  # 0.5 placeholder
    "NVIDIA RTX 2000 Ada Generation|community",  # 0.5, above its own secure price
    "NVIDIA GeForce RTX 3070|secure",  # securePrice 0 while secureCloud is false
    "NVIDIA GeForce RTX 4070 Ti|secure",  # securePrice 0.5 while secureCloud is false
    "NVIDIA GeForce RTX 3090 Ti|secure",  # a stale 0.46 while secureCloud is false
    "NVIDIA A30|secure_spot",  # spot price on a cloud the GPU is not in
    "NVIDIA A40|community_spot",
])
def test_placeholder_prices_on_tiers_a_gpu_is_not_offered_in_are_not_observations(offers, key):
    assert key not in offers


def test_the_tier_a_gpu_is_offered_in_is_kept_next_to_a_placeholder(offers):
    assert price(offers, "AMD Instinct MI300X OAM|secure") == 2.49
    assert price(offers, "NVIDIA GeForce RTX 3070|community") == 0.13


def test_spot_without_a_price_is_not_observed(offers):
    assert "NVIDIA B200|secure_spot" not in offers
    assert "NVIDIA H200|community_spot" not in offers


def test_savings_plans_are_secure_cloud_only(offers):
    assert "NVIDIA RTX 5000 Ada Generation|reserved_3m" not in offers  # secureCloud false
    assert price(offers, "NVIDIA A40|reserved_3m") == 0.34


def test_cluster_prices_only_where_clusters_exist(offers):
    assert sorted(k for k in offers if k.endswith("|cluster")) == [
        "NVIDIA A100-SXM4-80GB|cluster", "NVIDIA H100 80GB HBM3|cluster", "NVIDIA H200|cluster"]


def test_the_placeholder_type_unknown_is_dropped(offers):
    assert not any(k.startswith("unknown|") for k in offers)


def test_every_offer_is_positive_with_a_known_tier_and_a_known_name(offers):
    assert len(offers) == 152
    assert all(o.tier in GPU_TIERS and o.usd_per_gpu_hour > 0 and o.gpu_model for o in offers.values())
    assert all(k == f"{o.gpu_raw_name}|{o.tier}" for k, o in offers.items())


def test_the_full_graphql_answer_parses_like_the_bare_list():
    wrapped = json.dumps({"data": {"gpuTypes": json.loads(snapshot(REAL))}}).encode()
    assert runpod.parse(wrapped, ext="json") == runpod.parse(snapshot(REAL), ext="json")


def test_an_unknown_gpu_is_kept_with_a_warning():
    body = json.dumps([{"id": "NVIDIA Z900", "memoryInGb": 64, "secureCloud": True, "communityCloud": False,
                        "securePrice": 9.5, "communityPrice": 0.5}]).encode()
    result = runpod.parse(body, ext="json")
    assert [(o.offering_key, o.gpu_model, o.gpu_raw_name) for o in result.gpu_offers] == [
        ("NVIDIA Z900|secure", None, "NVIDIA Z900")]
    assert any(w.startswith("unknown GPU name 'NVIDIA Z900'") for w in result.warnings)


# --- schema drift and the numeric boundary -----------------------------------------------------

def _capture_without(key: str) -> bytes:
    doc = json.loads(snapshot(REAL))
    for item in doc:
        item.pop(key, None)
    return json.dumps(doc).encode()


def test_a_capture_without_node_group_datacenters_warns_that_the_cluster_tier_is_not_recorded():
    result = runpod.parse(_capture_without("nodeGroupDatacenters"), ext="json")
    assert not [o for o in result.gpu_offers if o.tier == "cluster"]
    assert result.warnings == ["schema drift: no GPU type has 'nodeGroupDatacenters' (asked for by the query); "
                               "tier cluster not recorded"]


def test_a_capture_without_the_savings_plan_prices_warns_per_missing_field():
    result = runpod.parse(_capture_without("threeMonthPrice"), ext="json")
    assert "schema drift: no GPU type has 'threeMonthPrice' (asked for by the query); tier reserved_3m not recorded" \
        in result.warnings


def test_the_real_capture_has_no_drift_warning():
    assert not [w for w in runpod.parse(snapshot(REAL), ext="json").warnings if "drift" in w]


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "1" + "0" * 400, '"2.99"', "true"])
def test_a_price_that_is_not_a_finite_number_is_a_parse_error_never_an_overflow(bad):
    body = snapshot(REAL).replace(b'"securePrice": 2.99', b'"securePrice": ' + bad.encode(), 1)
    assert body != snapshot(REAL)
    with pytest.raises(ParseError) as err:
        runpod.parse(body, ext="json")
    assert err.value.field.endswith(".securePrice")


def test_a_price_above_the_plausibility_bound_is_skipped_with_a_warning():
    body = snapshot(REAL).replace(b'"securePrice": 2.99', b'"securePrice": 2990', 1)
    result = runpod.parse(body, ext="json")
    assert "NVIDIA H100 80GB HBM3|secure" not in {o.offering_key for o in result.gpu_offers}
    assert any("implausible price 2990" in w for w in result.warnings)


# --- bad input --------------------------------------------------------------------------------

def test_a_graphql_errors_answer_is_a_parse_error():
    body = json.dumps({"errors": [{"message": "Cannot query field \"securePrice\""}], "data": None}).encode()
    with pytest.raises(ParseError) as err:
        runpod.parse(body, ext="json", origin="x.json")
    assert err.value.field == "errors" and "securePrice" in err.value.message


def test_an_answer_without_gpu_types_is_a_parse_error():
    with pytest.raises(ParseError) as err:
        runpod.parse(b'{"data": {}}', ext="json")
    assert err.value.field == "data.gpuTypes"


def test_a_missing_price_field_is_a_parse_error_naming_it():
    items = json.loads(snapshot(REAL))
    del items[3]["securePrice"]
    with pytest.raises(ParseError) as err:
        runpod.parse(json.dumps(items).encode(), ext="json")
    assert err.value.field == "data.gpuTypes[3].securePrice"


def test_an_html_page_is_a_parse_error():
    with pytest.raises(ParseError, match="HTML"):
        runpod.parse(b"<!DOCTYPE html><html><body>Just a moment...</body></html>", ext="json")


# --- fetch through the real HTTP client ---------------------------------------------------------

@respx.mock
def test_fetch_posts_the_gpu_types_query(client, settings):
    route = respx.post(runpod.URL).mock(return_value=httpx.Response(200, content=snapshot(REAL)))
    [item] = runpod.fetch(client, settings)
    assert isinstance(item, RawPayload) and (item.status, item.ext, item.source) == (200, "json", "runpod")
    sent = json.loads(route.calls.last.request.content)
    assert "gpuTypes" in sent["query"] and "securePrice" in sent["query"] and "communityCloud" in sent["query"]


@respx.mock
def test_a_timeout_becomes_a_fetch_failure_naming_source_and_url(client, settings, sleeps):
    respx.post(runpod.URL).mock(side_effect=httpx.ConnectTimeout("timed out"))
    [item] = runpod.fetch(client, settings)
    assert isinstance(item, FetchFailure)
    assert "runpod" in item.error and runpod.URL in item.error and "timed out" in item.error
    assert sleeps.calls == [1.0, 2.0]  # backed off twice, then gave up


@respx.mock
def test_429_then_success_honours_retry_after(client, settings, sleeps):
    respx.post(runpod.URL).mock(side_effect=[
        httpx.Response(429, headers={"Retry-After": "7"}, text="slow down"),
        httpx.Response(200, content=snapshot(REAL)),
    ])
    [item] = payloads(runpod.fetch(client, settings))
    assert item.status == 200 and sleeps.calls == [7.0]


@respx.mock
def test_a_persistent_500_is_recorded_as_an_http_error(client, settings):
    respx.post(runpod.URL).mock(return_value=httpx.Response(500, text="internal error"))
    items = runpod.fetch(client, settings)
    summary = ingest(settings, runpod.SOURCE, items, AT)
    assert summary.errors and "HTTP 500" in summary.errors[0]
    assert query(settings, "SELECT outcome FROM fetch_log") == [("http_error",)]
    assert query(settings, "SELECT count(*) FROM gpu_price_history") == [(0,)]


@respx.mock
def test_an_html_page_served_with_200_is_a_parse_error_and_adds_nothing(client, settings):
    respx.post(runpod.URL).mock(return_value=httpx.Response(
        200, text="<!DOCTYPE html><html><title>Attention Required! | Cloudflare</title></html>"))
    ingest(settings, runpod.SOURCE, runpod.fetch(client, settings), AT)
    [(outcome, error)] = query(settings, "SELECT outcome, error FROM fetch_log")
    assert outcome == "parse_error" and "'data.gpuTypes'" in error
    assert query(settings, "SELECT count(*) FROM gpu_price_history") == [(0,)]


# --- end to end -----------------------------------------------------------------------------------

def test_ingesting_the_real_capture_fills_gpu_price_history_once(settings):
    item = payload("runpod", snapshot(REAL), at=AT, url=runpod.URL)
    first = ingest(settings, runpod.SOURCE, [item], AT)
    second = ingest(settings, runpod.SOURCE, [item], AT)
    assert (first.added, first.errors, second.added, second.skipped) == (152, [], 0, 1)
    rows = query(settings, "SELECT tier, usd_per_gpu_hour FROM gpu_price_history "
                           "WHERE provider = 'runpod' AND gpu_model = 'H100 SXM 80GB' ORDER BY tier")
    assert rows == [("cluster", 3.588), ("community", 2.69), ("community_spot", 1.5), ("reserved_3m", 2.811),
                    ("reserved_6m", 2.601), ("secure", 2.99), ("secure_spot", 1.75)]


def test_the_bundled_snapshot_replays(settings):
    from core.paths import BUNDLED_SNAPSHOTS
    from warehouse.replay import replay

    summary = replay(settings, BUNDLED_SNAPSHOTS, sources=["runpod"])["runpod"]
    assert (summary.added, summary.errors) == (152, [])
    assert query(settings, "SELECT DISTINCT observed_at FROM gpu_price_history") == [(datetime(2025, 6, 21, 23, 18),)]
