"""RunPod REST v2 catalogue: keyed, one request per cloud with stock; GraphQL stays the keyless
fallback; a retired GraphQL API is reported as retired.

The v2 payload is the example of RunPod's own OpenAPI spec (runpod/docs @ a900806e :
api-reference-v2/openapi.json, ``listGpuTypes`` 200 example): a documentation example, not a live
capture (tests/fixtures/gpu/SOURCES.md). Error bodies are the spec's ``ErrorResponse`` examples.
"""
from __future__ import annotations

import json
from datetime import datetime

import httpx
import pytest
import respx

from core.settings import Settings
from scrapers import runpod, runpod_v2
from scrapers.errors import ParseError, SourceRetired
from scrapers.records import RawPayload
from tests.scrapers.conftest import gpu_fixture, ingest, payload, payloads, query, snapshot

SPEC_EXAMPLE = "runpod_v2_catalog_gpus_spec_example.json"  # doc example: RTX 4090 secure 0.44 / community 0.31
GRAPHQL = "runpod/2025-06-21T231800Z.json"  # a bundled snapshot
SECURE_URL = runpod_v2.catalog_url("SECURE")
COMMUNITY_URL = runpod_v2.catalog_url("COMMUNITY")
AT = datetime(2026, 10, 1, 6)
UNAUTHORIZED = {"title": "Unauthorized", "status": 401, "detail": "missing bearer token"}
TOO_MANY = {"title": "Too Many Requests", "status": 429, "detail": "rate limit exceeded for the minute window"}


def example(**changes) -> bytes:
    doc = json.loads(gpu_fixture(SPEC_EXAMPLE))
    doc["gpus"][0].update(changes)
    return json.dumps(doc).encode()


def keyed(settings: Settings) -> Settings:
    from dataclasses import replace

    return replace(settings, runpod_api_key="rpa_TESTKEY")


# --- parse ----------------------------------------------------------------------------------------

def test_the_secure_answer_gives_the_secure_offering_with_its_stock():
    [offer] = runpod.parse(gpu_fixture(SPEC_EXAMPLE), url=SECURE_URL).gpu_offers
    assert (offer.offering_key, offer.gpu_model, offer.tier, offer.usd_per_gpu_hour) == (
        "NVIDIA GeForce RTX 4090|secure", "RTX 4090 24GB", "secure", 0.44)
    assert (offer.available, offer.stock, offer.available_in, offer.vram_gb) == (True, "high", "US-KS-2", 24.0)
    assert (offer.provider, offer.source, offer.gpu_count) == ("runpod", "runpod", 1)


def test_the_community_answer_gives_the_community_offering():
    [offer] = runpod.parse(gpu_fixture(SPEC_EXAMPLE), url=COMMUNITY_URL).gpu_offers
    assert (offer.offering_key, offer.usd_per_gpu_hour) == ("NVIDIA GeForce RTX 4090|community", 0.31)


def test_without_a_url_the_answer_is_read_as_secure_the_apis_default():
    [offer] = runpod.parse(gpu_fixture(SPEC_EXAMPLE)).gpu_offers
    assert offer.tier == "secure"


def test_the_offering_key_continues_the_graphql_series():
    graphql = {o.offering_key for o in runpod.parse(snapshot(GRAPHQL)).gpu_offers}
    [v2] = runpod.parse(gpu_fixture(SPEC_EXAMPLE), url=SECURE_URL).gpu_offers
    assert v2.offering_key in graphql


def test_sold_out_everywhere_is_kept_as_not_available():
    body = example(availability="NONE", dataCenters=[{"id": "US-KS-2", "name": "US Kansas 2", "availability": "NONE"}])
    [offer] = runpod.parse(body, url=SECURE_URL).gpu_offers
    assert (offer.available, offer.stock, offer.available_in) == (False, "none", None)


def test_without_include_availability_nothing_is_said_about_stock():
    doc = json.loads(gpu_fixture(SPEC_EXAMPLE))
    del doc["gpus"][0]["availability"], doc["gpus"][0]["dataCenters"]
    [offer] = runpod.parse(json.dumps(doc).encode(), url=SECURE_URL).gpu_offers
    assert (offer.available, offer.stock, offer.available_in) == (None, None, None)


def test_asked_for_availability_but_none_came_is_schema_drift():
    doc = json.loads(gpu_fixture(SPEC_EXAMPLE))
    del doc["gpus"][0]["availability"], doc["gpus"][0]["dataCenters"]
    result = runpod.parse(json.dumps(doc).encode(), url=SECURE_URL)
    assert result.warnings == ["schema drift: include=AVAILABILITY was asked for but no GPU type has "
                               "'availability'; stock not recorded"]
    assert runpod.parse(gpu_fixture(SPEC_EXAMPLE), url=SECURE_URL).warnings == []


def test_a_cloud_the_gpu_is_not_offered_in_gives_nothing():
    assert runpod.parse(example(community=False), url=COMMUNITY_URL).gpu_offers == []


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "0.44", True, 10**400])
def test_a_price_that_is_not_a_finite_number_is_a_parse_error(bad):
    doc = json.loads(gpu_fixture(SPEC_EXAMPLE))
    doc["gpus"][0]["price"]["secure"] = bad
    body = json.dumps(doc).encode() if bad != 10**400 else gpu_fixture(SPEC_EXAMPLE).replace(
        b'"secure": 0.44', b'"secure": 1' + b"0" * 400)
    with pytest.raises(ParseError) as err:
        runpod.parse(body, url=SECURE_URL)
    assert err.value.field == "gpus[0].price.secure"


@pytest.mark.parametrize("price", [-1.0, 0.0])
def test_a_placeholder_price_is_not_an_offering(price):
    doc = json.loads(gpu_fixture(SPEC_EXAMPLE))
    doc["gpus"][0]["price"]["secure"] = price
    assert runpod.parse(json.dumps(doc).encode(), url=SECURE_URL).gpu_offers == []


def test_an_implausible_price_is_skipped_with_a_warning():
    doc = json.loads(gpu_fixture(SPEC_EXAMPLE))
    doc["gpus"][0]["price"]["secure"] = 440.0
    result = runpod.parse(json.dumps(doc).encode(), url=SECURE_URL)
    assert result.gpu_offers == [] and "implausible price 440" in result.warnings[0]


def test_an_unknown_stock_level_is_a_parse_error():
    with pytest.raises(ParseError) as err:
        runpod.parse(example(availability="PLENTY"), url=SECURE_URL)
    assert err.value.field == "gpus[0].availability"


def test_an_error_body_is_a_parse_error_with_the_apis_detail():
    with pytest.raises(ParseError) as err:
        runpod.parse(json.dumps(UNAUTHORIZED).encode(), url=SECURE_URL)
    assert "missing bearer token" in err.value.message


def test_the_rate_limit_header_reads_as_remaining_and_reset_per_window():
    header = '"minute";r=0;t=12, "hour";r=2800;t=1812, "day";r=49500;t=45012'  # the spec's example
    assert runpod_v2.rate_limit_remaining(header) == {"minute": (0, 12), "hour": (2800, 1812), "day": (49500, 45012)}


# --- the retired GraphQL API -----------------------------------------------------------------------

@pytest.mark.parametrize("error", [
    {"message": "The GraphQL API has been retired. Use the REST API: https://rest.runpod.io"},
    {"message": "Gone", "extensions": {"code": "GONE"}},
])
def test_a_graphql_error_that_means_retired_is_reported_as_retired(error):
    with pytest.raises(SourceRetired) as err:
        runpod.parse(json.dumps({"errors": [error], "data": None}).encode())
    assert "RUNPOD_API_KEY" in err.value.message


def test_any_other_graphql_error_stays_a_parse_error():
    with pytest.raises(ParseError) as err:
        runpod.parse(json.dumps({"errors": [{"message": "Cannot query field \"foo\""}]}).encode())
    assert not isinstance(err.value, SourceRetired)


def test_a_retired_answer_is_logged_as_retired_not_as_a_parse_error(settings):
    body = json.dumps({"errors": [{"message": "This API is retired"}]}).encode()
    summary = ingest(settings, runpod.SOURCE, [payload("runpod", body, at=AT, url=runpod.URL)], AT)
    [(outcome, error)] = query(settings, "SELECT outcome, error FROM fetch_log")
    assert outcome == "retired" and "RUNPOD_API_KEY" in error and summary.errors


# --- fetch -----------------------------------------------------------------------------------------

@respx.mock
def test_with_a_key_each_cloud_is_asked_with_stock_and_the_bearer_key(client, settings):
    route = respx.get(runpod_v2.URL).mock(return_value=httpx.Response(200, content=gpu_fixture(SPEC_EXAMPLE)))
    graphql = respx.post(runpod.URL)
    items = runpod.fetch(client, keyed(settings))
    assert [i.url for i in items] == [SECURE_URL, COMMUNITY_URL] and not graphql.called
    for call in route.calls:
        assert call.request.headers["Authorization"] == "Bearer rpa_TESTKEY"
        assert call.request.url.params["include"] == "AVAILABILITY" and call.request.url.params["product"] == "POD"

    ingest(settings, runpod.SOURCE, items, AT)
    rows = query(settings, "SELECT offering_key, usd_per_gpu_hour, available, stock, available_in "
                           "FROM gpu_prices_latest ORDER BY 1")
    assert rows == [("NVIDIA GeForce RTX 4090|community", 0.31, True, "high", "US-KS-2"),
                    ("NVIDIA GeForce RTX 4090|secure", 0.44, True, "high", "US-KS-2")]
    assert "rpa_TESTKEY" not in json.dumps(query(settings, "SELECT * FROM fetch_log"), default=str)


@respx.mock
def test_without_a_key_the_keyless_graphql_api_is_used(client, settings):
    v2 = respx.get(runpod_v2.URL)
    respx.post(runpod.URL).mock(return_value=httpx.Response(200, content=snapshot(GRAPHQL)))
    items = runpod.fetch(client, settings)
    assert [i.url for i in items] == [runpod.URL] and not v2.called


@respx.mock
def test_a_rejected_key_falls_back_to_graphql_in_the_same_run(client, settings):
    respx.get(runpod_v2.URL).mock(return_value=httpx.Response(401, json=UNAUTHORIZED))
    respx.post(runpod.URL).mock(return_value=httpx.Response(200, content=snapshot(GRAPHQL)))
    items = runpod.fetch(client, keyed(settings))
    assert [(i.url, i.status) for i in items if isinstance(i, RawPayload)] == [
        (SECURE_URL, 401), (COMMUNITY_URL, 401), (runpod.URL, 200)]
    summary = ingest(settings, runpod.SOURCE, items, AT)
    assert dict(query(settings, "SELECT outcome, count(*) FROM fetch_log GROUP BY 1")) == {"http_error": 2, "ok": 1}
    assert summary.added > 100  # the GraphQL prices were loaded


@respx.mock
def test_a_429_waits_the_retry_after_the_api_gives_then_retries(client, settings, sleeps):
    answers = iter([httpx.Response(429, json=TOO_MANY, headers={"Retry-After": "12"}),
                    httpx.Response(200, content=gpu_fixture(SPEC_EXAMPLE)),
                    httpx.Response(200, content=gpu_fixture(SPEC_EXAMPLE))])
    respx.get(runpod_v2.URL).mock(side_effect=lambda request: next(answers))
    items = runpod.fetch(client, keyed(settings))
    assert [i.status for i in payloads(items)] == [200, 200] and sleeps.calls == [12.0]
