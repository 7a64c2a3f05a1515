"""The shared HTTP client: retries with backoff, Retry-After, User-Agent, per-source spacing."""
from __future__ import annotations

import httpx
import pytest
import respx

from scrapers.errors import FetchError
from scrapers.http import USER_AGENT, HttpClient

URL = "https://prices.example.com/api"


@pytest.fixture
def fake_clock(monkeypatch):
    """time.monotonic as seen by scrapers.http, moved by hand."""
    now = {"t": 1000.0}
    monkeypatch.setattr("scrapers.http.time.monotonic", lambda: now["t"])
    return now


@respx.mock
def test_requests_carry_the_descriptive_user_agent(client):
    route = respx.get(URL).mock(return_value=httpx.Response(200))
    client.request("src", "GET", URL)
    assert route.calls.last.request.headers["user-agent"] == USER_AGENT
    assert USER_AGENT.startswith("pricewatch/")


@respx.mock
def test_5xx_is_retried_with_exponential_backoff_and_the_last_answer_returned(client, sleeps):
    route = respx.get(URL).mock(return_value=httpx.Response(502))
    response = client.request("src", "GET", URL)
    assert response.status_code == 502 and route.call_count == 3 and sleeps.calls == [1.0, 2.0]


@respx.mock
def test_a_retry_that_succeeds_returns_the_success(client, sleeps):
    respx.get(URL).mock(side_effect=[httpx.Response(503), httpx.Response(200, text="ok")])
    assert client.request("src", "GET", URL).text == "ok" and sleeps.calls == [1.0]


@respx.mock
def test_retry_after_is_honoured_up_to_a_cap(sleeps):
    respx.get(URL).mock(side_effect=[httpx.Response(429, headers={"Retry-After": "5"}),
                                     httpx.Response(429, headers={"Retry-After": "3600"}),
                                     httpx.Response(200)])
    with HttpClient(retries=2, sleep=sleeps, max_retry_after_s=60) as http:
        assert http.request("src", "GET", URL).status_code == 200
    assert sleeps.calls == [5.0, 60.0]


@respx.mock
def test_a_non_numeric_retry_after_falls_back_to_backoff(client, sleeps):
    respx.get(URL).mock(side_effect=[httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}),
                                     httpx.Response(200)])
    client.request("src", "GET", URL)
    assert sleeps.calls == [1.0]


@respx.mock
def test_client_errors_are_not_retried(client, sleeps):
    route = respx.get(URL).mock(return_value=httpx.Response(404))
    assert client.request("src", "GET", URL).status_code == 404
    assert route.call_count == 1 and sleeps.calls == []


@respx.mock
def test_connection_errors_are_retried_then_raise_a_fetch_error_naming_source_and_url(client, sleeps):
    route = respx.get(URL).mock(side_effect=httpx.ConnectError("connection refused"))
    with pytest.raises(FetchError) as err:
        client.request("vastai", "GET", URL)
    assert route.call_count == 3 and sleeps.calls == [1.0, 2.0]
    assert (err.value.source, err.value.url) == ("vastai", URL)
    assert str(err.value).startswith(f"vastai: could not fetch {URL}: connection failed")
    assert "after 3 attempts" in str(err.value)


@respx.mock
def test_a_timeout_says_so(client):
    respx.get(URL).mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(FetchError, match="timed out"):
        client.request("runpod", "GET", URL)


@respx.mock
def test_fetch_wraps_any_status_as_a_raw_payload(client):
    respx.get(URL).mock(return_value=httpx.Response(404, text="nope", headers={"content-type": "text/plain"}))
    item = client.fetch("src", "GET", URL, ext="json")
    assert (item.source, item.url, item.status, item.body, item.ext, item.content_type) == (
        "src", URL, 404, b"nope", "json", "text/plain")


@respx.mock
def test_requests_to_one_source_are_spaced_by_its_minimum_interval(sleeps, fake_clock):
    respx.get(URL).mock(return_value=httpx.Response(200))
    with HttpClient(sleep=sleeps, min_interval_s={"vastai": 6.0}) as http:
        http.request("vastai", "GET", URL)
        fake_clock["t"] += 2.5
        http.request("vastai", "GET", URL)
        fake_clock["t"] += 10.0
        http.request("vastai", "GET", URL)
    assert sleeps.calls == [3.5]  # only the request 2.5 s after the first waited


@respx.mock
def test_sources_without_an_interval_and_other_sources_do_not_wait(sleeps, fake_clock):
    respx.get(URL).mock(return_value=httpx.Response(200))
    with HttpClient(sleep=sleeps, min_interval_s={"vastai": 6.0}) as http:
        http.request("vastai", "GET", URL)
        http.request("runpod", "GET", URL)
        http.request("runpod", "GET", URL)
    assert sleeps.calls == []


@respx.mock
def test_retries_respect_the_minimum_interval_too(sleeps, fake_clock):
    respx.get(URL).mock(side_effect=[httpx.Response(500), httpx.Response(200)])
    with HttpClient(retries=1, backoff_s=1.0, sleep=sleeps, min_interval_s={"vastai": 6.0}) as http:
        http.request("vastai", "GET", URL)
    assert sleeps.calls == [1.0, 6.0]  # the backoff, then the rest of the 6 s slot (clock frozen)


def test_try_fetch_returns_a_failure_naming_source_and_url_instead_of_raising(client):
    import httpx
    import respx

    from scrapers.records import FetchFailure

    with respx.mock() as mock:
        mock.get("https://example.invalid/prices").mock(side_effect=httpx.ConnectError("refused"))
        result = client.try_fetch("toy", "GET", "https://example.invalid/prices", ext="json")
    assert isinstance(result, FetchFailure)
    assert result.source == "toy" and result.url == "https://example.invalid/prices"
    assert "toy" in result.error and "https://example.invalid/prices" in result.error


@pytest.mark.parametrize("header", ["-5", "nan", "inf", "1e9"])
def test_an_unusable_or_huge_retry_after_never_means_a_negative_or_endless_sleep(header):
    http = HttpClient(backoff_s=1.0, max_retry_after_s=60.0, sleep=lambda s: None)
    delay = http._delay(0, httpx.Response(429, headers={"Retry-After": header}))
    assert 0 <= delay <= 60.0


def test_backoff_is_capped_however_many_retries_are_configured():
    http = HttpClient(backoff_s=1.0, max_retry_after_s=60.0, sleep=lambda s: None)
    assert http._delay(30, None) == 60.0
