"""One shared HTTP client for every collector.

Timeouts, retries with exponential backoff on 429/5xx and connection errors (honouring
``Retry-After`` up to a cap), a descriptive User-Agent, a per-source minimum interval
between requests and an optional per-source time budget (a deadline no request, retry or
wait may pass). Prefect-free; tested with respx.
"""
from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from core.clock import utcnow
from scrapers.errors import FetchError
from scrapers.records import FetchFailure, RawPayload

USER_AGENT = "pricewatch/0.1 (+fine-tuning price tracker; contact: see README)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class BudgetExhausted(FetchError):
    """The source's time budget ran out before this request could be made or finished."""


class HttpClient:
    """Thin policy layer over ``httpx.Client``.

    ``min_interval_s`` maps a source name to the minimum seconds between two of its requests
    (Vast.ai asks for about 10 requests a minute, so 6 s). ``sleep`` is injectable for tests.
    """

    def __init__(
        self,
        *,
        timeout_s: float = 20.0,
        retries: int = 3,
        backoff_s: float = 1.0,
        max_retry_after_s: float = 60.0,
        min_interval_s: dict[str, float] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ):
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout_s),
            headers={"User-Agent": USER_AGENT},
            follow_redirects=True,
            transport=transport,
        )
        self.retries = retries
        self.backoff_s = backoff_s
        self.max_retry_after_s = max_retry_after_s
        self.min_interval_s = dict(min_interval_s or {})
        self._sleep = sleep
        self._last_request: dict[str, float] = {}
        self._lock = threading.Lock()
        self.timeout_s = timeout_s
        self._deadlines: dict[str, tuple[float, str]] = {}
        self.exhausted: set[str] = set()  # sources whose budget ran out

    def set_deadline(self, source: str, deadline: float | None, budget: str = "time budget") -> None:
        """From now on no request of ``source`` starts, waits or reads past ``deadline`` (a
        ``time.monotonic()`` value; None removes it); ``budget`` names it in the error."""
        if deadline is None:
            self._deadlines.pop(source, None)
        else:
            self._deadlines[source] = (deadline, budget)

    def _remaining(self, source: str, url: str) -> float | None:
        """Seconds left in the source's budget (None: no budget); raises when none are left."""
        if source not in self._deadlines:
            return None
        deadline, budget = self._deadlines[source]
        left = deadline - time.monotonic()
        if left <= 0:
            self.exhausted.add(source)
            raise BudgetExhausted(source, url, f"{budget} ran out; the source was stopped")
        return left

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _wait_for_slot(self, source: str, url: str) -> None:
        """Reserve this source's next request slot under the lock, then sleep outside it, so
        one rate-limited source never holds up the others."""
        interval = self.min_interval_s.get(source, 0.0)
        if interval <= 0:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._last_request.get(source, now - interval) + interval)
            self._last_request[source] = slot
        if slot > now:
            self._sleep_within_budget(source, url, slot - now)

    def _sleep_within_budget(self, source: str, url: str, seconds: float) -> None:
        """Sleep, unless the wait would end past the source's deadline: then give up now."""
        left = self._remaining(source, url)
        if left is not None and seconds >= left:
            self.exhausted.add(source)
            deadline_budget = self._deadlines[source][1]
            raise BudgetExhausted(source, url, f"{deadline_budget} would run out during a {seconds:.0f} s wait; "
                                               "the source was stopped")
        self._sleep(seconds)

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        """Seconds before the next attempt: the server's Retry-After when it gives a usable
        number, else exponential backoff; always finite, >= 0 and at most max_retry_after_s."""
        delay = self.backoff_s * (2 ** min(attempt, 16))
        if response is not None and (retry_after := response.headers.get("Retry-After")):
            try:
                delay = float(retry_after)
            except ValueError:
                pass
        if not math.isfinite(delay) or delay < 0:
            delay = self.backoff_s
        return min(delay, self.max_retry_after_s)

    def request(self, source: str, method: str, url: str, *, retry_on: frozenset[int] | None = None,
                **kwargs: Any) -> httpx.Response:
        """Send with retries. Returns the last response (which may be an error status).

        ``retry_on`` replaces the statuses retried (default 429 and 5xx), for APIs whose rate-limit
        answers say when to come back (the caller waits those out itself).
        Raises ``FetchError`` when no response could be had at all.
        """
        statuses = RETRY_STATUSES if retry_on is None else retry_on
        last_error = ""
        for attempt in range(self.retries + 1):
            self._wait_for_slot(source, url)
            left = self._remaining(source, url)
            if left is not None:
                kwargs["timeout"] = httpx.Timeout(min(self.timeout_s, left))
            try:
                response = self._client.request(method, url, **kwargs)
            except httpx.TimeoutException as exc:
                last_error = f"timed out ({type(exc).__name__})"
                response = None
            except httpx.TransportError as exc:
                last_error = f"connection failed ({type(exc).__name__}: {exc})"
                response = None
            if response is not None and response.status_code not in statuses:
                return response
            if attempt == self.retries:
                if response is not None:
                    return response
                break
            self._sleep_within_budget(source, url, self._delay(attempt, response))
        self._remaining(source, url)  # a timeout caused by the budget is named as such
        raise FetchError(source, url, f"{last_error} after {self.retries + 1} attempts")

    def fetch(self, source: str, method: str, url: str, *, ext: str, **kwargs: Any) -> RawPayload:
        """Request and wrap the answer as a RawPayload, whatever its status."""
        fetched_at = utcnow()
        response = self.request(source, method, url, **kwargs)
        return RawPayload(
            source=source,
            url=str(response.request.url) if response.request else url,
            status=response.status_code,
            body=response.content,
            fetched_at=fetched_at,
            ext=ext,
            content_type=response.headers.get("content-type"),
        )

    def try_fetch(self, source: str, method: str, url: str, *, ext: str, **kwargs: Any) -> RawPayload | FetchFailure:
        """``fetch``, with "no response at all" returned as a FetchFailure instead of raised."""
        started = utcnow()
        try:
            return self.fetch(source, method, url, ext=ext, **kwargs)
        except FetchError as exc:
            return FetchFailure(source, url, str(exc), started)
