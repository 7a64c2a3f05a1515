"""Lambda: on-demand prices per instance size from the pricing page, or from the API with a key."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from datetime import datetime

import httpx
import pytest
import respx

from scrapers import lambdalabs
from scrapers.errors import ParseError
from scrapers.records import FetchFailure, RawPayload
from tests.scrapers.conftest import gpu_fixture, ingest, payload, payloads, query, snapshot

# bundled snapshots, reconstructed pages (tests/fixtures/gpu/build_reconstructed.py):
FEB = "lambda/2026-02-11T000000Z.html"  # values from the real 2026-02-11 scrape
SEP = "lambda/2026-09-20T120546Z.html"  # values from the real 2026-09-20 transcript
SEP_WITH_RESERVED = "lambda_pricing_page_synthetic_reserved_sections.html"  # + invented reserved tables
API = "lambda_instance_types_reconstructed_from_skypilot.json"  # API shape, real SkyPilot catalog prices
FEB_AT, SEP_AT = datetime(2026, 2, 11), datetime(2026, 9, 20, 12, 5, 46)


def page(name):
    return lambdalabs.parse(snapshot(name), ext="html", origin=name)


def by_key(result):
    return {o.offering_key: o for o in result.gpu_offers}


# --- the pricing page -------------------------------------------------------------------------

def test_the_gpu_count_comes_from_the_tab_each_table_sits_in():
    assert Counter(o.gpu_count for o in page(FEB).gpu_offers) == {8: 5, 4: 4, 2: 4, 1: 9}
    assert Counter(o.gpu_count for o in page(SEP).gpu_offers) == {8: 5, 4: 3, 2: 2, 1: 6}


def test_page_prices_are_per_gpu_and_the_instance_price_is_derived():
    offer = by_key(page(SEP))["8x H100 SXM 80GB|on_demand"]
    assert (offer.usd_per_gpu_hour, offer.usd_per_instance_hour, offer.gpu_count) == (3.99, 31.92, 8)
    assert (offer.provider, offer.tier, offer.gpu_model, offer.gpu_raw_name, offer.region) == (
        "lambda", "on_demand", "H100 SXM 80GB", "NVIDIA H100 SXM", None)


def test_the_per_gpu_price_depends_on_the_node_size():
    offers = by_key(page(SEP))
    assert [offers[f"{n}x H100 SXM 80GB|on_demand"].usd_per_gpu_hour for n in (8, 4, 2, 1)] == [
        3.99, 4.09, 4.19, 4.29]


def test_the_vram_column_tells_the_a100_sizes_apart():
    offers = by_key(page(FEB))
    assert offers["8x A100 SXM 80GB|on_demand"].usd_per_gpu_hour == 1.79
    assert offers["8x A100 SXM 40GB|on_demand"].usd_per_gpu_hour == 1.29


def test_lambdas_rtx_6000_is_the_24gb_quadro():
    offer = by_key(page(FEB))["1x Quadro RTX 6000 24GB|on_demand"]
    assert (offer.gpu_raw_name, offer.usd_per_gpu_hour) == ("NVIDIA Quadro RTX 6000", 0.5)


def test_the_two_real_transcriptions_show_the_2026_price_rise():
    feb, sep = by_key(page(FEB)), by_key(page(SEP))
    changes = {k: (feb[k].usd_per_gpu_hour, sep[k].usd_per_gpu_hour) for k in ("8x H100 SXM 80GB|on_demand",
                                                                               "1x B200 180GB|on_demand",
                                                                               "1x GH200 96GB|on_demand")}
    assert changes == {"8x H100 SXM 80GB|on_demand": (2.99, 3.99), "1x B200 180GB|on_demand": (5.29, 6.99),
                       "1x GH200 96GB|on_demand": (1.99, 2.29)}


def test_reserved_and_cluster_tables_never_mix_into_on_demand():
    result = lambdalabs.parse(gpu_fixture(SEP_WITH_RESERVED), ext="html", origin=SEP_WITH_RESERVED)
    assert result.gpu_offers == page(SEP).gpu_offers
    assert not {9.99, 8.88, 7.77} & {o.usd_per_gpu_hour for o in result.gpu_offers}


def test_an_older_page_with_the_count_in_the_row_and_per_instance_prices():
    html = b"""<html><body><h2>GPU Cloud</h2><table><tbody>
      <tr><th>8x NVIDIA H100 SXM</th><td data-label="VRAM/GPU">80 GB</td><td data-label="PRICE/HR">$20.72 / hr</td></tr>
    </tbody></table></body></html>"""
    [offer] = lambdalabs.parse(html, ext="html").gpu_offers
    assert (offer.offering_key, offer.usd_per_instance_hour, offer.usd_per_gpu_hour) == (
        "8x H100 SXM 80GB|on_demand", 20.72, 2.59)


def test_an_unknown_plan_is_kept_with_a_warning():
    html = b"""<html><body><div role="tabpanel" aria-labelledby="t1"><table><tbody>
      <tr><th>NVIDIA X900</th><td data-label="VRAM/GPU">64 GB</td><td data-label="PRICE/GPU/HR*">$9.00</td></tr>
    </tbody></table></div><button id="t1" role="tab">2x</button></body></html>"""
    result = lambdalabs.parse(html, ext="html")
    [offer] = result.gpu_offers
    assert (offer.offering_key, offer.gpu_model, offer.usd_per_instance_hour) == (
        "2x NVIDIA X900 64GB|on_demand", None, 18.0)
    assert result.warnings[0].startswith("unknown GPU name 'NVIDIA X900'")


@pytest.mark.parametrize(("html", "field"), [
    (b"<!DOCTYPE html><html><body><h1>Just a moment...</h1>Checking your browser</body></html>", "table tbody tr"),
    (b"<html><body><table><tbody><tr><th>NVIDIA H100 SXM</th><td data-label='PRICE/GPU/HR*'>Contact sales</td>"
     b"</tr></tbody></table></body></html>", lambdalabs.PRICE_SELECTOR),
    (b"<html><body><h2>Reserved Cloud</h2><table><tbody><tr><th>8x NVIDIA H100 SXM</th>"
     b"<td data-label='PRICE/GPU/HR*'>$1.85</td></tr></tbody></table></body></html>", lambdalabs.PRICE_SELECTOR),
])
def test_a_page_without_on_demand_prices_is_a_parse_error_naming_the_selector(html, field):
    with pytest.raises(ParseError) as err:
        lambdalabs.parse(html, ext="html", origin="page.html")
    assert err.value.field == field and err.value.origin == "page.html"


# --- the instance-types API -------------------------------------------------------------------------

def test_api_prices_are_per_instance_cents_divided_by_the_gpu_count():
    offers = by_key(lambdalabs.parse(gpu_fixture(API), ext="json"))
    offer = offers["8x H100 SXM 80GB|on_demand"]
    assert (offer.usd_per_instance_hour, offer.usd_per_gpu_hour, offer.gpu_count, offer.gpu_raw_name) == (
        31.92, 3.99, 8, "gpu_8x_h100_sxm5")
    assert offers["8x B200 180GB|on_demand"].usd_per_gpu_hour == 6.69


def test_api_and_page_share_offering_keys_so_the_series_continue():
    api = by_key(lambdalabs.parse(gpu_fixture(API), ext="json"))
    sep = by_key(page(SEP))
    shared = set(api) & set(sep)
    assert {"8x H100 SXM 80GB|on_demand", "1x GH200 96GB|on_demand", "8x V100 16GB|on_demand"} <= shared
    assert all(api[k].usd_per_gpu_hour == sep[k].usd_per_gpu_hour for k in shared)


def test_api_cpu_instances_are_skipped_and_twin_instance_types_keep_apart():
    offers = by_key(lambdalabs.parse(gpu_fixture(API), ext="json"))
    assert not any("cpu_" in o.gpu_raw_name for o in offers.values())
    assert offers["8x V100 16GB|on_demand"].gpu_raw_name == "gpu_8x_v100"
    assert offers["8x V100 16GB (gpu_8x_v100_n)|on_demand"].gpu_raw_name == "gpu_8x_v100_n"


def test_api_capacity_says_where_an_instance_type_can_be_rented_now():
    # gpu_8x_v100: "regions_with_capacity_available": [{"name": "europe-central-1"}, {"name": "asia-south-1"}]
    offer = by_key(lambdalabs.parse(gpu_fixture(API), ext="json"))["8x V100 16GB|on_demand"]
    assert (offer.available, offer.available_in) == (True, "asia-south-1,europe-central-1")


def test_an_empty_capacity_list_means_sold_out_not_gone():
    doc = json.loads(gpu_fixture(API))
    doc["data"]["gpu_8x_v100"]["regions_with_capacity_available"] = []
    offer = by_key(lambdalabs.parse(json.dumps(doc).encode(), ext="json"))["8x V100 16GB|on_demand"]
    assert (offer.available, offer.available_in, offer.usd_per_gpu_hour) == (False, None, 0.79)


def test_without_a_capacity_list_nothing_is_said():
    doc = json.loads(gpu_fixture(API))
    del doc["data"]["gpu_8x_v100"]["regions_with_capacity_available"]
    offer = by_key(lambdalabs.parse(json.dumps(doc).encode(), ext="json"))["8x V100 16GB|on_demand"]
    assert (offer.available, offer.available_in) == (None, None)


def test_an_api_answer_without_any_capacity_list_warns_of_schema_drift():
    doc = json.loads(gpu_fixture(API))
    for entry in doc["data"].values():
        del entry["regions_with_capacity_available"]
    result = lambdalabs.parse(json.dumps(doc).encode(), ext="json")
    assert "schema drift: no instance type has 'regions_with_capacity_available'; availability not recorded" \
        in result.warnings


def test_api_instance_shape_is_kept():
    # gpu_8x_v100: "specs": {"vcpus": 92, "memory_gib": 448, "gpus": 8} (no storage_gib in this file)
    offer = by_key(lambdalabs.parse(gpu_fixture(API), ext="json"))["8x V100 16GB|on_demand"]
    assert (offer.vcpus, offer.ram_gb, offer.disk_gb) == (92.0, 448.0, None)


def test_page_instance_shape_is_kept_in_gb():
    # 8x H100 SXM row of the 2026-09-20 transcript: 208 vCPUs, 1800 GiB RAM, 22 TiB SSD
    offer = by_key(page(SEP))["8x H100 SXM 80GB|on_demand"]
    assert (offer.vcpus, offer.ram_gb, offer.disk_gb) == (208.0, 1800.0, 22 * 1024.0)


@pytest.mark.parametrize("cents", [float("nan"), float("inf"), "3192", True])
def test_api_price_that_is_not_a_finite_number_is_a_parse_error(cents):
    doc = json.loads(gpu_fixture(API))
    doc["data"]["gpu_8x_v100"]["instance_type"]["price_cents_per_hour"] = cents
    with pytest.raises(ParseError) as err:
        lambdalabs.parse(json.dumps(doc).encode(), ext="json")
    assert err.value.field == "data.gpu_8x_v100.instance_type.price_cents_per_hour"


def test_api_huge_integer_price_is_a_parse_error_not_an_overflow():
    body = gpu_fixture(API).replace(b'"price_cents_per_hour": 632', b'"price_cents_per_hour": 1' + b"0" * 400, 1)
    with pytest.raises(ParseError) as err:
        lambdalabs.parse(body, ext="json")
    assert "too large" in err.value.message


@pytest.mark.parametrize("cents", [1e12, -632, 0])
def test_api_price_that_is_not_plausible_is_skipped_with_a_warning(cents):
    doc = json.loads(gpu_fixture(API))
    doc["data"]["gpu_8x_v100"]["instance_type"]["price_cents_per_hour"] = cents
    result = lambdalabs.parse(json.dumps(doc).encode(), ext="json")
    assert "gpu_8x_v100" not in {o.gpu_raw_name for o in result.gpu_offers}
    assert any("gpu_8x_v100:" in w and "not plausible" in w for w in result.warnings)


@pytest.mark.parametrize("gpus", [-5, 2.5, 4096])
def test_api_gpu_count_that_is_not_a_whole_positive_number_is_a_parse_error(gpus):
    doc = json.loads(gpu_fixture(API))
    doc["data"]["gpu_8x_v100"]["instance_type"]["specs"]["gpus"] = gpus
    with pytest.raises(ParseError) as err:
        lambdalabs.parse(json.dumps(doc).encode(), ext="json")
    assert err.value.field == "data.gpu_8x_v100.instance_type.specs.gpus"


@pytest.mark.parametrize(("cell", "why"), [("inf", "no price"), ("1e11", "not plausible"), ("0", "not plausible"),
                                           ("-5", "not plausible")])
def test_page_price_that_is_not_plausible_never_passes(cell, why):
    html = snapshot(SEP).replace(b'PRICE/GPU/HR*">$3.99<', f'PRICE/GPU/HR*">${cell}<'.encode(), 1)
    assert html != snapshot(SEP)
    result = lambdalabs.parse(html, ext="html")
    assert "8x H100 SXM 80GB|on_demand" not in by_key(result)
    if why == "not plausible":
        assert any("not plausible" in w for w in result.warnings)


def test_page_gpu_count_of_minus_five_or_a_huge_tab_never_passes():
    html = b"""<html><body><h2>GPU Cloud</h2><table><tbody>
        <tr><th>-5x NVIDIA H100 SXM</th><td data-label="PRICE/HR">$20.72 / hr</td></tr>
        <tr><th>99999999999x NVIDIA H100 SXM</th><td data-label="PRICE/HR">$20.72 / hr</td></tr>
        <tr><th>8x NVIDIA H100 SXM</th><td data-label="PRICE/HR">$20.72 / hr</td></tr>
        </tbody></table></body></html>"""
    result = lambdalabs.parse(html, ext="html")
    assert [(o.gpu_count, o.usd_per_gpu_hour) for o in result.gpu_offers] == [(8, 2.59)]
    assert sum("no usable GPU count" in w for w in result.warnings) == 2


def test_api_missing_price_is_a_parse_error_naming_it():
    doc = json.loads(gpu_fixture(API))
    del doc["data"]["gpu_1x_a6000"]["instance_type"]["price_cents_per_hour"]
    with pytest.raises(ParseError) as err:
        lambdalabs.parse(json.dumps(doc).encode(), ext="json")
    assert err.value.field == "data.gpu_1x_a6000.instance_type.price_cents_per_hour"


def test_api_error_answer_is_a_parse_error():
    body = b'{"error": {"code": "global/invalid-api-key", "message": "API key was invalid"}}'
    with pytest.raises(ParseError, match="invalid"):
        lambdalabs.parse(body, ext="json")


def test_api_html_page_is_a_parse_error():
    with pytest.raises(ParseError) as err:
        lambdalabs.parse(b"<!doctype html><html><body>Sign in</body></html>", ext="json")
    assert err.value.field == "data"


def test_an_unexpected_extension_is_a_parse_error():
    with pytest.raises(ParseError) as err:
        lambdalabs.parse(b"a,b", ext="csv")
    assert err.value.field == "ext"


# --- fetch ----------------------------------------------------------------------------------------

@respx.mock
def test_without_a_key_the_public_page_is_fetched(client, settings):
    route = respx.get(lambdalabs.PAGE_URL).mock(return_value=httpx.Response(200, content=snapshot(SEP)))
    [item] = lambdalabs.fetch(client, settings)
    assert isinstance(item, RawPayload) and item.ext == "html"
    assert "authorization" not in route.calls.last.request.headers


@respx.mock
def test_with_a_key_the_api_is_called_with_bearer_auth(client, settings):
    route = respx.get(lambdalabs.API_URL).mock(return_value=httpx.Response(200, content=gpu_fixture(API)))
    [item] = payloads(lambdalabs.fetch(client, replace(settings, lambda_api_key="secret-key")))
    assert item.ext == "json" and route.calls.last.request.headers["authorization"] == "Bearer secret-key"
    assert "secret-key" not in item.url


@respx.mock
def test_a_timeout_is_a_fetch_failure(client, settings):
    respx.get(lambdalabs.PAGE_URL).mock(side_effect=httpx.ReadTimeout("slow"))
    [item] = lambdalabs.fetch(client, settings)
    assert isinstance(item, FetchFailure) and "lambda" in item.error and lambdalabs.PAGE_URL in item.error


@respx.mock
def test_429_then_success_honours_retry_after(client, settings, sleeps):
    respx.get(lambdalabs.PAGE_URL).mock(side_effect=[
        httpx.Response(429, headers={"Retry-After": "3"}), httpx.Response(200, content=snapshot(SEP))])
    [item] = payloads(lambdalabs.fetch(client, settings))
    assert item.status == 200 and sleeps.calls == [3.0]


@respx.mock
def test_a_500_is_recorded_as_an_http_error(client, settings):
    respx.get(lambdalabs.PAGE_URL).mock(return_value=httpx.Response(503, text="maintenance"))
    ingest(settings, lambdalabs.SOURCE, lambdalabs.fetch(client, settings), SEP_AT)
    assert query(settings, "SELECT outcome, status FROM fetch_log") == [("http_error", 503)]


@respx.mock
def test_a_captcha_page_served_with_200_is_a_parse_error(client, settings):
    respx.get(lambdalabs.PAGE_URL).mock(return_value=httpx.Response(
        200, text="<!DOCTYPE html><html><body><h1>Verify you are human</h1></body></html>"))
    ingest(settings, lambdalabs.SOURCE, lambdalabs.fetch(client, settings), SEP_AT)
    [(outcome, error)] = query(settings, "SELECT outcome, error FROM fetch_log")
    assert outcome == "parse_error" and "'table tbody tr'" in error


# --- end to end -----------------------------------------------------------------------------------

def test_two_pages_make_a_price_history_and_a_repeat_adds_nothing(settings):
    feb = payload("lambda", snapshot(FEB), ext="html", at=FEB_AT, url=lambdalabs.PAGE_URL)
    sep = payload("lambda", snapshot(SEP), ext="html", at=SEP_AT, url=lambdalabs.PAGE_URL)
    added = [ingest(settings, lambdalabs.SOURCE, [feb], FEB_AT).added,
             ingest(settings, lambdalabs.SOURCE, [sep], SEP_AT).added,
             ingest(settings, lambdalabs.SOURCE, [sep], SEP_AT).added]
    assert added == [22, 16, 0]
    assert query(settings, "SELECT observed_at, usd_per_gpu_hour, usd_per_instance_hour FROM gpu_price_history "
                           "WHERE offering_key = '8x H100 SXM 80GB|on_demand' ORDER BY 1") == [
        (FEB_AT, 2.99, 23.92), (SEP_AT, 3.99, 31.92)]


def test_the_bundled_snapshots_replay_as_a_price_history(settings):
    from core.paths import BUNDLED_SNAPSHOTS
    from warehouse.replay import replay

    summary = replay(settings, BUNDLED_SNAPSHOTS, sources=["lambda"])["lambda"]
    assert (summary.added, summary.errors) == (22 + 16, [])
    assert query(settings, "SELECT DISTINCT observed_at FROM gpu_price_history ORDER BY 1") == [(FEB_AT,), (SEP_AT,)]
