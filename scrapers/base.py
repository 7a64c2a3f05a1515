"""The collector contract every source module implements (in the manner of gpuhunt's providers).

A source module exposes ``SOURCE = Source(...)`` with:

* ``fetch(client, settings) -> list[RawPayload | FetchFailure]``: network I/O only, no parsing;
* ``parse(body, *, ext, origin[, url]) -> ParseResult``: a pure function of the bytes (and, with
  ``parse_takes_url``, of the URL they came from). It raises
  ``ParseError`` naming source, field and ``origin`` (the archived file) when the payload is
  not what it should be (an HTML error page served with 200, a missing table, a renamed field).

``Source.parse`` is that function behind one guard (``GuardedParse``), whoever calls it: a body
over ``Source.max_bytes`` or HTML nested out of bounds is refused before decoding, the parse is
stopped after ``Source.time_limit_s``, any other exception becomes a ``ParseError`` naming the
source and the exception, and every record is vetted at the numeric boundary
(``scrapers.values.vet_result``: non-finite, implausible or wrongly typed rows are dropped with a
warning). The module's own function stays available as ``Source.raw_parse``.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from scrapers.errors import ParseError
from scrapers.limits import ParseTimeout, call_with_deadline, check_html_depth, check_json_depth
from scrapers.records import FetchFailure, ParseResult, RawPayload
from scrapers.values import vet_result

if TYPE_CHECKING:  # pragma: no cover
    from core.settings import Settings
    from scrapers.http import HttpClient

FetchFn = Callable[["HttpClient", "Settings"], list[RawPayload | FetchFailure]]
ParseFn = Callable[..., ParseResult]

# A payload over this size is refused unparsed (the largest real one, LiteLLM's full price map,
# is a few MB; a Vast.ai page of 1000 offers about 3 MB).
MAX_PAYLOAD_BYTES = 32 * 1024 * 1024
# A parse running longer than this is stopped (real payloads parse in well under a second).
PARSE_TIME_LIMIT_S = 20.0


@dataclass(frozen=True)
class GuardedParse:
    """A source's parse function behind the limits every parse shares (see the module doc).

    Only ``ParseError`` leaves it, always naming the source and ``origin``."""

    source: str
    fn: ParseFn
    max_bytes: int = MAX_PAYLOAD_BYTES
    time_limit_s: float = PARSE_TIME_LIMIT_S

    def __call__(self, body: bytes, *, ext: str, origin: str = "<payload>", **kwargs: Any) -> ParseResult:
        if not isinstance(body, bytes | bytearray | memoryview):
            raise ParseError(self.source, "body", f"expected bytes, got {type(body).__name__}", origin)
        body = bytes(body)
        if len(body) > self.max_bytes:
            raise ParseError(self.source, "body", f"{len(body):,} bytes is over the {self.max_bytes:,}-byte "
                             "limit for this source; not parsed", origin)
        try:
            result = call_with_deadline(lambda: self._parse(body, ext, origin, kwargs), self.time_limit_s)
        except ParseError:
            raise
        except ParseTimeout:
            raise ParseError(self.source, "body", f"parsing took over {self.time_limit_s:g} s and was "
                             "stopped", origin) from None
        except Exception as exc:  # a parser bug must surface as a ParseError naming it
            raise ParseError(self.source, "body", f"unexpected {type(exc).__name__} while parsing: "
                             f"{str(exc)[:200]} (a parser bug: please report it with this file)", origin) from exc
        if not isinstance(result, ParseResult):
            raise ParseError(self.source, "body", f"the parser returned {type(result).__name__}, "
                             "not a ParseResult", origin)
        return vet_result(self.source, result, origin)

    def _parse(self, body: bytes, ext: str, origin: str, kwargs: dict[str, Any]) -> ParseResult:
        if ext == "html":
            check_html_depth(body, source=self.source, origin=origin)
        return self.fn(body, ext=ext, origin=origin, **kwargs)


@dataclass(frozen=True)
class Source:
    name: str
    kind: Literal["gpu", "token"]
    description: str
    fetch: FetchFn
    parse: ParseFn  # given the module's function; read back, it is that function guarded
    # Seconds between two requests to this source (politeness / documented rate limits).
    min_interval_s: float = 0.0
    # False for sources read from the repository (the curated price sheet): they are always
    # "reachable", so they do not count when deciding whether the network is down.
    network: bool = True
    max_bytes: int = MAX_PAYLOAD_BYTES
    time_limit_s: float = PARSE_TIME_LIMIT_S

    # True when ``parse`` also takes ``url=`` (the payload's URL or replay name), for payloads
    # that do not say what they are (a catalogue CSV of which cloud, a RunPod v2 answer for
    # which cloud tier). Ingest passes it; the parse must still work without it.
    parse_takes_url: bool = False

    def __post_init__(self) -> None:
        raw = self.parse.fn if isinstance(self.parse, GuardedParse) else self.parse
        object.__setattr__(self, "parse", GuardedParse(self.name, raw, self.max_bytes, self.time_limit_s))

    @property
    def raw_parse(self) -> ParseFn:
        """The module's own parse function, without the guard (for tests of the parser itself)."""
        parse = self.parse
        return parse.fn if isinstance(parse, GuardedParse) else parse


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
    page served where JSON was expected (error page, captcha), JSON nested deeper than
    ``scrapers.limits.MAX_JSON_DEPTH`` (checked before decoding) and malformed JSON alike.
    ``NaN``/``Infinity`` literals decode to floats: the numeric boundary (``scrapers.values``)
    rejects them where a number is read."""
    if not isinstance(body, bytes | bytearray):
        raise ParseError(source, field, f"expected bytes, got {type(body).__name__}", origin)
    if looks_like_html_error(body):
        raise ParseError(source, field, "got an HTML page where JSON was expected", origin)
    check_json_depth(body, source=source, field=field, origin=origin)
    try:
        return json.loads(body, **json_kwargs)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise ParseError(source, field, f"not JSON: {str(exc)[:200]}", origin) from None
