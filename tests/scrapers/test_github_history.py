"""Versions of a file through the GitHub REST API: commits listing, link pagination, rate limits.

Pages are built from GitHub's documented "List commits" example item
(tests/fixtures/gpu/github_list_commits_example.json); headers follow GitHub's pagination and
rate-limit docs (provenance in tests/fixtures/gpu/SOURCES.md)."""
from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta

import httpx
import pytest
import respx

from scrapers import github_history as gh
from scrapers.errors import FetchError, ParseError
from tests.scrapers.conftest import gpu_fixture

REPO, PATH = "skypilot-org/skypilot-catalog", "catalogs/v8/shadeform/vms.csv"
SINCE = datetime(2026, 8, 1)
NOW = datetime(2026, 10, 1, 12, 0, 0)
EXAMPLE = json.loads(gpu_fixture("github_list_commits_example.json"))[0]


def item(sha: str, date: str) -> dict:
    out = copy.deepcopy(EXAMPLE)
    out["sha"] = sha
    out["commit"]["committer"]["date"] = out["commit"]["author"]["date"] = date
    return out


def page(*items: dict) -> bytes:
    return json.dumps(list(items)).encode()


def test_the_documented_example_parses_to_its_commit_time_and_sha():
    assert gh.parse_commits(gpu_fixture("github_list_commits_example.json")) == [
        gh.Commit(datetime(2011, 4, 14, 16, 0, 49), "6dcb09b5b57875f334f61aebed695e2e4193db5e")]


def test_the_listing_url_asks_for_one_path_since_a_time_100_a_page():
    url = httpx.URL(gh.commits_url(REPO, PATH, since=SINCE, until=datetime(2026, 9, 1)))
    assert url.path == "/repos/skypilot-org/skypilot-catalog/commits"
    assert dict(url.params) == {"path": PATH, "since": "2026-08-01T00:00:00Z", "until": "2026-09-01T00:00:00Z",
                                "per_page": "100"}


def test_the_next_page_comes_from_the_link_header():
    # the docs' example header
    link = ('<https://api.github.com/repositories/1300192/issues?page=2>; rel="prev", '
            '<https://api.github.com/repositories/1300192/issues?page=4>; rel="next", '
            '<https://api.github.com/repositories/1300192/issues?page=515>; rel="last", '
            '<https://api.github.com/repositories/1300192/issues?page=1>; rel="first"')
    assert gh.next_page(link) == "https://api.github.com/repositories/1300192/issues?page=4"
    assert gh.next_page('<https://api.github.com/x?page=1>; rel="first"') is None
    assert gh.next_page(None) is None


@pytest.mark.parametrize(("body", "field"), [
    (b'{"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}', "commits"),
    (b"[{\"sha\": \"xyz\"}]", "[0].sha"),
    (page(item("a" * 40, "yesterday")), "[0].commit.committer.date"),
    (b"<html>", "commits"),
])
def test_an_unusable_page_is_a_parse_error_naming_the_field(body, field):
    with pytest.raises(ParseError) as err:
        gh.parse_commits(body)
    assert err.value.field == field


@respx.mock
def test_every_page_is_followed_and_a_token_is_sent_as_bearer(client):
    first_url = gh.commits_url(REPO, PATH, since=SINCE)
    second_url = "https://api.github.com/repositories/123/commits?path=x&page=2"
    route = respx.get(url__startswith="https://api.github.com/").mock(side_effect=lambda request: (
        httpx.Response(200, content=page(item("b" * 40, "2026-09-02T07:15:00Z")),
                       headers={"link": f'<{second_url}>; rel="next"'})
        if "page=2" not in str(request.url) else
        httpx.Response(200, content=page(item("a" * 40, "2026-08-20T00:15:00Z")))))
    commits = list(gh.list_commits(client, REPO, PATH, since=SINCE, token="ghp_TEST"))
    assert [c.sha[0] for c in commits] == ["b", "a"]
    assert [str(call.request.url) for call in route.calls] == [first_url, second_url]
    assert all(call.request.headers["authorization"] == "Bearer ghp_TEST" for call in route.calls)
    assert route.calls[0].request.headers["x-github-api-version"] == "2022-11-28"


@respx.mock
def test_without_a_token_no_authorization_is_sent(client):
    route = respx.get(url__startswith="https://api.github.com/").mock(return_value=httpx.Response(200, content=b"[]"))
    assert list(gh.list_commits(client, REPO, PATH, since=SINCE)) == []
    assert "authorization" not in route.calls[0].request.headers


def _limited(reset: datetime, status: int = 403) -> httpx.Response:
    return httpx.Response(status, json={"message": "API rate limit exceeded for 203.0.113.5."},
                          headers={"x-ratelimit-limit": "60", "x-ratelimit-remaining": "0", "x-ratelimit-used": "60",
                                   "x-ratelimit-reset": str(int((reset - datetime(1970, 1, 1)).total_seconds()))})


@respx.mock
@pytest.mark.parametrize("status", [403, 429])
def test_a_primary_rate_limit_resetting_soon_is_waited_for(client, status):
    answers = iter([_limited(NOW + timedelta(seconds=90), status),
                    httpx.Response(200, content=page(item("c" * 40, "2026-09-02T07:15:00Z")))])
    respx.get(url__startswith="https://api.github.com/").mock(side_effect=lambda request: next(answers))
    waits: list[float] = []
    commits = list(gh.list_commits(client, REPO, PATH, since=SINCE, sleep=waits.append, now=lambda: NOW))
    assert len(commits) == 1 and waits == [91.0]  # until x-ratelimit-reset, plus a second


@respx.mock
def test_a_primary_rate_limit_resetting_later_stops_with_when_and_what_to_do(client):
    respx.get(url__startswith="https://api.github.com/").mock(return_value=_limited(NOW + timedelta(minutes=47)))
    with pytest.raises(gh.RateLimited) as err:
        list(gh.list_commits(client, REPO, PATH, since=SINCE, max_wait_s=300, sleep=lambda s: None, now=lambda: NOW))
    assert "2026-10-01 12:47 UTC" in str(err.value) and "GITHUB_TOKEN" in str(err.value)
    assert "resumes" in str(err.value)


@respx.mock
def test_a_secondary_rate_limit_waits_its_retry_after(client):
    answers = iter([httpx.Response(403, json={"message": "You have exceeded a secondary rate limit."},
                                   headers={"retry-after": "30"}),
                    httpx.Response(200, content=b"[]")])
    respx.get(url__startswith="https://api.github.com/").mock(side_effect=lambda request: next(answers))
    waits: list[float] = []
    assert list(gh.list_commits(client, REPO, PATH, since=SINCE, sleep=waits.append, now=lambda: NOW)) == []
    assert waits == [30.0]


@respx.mock
def test_a_plain_403_is_not_mistaken_for_a_rate_limit(client):
    respx.get(url__startswith="https://api.github.com/").mock(
        return_value=httpx.Response(403, json={"message": "Resource not accessible"}))
    with pytest.raises(FetchError) as err:
        list(gh.list_commits(client, REPO, PATH, since=SINCE, sleep=lambda s: None, now=lambda: NOW))
    assert not isinstance(err.value, gh.RateLimited) and "403" in err.value.reason


@respx.mock
def test_a_missing_repository_is_a_404_naming_it(client):
    respx.get(url__startswith="https://api.github.com/").mock(
        return_value=httpx.Response(404, json={"message": "Not Found"}))
    with pytest.raises(FetchError) as err:
        list(gh.list_commits(client, "skypilot-org/no-such-repo", PATH, since=SINCE))
    assert "skypilot-org/no-such-repo" in err.value.reason
