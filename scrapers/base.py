"""The collector contract every source module implements (in the manner of gpuhunt's providers).

A source module exposes ``SOURCE = Source(...)`` with:

* ``fetch(client, settings) -> list[RawPayload | FetchFailure]``: network I/O only, no parsing;
* ``parse(body, *, ext, origin[, url]) -> ParseResult``: a pure function of the bytes (and, with
  ``parse_takes_url``, of the URL they came from). It raises
  ``ParseError`` naming source, field and ``origin`` (the archived file) when the payload is
  not what it should be (an HTML error page served with 200, a missing table, a renamed field).
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from scrapers.errors import ParseError
from scrapers.records import FetchFailure, ParseResult, RawPayload

if TYPE_CHECKING:  # pragma: no cover
    from core.settings import Settings
    from scrapers.http import HttpClient

FetchFn = Callable[["HttpClient", "Settings"], list[RawPayload | FetchFailure]]
ParseFn = Callable[..., ParseResult]


@dataclass(frozen=True)
class Source:
    name: str
    kind: Literal["gpu", "token"]
    description: str
    fetch: FetchFn
    parse: ParseFn
    # Seconds between two requests to this source (politeness / documented rate limits).
    min_interval_s: float = 0.0
    # False for sources read from the repository (the curated price sheet): they are always
    # "reachable", so they do not count when deciding whether the network is down.
    network: bool = True
    # True when ``parse`` also takes ``url=`` (the payload's URL or replay name), for payloads
    # that do not say what they are (a catalogue CSV of which cloud, a RunPod v2 answer for
    # which cloud tier). Ingest passes it; the parse must still work without it.
    parse_takes_url: bool = False


_UTF8_BOM = b"\xef\xbb\xbf"
_HTML_MARKUP = re.compile(rb"<(?:!doctype\s+html|html|head|body)(?=[\s>/])", re.I)
HTML_SNIFF_BYTES = 1024


def looks_like_html_error(body: bytes) -> bool:
    """True for an HTML page where JSON or markdown was expected (captcha, 404 page, CDN error).

    The body must start with markup (after a UTF-8 BOM and whitespace: ``<``, which also covers an
    XML prolog or a leading comment) and have ``<!doctype html``, ``<html``, ``<head`` or ``<body``
    in its first KB. JSON (``{``/``[``) and markdown (``#``, text) that merely mention "<html"
    somewhere are not HTML pages."""
    head = body[:HTML_SNIFF_BYTES]
    if head.startswith(_UTF8_BOM):
        head = head[len(_UTF8_BOM):]
    head = head.lstrip()
    return head.startswith(b"<") and _HTML_MARKUP.search(head) is not None


def parse_json(source: str, body: bytes, *, field: str, origin: str, **json_kwargs: Any) -> Any:
    """Decode a JSON payload, or raise ParseError naming the field the parser wanted: an HTML
    page served where JSON was expected (error page, captcha) and malformed JSON alike."""
    if looks_like_html_error(body):
        raise ParseError(source, field, "got an HTML page where JSON was expected", origin)
    try:
        return json.loads(body, **json_kwargs)
    except ValueError as exc:
        raise ParseError(source, field, f"not JSON: {exc}", origin) from None
