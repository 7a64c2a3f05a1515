"""Hypothesis strategies that damage a real payload the ways the issue's fuzzer did: truncation,
byte flips, non-UTF-8, HTML error pages, huge/negative/NaN/Infinity numbers, type swaps and deleted
keys (JSON), colspan/rowspan bombs (HTML), oversized CSV fields, large bodies and deep nesting.

``mutants(seed)`` draws one to three stacked mutations and returns a ``Mutant`` whose repr lists
the operations (never the megabytes of body), so a failing example reads like a recipe.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from tests.fuzz.seeds import PAYLOAD_EXTS, Seed

Draw = Callable[..., Any]
MAX_GROWN_BYTES = 2_000_000  # "large body" mutations stay under this, so the suite stays fast

EXTREME_TEXT = [
    "1e999", "-1e999", "NaN", "nan", "Infinity", "-Infinity", "inf", "99999999999999999999999999999",
    "1" + "0" * 400, "-1", "-5", "0", "-0", "0.0", "1e-320", "1e308", "1e12", "1e11", "3.99e9", "",
    "9" * 5000, "0x10", "1,000,000,000,000",
]
EXTREME_JSON: list[Any] = [
    float("nan"), float("inf"), float("-inf"), 10**400, -(10**400), 10**20, -1, -5, 0, -0.0, 1e12, 1e11,
    1e-320, 1e308, "", "x", "NaN", "1e999", "-1", [], {}, None, True, False, [1, 2], {"a": [1]}, "9" * 5000,
    [[[[[]]]]],
]
EXTREME_NUMBERS: list[Any] = [float("nan"), float("inf"), float("-inf"), 10**400, -(10**400), -1, 0, 1e12, 2.5]
HTML_ERROR_PAGES = [
    b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>",
    b"<html><body><h1>502 Bad Gateway</h1><hr><center>nginx</center></body></html>",
    b"<head><title>404 Not Found</title></head><body>Not Found</body>",
    b"\xef\xbb\xbf<!doctype html><html lang=en><body><form>Sign in</form></body></html>",
]
NESTING = [b"[", b'{"a":', b"<div>", b"<table><tr><td>", b"<ul><li>", b"<b>", b"> ", b"#", b"(", b"|", b"**"]
ODD_BYTES = [b"\xff\xfe\xfd", b"\xc3\x28", b"\x00", b"\xe2\x82", b"\xe9", b"\r", b"|", b"<", b'"', b"{", b"]",
             b"\\", b"\xef\xbb\xbf", b"\n\n\n"]
_NUMBER = re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_CELL = re.compile(rb"<t[dh]\b", re.I)


class Mutant:
    """A damaged payload. Not a dataclass: Hypothesis would print the body field by field."""

    def __init__(self, seed: Seed, ext: str, body: bytes, ops: list[str]):
        self.seed, self.ext, self.body, self.ops = seed, ext, body, ops

    def __repr__(self) -> str:
        return f"Mutant({self.seed.name}, ext={self.ext}, {len(self.body):,} bytes, ops={self.ops})"


def _pos(draw: Draw, body: bytes) -> int:
    return draw(st.integers(0, len(body)))


def truncate(draw: Draw, body: bytes) -> tuple[bytes, str]:
    at = _pos(draw, body)
    return body[:at], f"truncate@{at}"


def flip_bytes(draw: Draw, body: bytes) -> tuple[bytes, str]:
    if not body:
        return body, "flip(empty)"
    data = bytearray(body)
    spots = draw(st.lists(st.tuples(st.integers(0, len(data) - 1), st.integers(1, 255)), min_size=1, max_size=8))
    for at, mask in spots:
        data[at] ^= mask
    return bytes(data), f"flip{[at for at, _ in spots]}"


def insert_odd_bytes(draw: Draw, body: bytes) -> tuple[bytes, str]:
    at, chunk = _pos(draw, body), draw(st.sampled_from(ODD_BYTES))
    return body[:at] + chunk + body[at:], f"insert {chunk!r}@{at}"


def reencode(draw: Draw, body: bytes) -> tuple[bytes, str]:
    codec = draw(st.sampled_from(["utf-16", "latin-1", "cp1252", "utf-32"]))
    return body.decode("utf-8", "replace").encode(codec, "replace"), f"reencode {codec}"


def html_error_page(draw: Draw, body: bytes) -> tuple[bytes, str]:
    page = draw(st.sampled_from(HTML_ERROR_PAGES))
    how = draw(st.sampled_from(["replace", "prefix", "pad"]))
    if how == "replace":
        return page, "html error page"
    if how == "pad":  # an error page large enough to pass size guards
        return page.replace(b"</body>", b"<p>please wait</p>" * 500 + b"</body>"), "padded html error page"
    return page + body, "html error page + body"


def extreme_number(draw: Draw, body: bytes) -> tuple[bytes, str]:
    spans = [m.span() for m in _NUMBER.finditer(body[:200_000])]
    if not spans:
        return body, "no number"
    start, end = spans[draw(st.integers(0, len(spans) - 1))]
    value = draw(st.sampled_from(EXTREME_TEXT))
    return body[:start] + value.encode() + body[end:], f"number@{start}->{value[:12]!r}"


def grow(draw: Draw, body: bytes) -> tuple[bytes, str]:
    times = draw(st.integers(2, max(2, MAX_GROWN_BYTES // max(1, len(body)))))
    how = draw(st.sampled_from(["repeat", "pad"]))
    if how == "repeat":
        return body * times, f"repeat x{times}"
    return body + b" " * min(MAX_GROWN_BYTES, len(body) * times), "pad with spaces"


def nest(draw: Draw, body: bytes) -> tuple[bytes, str]:
    token = draw(st.sampled_from(NESTING))
    depth = draw(st.sampled_from([1_000, 10_000, 100_000]))
    depth = min(depth, MAX_GROWN_BYTES // len(token))
    at = _pos(draw, body)
    return body[:at] + token * depth + body[at:], f"nest {token!r}x{depth}@{at}"


def span_bomb(draw: Draw, body: bytes) -> tuple[bytes, str]:
    cells = [m.end() for m in _CELL.finditer(body)]
    attr = draw(st.sampled_from([b' colspan="99999999999"', b' rowspan="99999999"', b' colspan="1000" rowspan="65534"',
                                 b' colspan="-5"', b' colspan="9' + b"9" * 5000 + b'"']))
    if not cells:  # no table: add one
        at = _pos(draw, body)
        return body[:at] + b"<table><tr><td" + attr + b">x</td></tr></table>" + body[at:], f"span table@{at}"
    at = cells[draw(st.integers(0, len(cells) - 1))]
    return body[:at] + attr + body[at:], f"span {attr[:30]!r}@{at}"


def csv_damage(draw: Draw, body: bytes) -> tuple[bytes, str]:
    at = _pos(draw, body)
    chunk = draw(st.sampled_from([b'"' + b"x" * 200_000 + b'"', b"\x00", b'"unterminated', b",,,,,,,,,,,,", b"\n,\n"]))
    return body[:at] + chunk + body[at:], f"csv {chunk[:12]!r}@{at}"


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _paths(value, (*path, i))
    return found


def _shape(path: tuple) -> tuple:
    """The path with list indices generalised: every offer's ``num_gpus`` has one shape."""
    return tuple("*" if isinstance(key, int) else key for key in path)


def _parent(doc: Any, path: tuple) -> Any:
    for key in path[:-1]:
        doc = doc[key]
    return doc


def _damage(draw: Draw, parent: Any, key: Any, op: str, value: Any) -> None:
    if op == "replace":
        parent[key] = value
    elif op == "delete":
        del parent[key]
    elif op == "swap":
        old = parent[key]
        parent[key] = {"value": old} if isinstance(old, list) else [old] if isinstance(old, dict) else str(old)
    elif isinstance(parent, list):
        parent.insert(key, parent[key])
    else:
        parent[f"{key}_copy"] = parent[key]


def json_structure(draw: Draw, body: bytes) -> tuple[bytes, str]:
    """Replace (numbers mostly by extreme numbers), delete, type-swap or duplicate one field of
    a JSON payload: in one place, or everywhere it occurs (every offer's ``num_gpus``)."""
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        return body, "not json"
    by_shape: dict[tuple, list[tuple]] = {}
    for path in _paths(doc):
        if path:
            by_shape.setdefault(_shape(path), []).append(path)
    if not by_shape:
        return body, "json without children"
    shapes = sorted(by_shape, key=repr)
    paths = by_shape[shapes[draw(st.integers(0, len(shapes) - 1))]]
    everywhere = draw(st.booleans())
    chosen = paths if everywhere else [paths[draw(st.integers(0, len(paths) - 1))]]
    op = draw(st.sampled_from(["replace", "replace", "delete", "swap", "duplicate"]))
    sample = _parent(doc, chosen[0])[chosen[0][-1]]
    numeric = isinstance(sample, int | float) and not isinstance(sample, bool)
    value = draw(st.sampled_from(EXTREME_NUMBERS if numeric and draw(st.booleans()) else EXTREME_JSON))
    for path in sorted(chosen, reverse=True):  # from the end: deleting keeps earlier indices valid
        _damage(draw, _parent(doc, path), path[-1], op, value)
    where = "/".join(map(str, _shape(chosen[0])))[:80]
    return json.dumps(doc, allow_nan=True).encode(), f"json {op} {where}{' (all)' if everywhere else ''} {value!r:.20}"


OPERATIONS = [truncate, flip_bytes, insert_odd_bytes, reencode, html_error_page, extreme_number, grow, nest,
              span_bomb, csv_damage]


@st.composite
def mutants(draw: Draw, seed: Seed) -> Mutant:
    body, ops = seed.body(), []
    ops_here = OPERATIONS + [json_structure] * (3 if seed.ext == "json" else 0)  # JSON: mostly structural
    for _ in range(draw(st.integers(1, 3))):
        body, op = draw(st.sampled_from(ops_here))(draw, body)
        ops.append(op)
        if len(body) > MAX_GROWN_BYTES * 3:  # stacked growth: keep the suite fast
            body = body[: MAX_GROWN_BYTES * 3]
            ops.append("cut to 6 MB")
    ext = seed.ext if draw(st.integers(0, 9)) else draw(st.sampled_from(sorted(PAYLOAD_EXTS)))
    return Mutant(seed, ext, body, ops)
