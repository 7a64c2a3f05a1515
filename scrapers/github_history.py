"""The versions of a file in a public GitHub repository: the commits that touched it, through the
GitHub REST API (``GET /repos/{owner}/{repo}/commits?path=...&since=...``), newest first.

* Pagination follows the ``link`` header's ``rel="next"`` URL (GitHub docs, "Using pagination in
  the REST API"), 100 commits a page.
* Rate limits (GitHub docs, "Rate limits for the REST API"): 60 requests an hour without a token,
  5,000 with ``GITHUB_TOKEN``. Over the primary limit GitHub answers 403 or 429 with
  ``x-ratelimit-remaining: 0``; the request may be retried after ``x-ratelimit-reset`` (UTC epoch
  seconds). Over a secondary limit it answers 403/429 with ``retry-after`` seconds. A wait up to
  ``max_wait_s`` is slept through; a longer one raises ``RateLimited`` saying when to come back.
* A file version is then read at its commit from ``raw.githubusercontent.com`` (no API quota).

No warehouse here: the caller (``warehouse/backfill.py``) loads each version.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx

from scrapers.errors import FetchError, ParseError
from scrapers.http import HttpClient

API = "https://api.github.com"
SOURCE = "github"
PER_PAGE = 100
API_VERSION = "2022-11-28"
# Rate-limit answers (403/429) are waited out here, per GitHub's headers, never blindly retried.
_RETRY_SERVER_ERRORS = frozenset({500, 502, 503, 504})
_NEXT = re.compile(r'<(?P<url>[^>]+)>\s*;\s*rel="next"', re.I)


@dataclass(frozen=True, order=True)
class Commit:
    committed_at: datetime  # committer date, UTC (naive): when the version landed on the branch
    sha: str


class RateLimited(FetchError):
    """The GitHub API quota is spent and resets later than we are willing to wait."""

    def __init__(self, url: str, reset_at: datetime | None, limit: str | None):
        when = f"at {reset_at:%Y-%m-%d %H:%M} UTC" if reset_at else "later"
        hint = " (60 requests an hour without a token: set GITHUB_TOKEN for 5,000)" if limit == "60" else ""
        self.reset_at = reset_at
        super().__init__(SOURCE, url, f"GitHub API rate limit exhausted{hint}; it resets {when}. Run the same "
                                      "command again then: it resumes where it stopped")


def commits_url(repo: str, path: str, *, since: datetime, until: datetime | None = None) -> str:
    query = {"path": path, "since": f"{since:%Y-%m-%dT%H:%M:%SZ}", "per_page": PER_PAGE}
    if until is not None:
        query["until"] = f"{until:%Y-%m-%dT%H:%M:%SZ}"
    return f"{API}/repos/{repo}/commits?{urlencode(query)}"


def next_page(link_header: str | None) -> str | None:
    """The ``rel="next"`` URL of a ``link`` header, or None on the last page."""
    match = _NEXT.search(link_header or "")
    return match["url"] if match else None


def _timestamp(text: Any, field: str) -> datetime:
    if not isinstance(text, str):
        raise ParseError(SOURCE, field, "missing or not text", "<commits page>")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ParseError(SOURCE, field, f"not an ISO 8601 time: {text[:40]!r}", "<commits page>") from None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def parse_commits(body: bytes) -> list[Commit]:
    """One page of ``GET /repos/{owner}/{repo}/commits`` as (commit time, sha)."""
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise ParseError(SOURCE, "commits", f"not JSON: {exc}", "<commits page>") from None
    if not isinstance(doc, list):
        message = doc.get("message") if isinstance(doc, dict) else None
        raise ParseError(SOURCE, "commits", f"expected a list of commits{f': {message}' if message else ''}",
                         "<commits page>")
    commits = []
    for i, item in enumerate(doc):
        sha = item.get("sha") if isinstance(item, dict) else None
        if not isinstance(sha, str) or not re.fullmatch(r"[0-9a-f]{40}", sha):
            raise ParseError(SOURCE, f"[{i}].sha", "missing or not a 40-hex commit id", "<commits page>")
        info = item.get("commit") if isinstance(item.get("commit"), dict) else {}
        who = info.get("committer") or info.get("author")
        date = who.get("date") if isinstance(who, dict) else None
        commits.append(Commit(_timestamp(date, f"[{i}].commit.committer.date"), sha))
    return commits


def _reset_time(headers: httpx.Headers) -> datetime | None:
    reset = headers.get("x-ratelimit-reset")
    try:
        return datetime.fromtimestamp(int(reset), UTC).replace(tzinfo=None) if reset else None
    except (ValueError, OverflowError, OSError):
        return None


def rate_limit_wait(response: httpx.Response, now: datetime) -> float | None:
    """Seconds to wait before retrying a rate-limited answer, or None when it is not one."""
    if response.status_code not in (403, 429):
        return None
    headers = response.headers
    if retry_after := headers.get("retry-after"):  # secondary rate limit
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            return 60.0
    if headers.get("x-ratelimit-remaining") == "0":  # primary rate limit
        reset = _reset_time(headers)
        return max(0.0, (reset - now).total_seconds()) + 1 if reset else 60.0
    return None  # an ordinary 403 (forbidden), not a limit


def headers(token: str | None) -> dict[str, str]:
    out = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}
    if token:
        out["Authorization"] = f"Bearer {token}"
    return out


def _get(client: HttpClient, url: str, token: str | None, *, max_wait_s: float, sleep: Callable[[float], None],
         now: Callable[[], datetime]) -> httpx.Response:
    """One API request, waiting out a rate limit when it resets within ``max_wait_s``."""
    for _ in range(3):
        response = client.request(SOURCE, "GET", url, headers=headers(token), retry_on=_RETRY_SERVER_ERRORS)
        wait = rate_limit_wait(response, now())
        if wait is None:
            return response
        if wait > max_wait_s:
            raise RateLimited(url, _reset_time(response.headers), response.headers.get("x-ratelimit-limit"))
        sleep(wait)
    raise RateLimited(url, _reset_time(response.headers), response.headers.get("x-ratelimit-limit"))


def list_commits(client: HttpClient, repo: str, path: str, *, since: datetime, until: datetime | None = None,
                 token: str | None = None, max_wait_s: float = 300.0, sleep: Callable[[float], None] | None = None,
                 now: Callable[[], datetime] | None = None) -> Iterator[Commit]:
    """Every commit touching ``path`` since ``since`` (newest first, page by page). Raises
    ``FetchError`` for an unusable answer (a 404 names the repository and path) and
    ``RateLimited`` when the quota is spent for longer than ``max_wait_s``."""
    import time

    sleep = sleep or time.sleep
    now = now or (lambda: datetime.now(UTC).replace(tzinfo=None))
    url: str | None = commits_url(repo, path, since=since, until=until)
    while url:
        response = _get(client, url, token, max_wait_s=max_wait_s, sleep=sleep, now=now)
        if response.status_code == 404:
            raise FetchError(SOURCE, url, f"no repository {repo!r} (or no access to it)")
        if response.status_code >= 400:
            raise FetchError(SOURCE, url, f"HTTP {response.status_code}: {response.text[:200]}")
        yield from parse_commits(response.content)
        url = next_page(response.headers.get("link"))
