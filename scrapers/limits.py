"""Bounds checked BEFORE a payload is decoded, and the parse time limit.

A parser must return records or raise ``ParseError`` for any input, quickly. Decoders are C code
that a deadline cannot interrupt, so what makes them slow is refused first:

* ``check_json_depth``: JSON nested deeper than ``MAX_JSON_DEPTH`` (Python's decoder recurses and
  raises RecursionError around depth 1000; real payloads are under 10 deep);
* ``check_html_depth``: HTML whose element nesting (``MAX_HTML_DEPTH``, Blink's own parser limit)
  or tree-building work is out of bounds. lexbor (selectolax) scans the stack of open elements for
  most start tags, so 220k nested ``<div>`` (1.1 MB) took 67 s: the work is the sum of the depth
  at every start tag, bounded by ``MAX_HTML_WORK``;
* ``call_with_deadline``: runs a parse and interrupts it (between Python bytecodes, in any thread)
  once ``seconds`` have passed, raising ``ParseTimeout``.
"""
from __future__ import annotations

import ctypes
import re
import threading
from collections.abc import Callable
from itertools import accumulate
from typing import TypeVar

from scrapers.errors import ParseError

T = TypeVar("T")

MAX_JSON_DEPTH = 100
MAX_HTML_DEPTH = 512
MAX_HTML_WORK = 20_000_000  # sum over start tags of the nesting depth at that tag

# --- JSON --------------------------------------------------------------------------------------

_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_DELTA = [0] * 256
for _open in b"[{":
    _DELTA[_open] = 1
for _close in b"]}":
    _DELTA[_close] = -1


def json_depth(body: bytes) -> int:
    """Deepest nesting of arrays/objects in ``body`` (brackets inside strings do not count).
    Linear and cheap: strings are cut out (by splitting on quotes when no quote is escaped, else
    by one regex pass), the brackets summed in C."""
    if b'\\"' in body:
        outside = _JSON_STRING.sub(b"", body)
    else:  # every quote opens or closes a string: the even pieces are outside strings
        outside = b"".join(body.split(b'"')[0::2])
    brackets = outside.translate(None, _NOT_BRACKETS)
    if brackets.count(b"[") + brackets.count(b"{") <= 1:
        return min(1, len(brackets))
    return max(accumulate(map(_DELTA.__getitem__, brackets)), default=0)


def check_json_depth(body: bytes, *, source: str, field: str, origin: str, limit: int = MAX_JSON_DEPTH) -> None:
    # At most `limit` opening brackets in all: no need to look closer.
    if body.count(b"[") + body.count(b"{") <= limit:
        return
    depth = json_depth(body)
    if depth > limit:
        raise ParseError(source, field, f"JSON nested {depth} deep (limit {limit}); not decoded", origin)


# --- HTML --------------------------------------------------------------------------------------

# Content that holds no elements: comments, scripts, styles (their text may contain "<div>").
_HTML_OPAQUE = re.compile(rb"<!--.*?(?:-->|\Z)|<(script|style|textarea|title)\b[^>]*>.*?(?:</\1\s*>|\Z)",
                          re.S | re.I)
_HTML_TAG = re.compile(rb"<(/?)([a-zA-Z][a-zA-Z0-9:-]*)")
# Elements that never hold children, and those whose end tag is implied by a sibling (<li><li>,
# <p><p>, <td><td>): neither deepens the tree.
_NOT_NESTING = frozenset(
    b"area base br col embed hr img input link meta param source track wbr keygen "
    b"p li dt dd tr td th tbody thead tfoot option optgroup rb rt rp colgroup caption html head body".split())


def check_html_depth(body: bytes | str, *, source: str, origin: str, max_depth: int = MAX_HTML_DEPTH,
                     max_work: int = MAX_HTML_WORK) -> None:
    """Refuse HTML that would make tree building slow: element nesting over ``max_depth`` or a
    total tree-building work (sum of depths at start tags) over ``max_work``. The nesting is
    estimated from start and end tags (elements with implied end tags and void elements do not
    count), so a real page, whose depth is a few dozen, is far from either bound."""
    raw = body.encode("utf-8", "replace") if isinstance(body, str) else body
    if raw.count(b"<") <= max_depth:
        return
    depth = work = deepest = 0
    for match in _HTML_TAG.finditer(_HTML_OPAQUE.sub(b"", raw)):
        name = match.group(2).lower()
        if name in _NOT_NESTING:
            continue
        if match.group(1):
            depth = max(0, depth - 1)
            continue
        depth += 1
        work += depth
        deepest = max(deepest, depth)
        if depth > max_depth:
            raise ParseError(source, "html", f"elements nested over {max_depth} deep; not parsed "
                             "(a real page is a few dozen deep)", origin)
        if work > max_work:
            raise ParseError(source, "html", f"the page would take over {max_work:,} tree-building steps "
                             f"(nesting up to {deepest} deep); not parsed", origin)


# --- time limit --------------------------------------------------------------------------------

class ParseTimeout(BaseException):  # a BaseException, so `except Exception` cannot swallow it
    """Raised inside a parse that ran over its time limit (see ``call_with_deadline``)."""


_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
_set_async_exc.argtypes = (ctypes.c_ulong, ctypes.py_object)
_set_async_exc.restype = ctypes.c_int


def call_with_deadline(fn: Callable[[], T], seconds: float) -> T:
    """``fn()``, or ``ParseTimeout`` raised inside it once ``seconds`` have passed.

    A timer thread asks the interpreter to raise ``ParseTimeout`` in the calling thread (works in
    worker threads too, unlike SIGALRM). It takes effect at the next Python bytecode, so C code
    runs to its end: that is why payloads are size- and depth-checked before any decoder sees them.
    A timeout that fires just as ``fn`` returns is withdrawn, never raised later elsewhere."""
    if seconds <= 0:
        return fn()
    thread_id = threading.get_ident()
    lock = threading.Lock()
    state = {"done": False, "fired": False}

    def fire() -> None:
        with lock:
            if not state["done"]:
                state["fired"] = True
                _set_async_exc(thread_id, ParseTimeout)

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    try:
        timer.start()
        return fn()
    finally:
        timer.cancel()
        with lock:
            state["done"] = True
            if state["fired"]:  # withdraw a timeout that has not been raised yet
                _set_async_exc(thread_id, ctypes.py_object())
