"""The shared HTTP client's per-source time budget: no request, retry wait or read passes it."""
from __future__ import annotations

import httpx
import pytest
import respx

from scrapers.http import BudgetExhausted, HttpClient

URL = "https://prices.example.com/api"


@pytest.fixture
def clock(monkeypatch):
    """time.monotonic as seen by scrapers.http, moved by hand."""
    now = {"t": 1000.0}
    monkeypatch.setattr("scrapers.http.time.monotonic", lambda: now["t"])
    return now


@respx.mock
def test_a_source_past_its_deadline_makes_no_request_and_names_the_budget(sleeps, clock):
    route = respx.get(URL).mock(return_value=httpx.Response(200))
    with HttpClient(sleep=sleeps) as http:
        http.set_deadline("runpod", clock["t"] - 1, "source time budget of 300 s")
        with pytest.raises(BudgetExhausted, match="runpod: could not fetch .*source time budget of 300 s ran out"):
            http.request("runpod", "GET", URL)
        assert http.exhausted == {"runpod"}
    assert route.call_count == 0


@respx.mock
def test_other_sources_are_not_limited_by_one_sources_deadline(sleeps, clock):
    respx.get(URL).mock(return_value=httpx.Response(200))
    with HttpClient(sleep=sleeps) as http:
        http.set_deadline("runpod", clock["t"] - 1)
        assert http.request("vastai", "GET", URL).status_code == 200


@respx.mock
def test_a_retry_wait_that_would_pass_the_deadline_gives_up_instead_of_sleeping(sleeps, clock):
    route = respx.get(URL).mock(return_value=httpx.Response(503))
    with HttpClient(retries=3, backoff_s=4.0, sleep=sleeps) as http:
        http.set_deadline("lambda", clock["t"] + 3.0, "source time budget of 3 s")
        with pytest.raises(BudgetExhausted, match="would run out during a 4 s wait"):
            http.request("lambda", "GET", URL)
    assert route.call_count == 1 and sleeps.calls == []


@respx.mock
def test_each_request_may_take_at_most_the_time_left(sleeps, clock):
    route = respx.get(URL).mock(return_value=httpx.Response(200))
    with HttpClient(timeout_s=20.0, sleep=sleeps) as http:
        http.set_deadline("openrouter", clock["t"] + 7.5)
        http.request("openrouter", "GET", URL)
    assert route.calls.last.request.extensions["timeout"]["read"] == 7.5


@respx.mock
def test_a_timeout_that_used_up_the_budget_is_reported_as_the_budget(sleeps, clock):
    def slow(request):
        clock["t"] += 10.0
        raise httpx.ReadTimeout("slow", request=request)

    respx.get(URL).mock(side_effect=slow)
    with HttpClient(retries=0, sleep=sleeps) as http:
        http.set_deadline("together_pricing", clock["t"] + 10.0, "run time budget of 10 s")
        with pytest.raises(BudgetExhausted, match="run time budget of 10 s ran out"):
            http.request("together_pricing", "GET", URL)


@respx.mock
def test_removing_the_deadline_lifts_the_limit(sleeps, clock):
    respx.get(URL).mock(return_value=httpx.Response(200))
    with HttpClient(sleep=sleeps) as http:
        http.set_deadline("runpod", clock["t"] - 1)
        http.set_deadline("runpod", None)
        assert http.request("runpod", "GET", URL).status_code == 200
