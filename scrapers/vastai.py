"""Vast.ai: the whole rentable marketplace from the keyless ``bundles`` search, paged by offer id.

Vast has no list price: thousands of hosts set their own. ``fetch`` pages through every rentable
on-demand offer (``order`` by ``id``, ``id > last id of the previous page``, ``PAGE_SIZE`` per
request, at Vast's documented 10 requests a minute), so no GPU model is left out; each page is
one payload. ``parse`` turns a page into columns (a ``pyarrow.Table`` of ``MarketOffer`` fields,
no Python object per offer), validated a column at a time:

* ``usd_per_gpu_hour`` = ``dph_base / num_gpus`` (compute only, so independent of the storage
  asked for); ``gpu_frac`` is never divided by (a 1-GPU slice of a 4-GPU box is already priced
  for one GPU);
* ``min_bid`` (the current interruptible floor for the whole offer) kept per offer;
* VRAM from ``gpu_ram`` (MiB) picks the canonical size, so 48 GB RTX 4090s are their own model;
* an unrentable offer, a GPU count that is not a whole number in 1..1024, and a per-GPU price
  that is not finite, not positive or above the plausibility bound are skipped with a warning;
  a missing or wrongly typed required field is a ``ParseError`` naming the offer.

The per-model statistics (p10 as the price, min, median and count for ``on_demand``, the same
over ``min_bid / num_gpus`` for ``interruptible``) need the whole market, so the warehouse
computes them once all pages of a run are loaded (``warehouse/market.py``).
"""
from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from scrapers.base import Source, parse_json
from scrapers.errors import ParseError
from scrapers.gpu_names import normalise, unknown_name_warning
from scrapers.http import HttpClient
from scrapers.records import MAX_PLAUSIBLE_USD_PER_GPU_HOUR, FetchFailure, ParseResult, RawPayload
from scrapers.values import finite_number

if TYPE_CHECKING:  # pragma: no cover
    from core.settings import Settings

NAME = "vastai"
URL = "https://console.vast.ai/api/v0/bundles/"
PAGE_SIZE = 1000
# Enough for a market several times today's ~20,000 rentable offers; more pages mean a runaway.
MAX_PAGES = 100
ALLOCATED_STORAGE_GB = 10  # pins dph_total; we record dph_base, which does not depend on it
MAX_GPUS_PER_OFFER = 1024
SKIP_EXAMPLES = 3  # skipped offers named in a warning; the rest are counted

MARKET_SCHEMA = pa.schema([
    ("provider", pa.string()), ("offer_id", pa.string()), ("machine_id", pa.string()),
    ("gpu_model", pa.string()), ("gpu_raw_name", pa.string()), ("gpu_count", pa.int32()),
    ("tier", pa.string()), ("usd_per_gpu_hour", pa.float64()), ("usd_per_instance_hour", pa.float64()),
    ("vram_gb", pa.float64()), ("reliability", pa.float64()), ("verified", pa.bool_()),
    ("location", pa.string()), ("min_bid", pa.float64()), ("vcpus", pa.float64()), ("ram_gb", pa.float64()),
    ("disk_gb", pa.float64()),
])


def query_body(after_id: int | None = None) -> dict[str, Any]:
    """One page of the rentable on-demand market, in offer-id order after ``after_id``."""
    body: dict[str, Any] = {
        "rentable": {"eq": True},
        "rented": {"eq": False},
        "num_gpus": {"gte": 1},
        "type": "ondemand",
        "allocated_storage": ALLOCATED_STORAGE_GB,
        "order": [["id", "asc"]],
        "limit": PAGE_SIZE,
    }
    if after_id is not None:
        body["id"] = {"gt": after_id}
    return body


def page_url(after_id: int | None) -> str:
    """Every page POSTs to the same URL; a fragment (never sent) records which page it was."""
    return f"{URL}#after_id={after_id or 0}"


def _page_cursor(body: bytes) -> tuple[int, int] | None:
    """(offers on the page, id of its last offer), or None when the page cannot be read."""
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    offers = doc.get("offers") if isinstance(doc, dict) else doc
    if not isinstance(offers, list):
        return None
    if not offers:
        return 0, 0
    last = offers[-1].get("id") if isinstance(offers[-1], dict) else None
    if isinstance(last, bool) or not isinstance(last, int):
        return None
    return len(offers), last


def fetch(client: HttpClient, settings: Settings | None) -> list[RawPayload | FetchFailure]:
    """Page through the whole rentable market; each page is one payload of the batch.

    Stops after a short page (the end of the market). A page that gets no usable answer ends
    the paging (the next page needs its last offer id): the batch is then incomplete, the
    failure is logged, and the warehouse computes no per-model statistics for it. A 429 still
    there after the client's retries, or a server error on the first page, stops at once.
    """
    items: list[RawPayload | FetchFailure] = []
    after_id: int | None = None
    for n in range(MAX_PAGES):
        item = client.try_fetch(NAME, "POST", URL, ext="json", json=query_body(after_id))
        url = page_url(after_id)
        if isinstance(item, FetchFailure):
            note = "Vast.ai is unreachable" if n == 0 else "the market after this page was not read"
            items.append(replace(item, url=url, error=f"{item.error} (page after offer id {after_id or 0}); {note}"))
            return items
        items.append(replace(item, url=url))
        if item.status >= 400:
            return items  # logged as this page's http_error (429 still there, or the service is down)
        cursor = _page_cursor(item.body)
        if cursor is None:
            return items  # the parse error is logged for this page; no id to continue from
        count, last_id = cursor
        if count < PAGE_SIZE:
            return items
        after_id = last_id
    items.append(FetchFailure(NAME, page_url(after_id), f"vastai: stopped after {MAX_PAGES} pages of {PAGE_SIZE} "
                                                         "offers (a market this large was not expected)",
                              items[-1].fetched_at))
    return items


# --- parse ----------------------------------------------------------------------------------

def _offers(doc: Any, origin: str) -> list[Any]:
    if isinstance(doc, list):  # `vastai search offers --raw` prints the bare list
        return doc
    if isinstance(doc, dict) and isinstance(doc.get("offers"), list):
        return doc["offers"]
    if isinstance(doc, dict) and ("error" in doc or "msg" in doc):
        raise ParseError(NAME, "offers", f"API error: {str(doc.get('msg') or doc.get('error'))[:200]}", origin)
    raise ParseError(NAME, "offers", "missing or not a list", origin)


def _first_bad_number(values: list[Any], key: str, origin: str, *, required: bool) -> ParseError:
    """The error for the first value of a column that is not a number (the slow path, taken
    only when the column as a whole did not convert)."""
    for i, value in enumerate(values):
        if value is None:
            if required:
                return ParseError(NAME, f"offers[{i}].{key}", "missing", origin)
            continue
        try:
            finite_number(value, source=NAME, field=f"offers[{i}].{key}", origin=origin)
        except ParseError as exc:
            if "not a finite number" not in exc.message:  # NaN/inf are filtered, not errors
                return exc
    return ParseError(NAME, f"offers[*].{key}", "could not be read as numbers", origin)


_NUMBER_TYPES = frozenset({int, float, type(None)})


def _numbers(values: list[Any], key: str, origin: str, *, required: bool) -> pa.Array:
    """A column as float64, or ParseError naming the first offer with a missing (when
    ``required``) or wrongly typed value (text, a bool, a list, an integer too large for a
    float). NaN and infinities pass here; callers filter them."""
    if not set(map(type, values)) <= _NUMBER_TYPES:
        raise _first_bad_number(values, key, origin, required=required)
    try:
        array = pa.array(values, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        raise _first_bad_number(values, key, origin, required=required) from None
    if required and array.null_count:
        raise _first_bad_number(values, key, origin, required=True)
    return array


def _finite_or_null(array: pa.Array, *, minimum: float = 0.0) -> pa.Array:
    """Optional measurements: NaN, infinities and values below ``minimum`` read as NULL."""
    ok = pc.and_(pc.is_finite(array), pc.greater_equal(array, minimum))
    return pc.if_else(pc.fill_null(ok, False), array, pa.scalar(None, pa.float64()))


def _texts(values: list[Any], key: str, origin: str, *, required: bool, ids: bool = False) -> pa.Array:
    """A text column; with ``ids``, whole numbers are read as text too (Vast's offer ids)."""
    allowed = {str, type(None)} | ({int} if ids else set())
    if not set(map(type, values)) <= allowed:
        for i, value in enumerate(values):
            if type(value) not in allowed:
                raise ParseError(NAME, f"offers[{i}].{key}", f"expected text, got {type(value).__name__}", origin)
    if required and None in values:
        raise ParseError(NAME, f"offers[{values.index(None)}].{key}", "missing", origin)
    if ids:
        values = [v if v is None or type(v) is str else str(v) for v in values]
    return pa.array(values, pa.string())


def _skip_warning(reason: str, ids: list[str], names: list[str]) -> str:
    shown = ", ".join(f"{i} ({n})" for i, n in zip(ids[:SKIP_EXAMPLES], names[:SKIP_EXAMPLES], strict=False))
    more = f" and {len(ids) - SKIP_EXAMPLES} more" if len(ids) > SKIP_EXAMPLES else ""
    return f"{len(ids)} offer(s) skipped: {reason}: {shown}{more}"


def _keep_mask(result: ParseResult, offers: list[dict[str, Any]], ids: pa.Array, names: pa.Array,
               count: pa.Array, per_gpu_of: Any) -> tuple[pa.Array, pa.Array]:
    """(rows to keep, per-GPU price): rentable, first sighting of the id, a whole GPU count in
    1..1024 and a plausible per-GPU price; the skipped ones counted in warnings."""
    rentable = pa.array([o.get("rentable") is not False for o in offers], pa.bool_())
    id_list = ids.to_pylist()
    first_seen: dict[str, int] = {}
    for i, offer_id in enumerate(id_list):
        first_seen.setdefault(offer_id, i)
    listed = pc.and_(rentable, pa.array([first_seen[v] == n for n, v in enumerate(id_list)], pa.bool_()))

    whole = pc.and_(pc.is_finite(count), pc.equal(count, pc.floor(count)))
    good_count = pc.fill_null(pc.and_(whole, pc.and_(pc.greater_equal(count, 1),
                                                      pc.less_equal(count, MAX_GPUS_PER_OFFER))), False)
    per_gpu = per_gpu_of(pc.if_else(good_count, count, 1.0))
    plausible = pc.fill_null(pc.and_(pc.is_finite(per_gpu), pc.and_(
        pc.greater(per_gpu, 0.0), pc.less_equal(per_gpu, MAX_PLAUSIBLE_USD_PER_GPU_HOUR))), False)
    bad_count = pc.and_(listed, pc.invert(good_count))
    bad_price = pc.and_(pc.and_(listed, good_count), pc.invert(plausible))
    for reason, bad in (
        (f"num_gpus is not a whole number of GPUs in 1..{MAX_GPUS_PER_OFFER}", bad_count),
        ("the price per GPU-hour is not plausible (not finite, not positive or above "
         f"{MAX_PLAUSIBLE_USD_PER_GPU_HOUR:g} USD)", bad_price),
    ):
        if pc.any(bad).as_py():
            result.warnings.append(_skip_warning(reason, ids.filter(bad).to_pylist(), names.filter(bad).to_pylist()))
    return pc.and_(listed, pc.and_(good_count, plausible)), per_gpu


def _models(result: ParseResult, names: pa.Array, vram: pa.Array) -> pa.Array:
    """Canonical names (the normaliser is cached: a market repeats a few dozen raw names);
    one warning per unknown (name, VRAM)."""
    models: list[str | None] = []
    unknown: set[tuple[str, float | None]] = set()
    for raw, gb in zip(names.to_pylist(), vram.to_pylist(), strict=True):
        model = normalise(NAME, raw, gb)
        if model is None:
            unknown.add((raw, gb))
        models.append(model)
    for raw, gb in sorted(unknown, key=lambda u: (u[0], u[1] or 0.0)):
        result.warnings.append(unknown_name_warning(NAME, raw, gb))
    return pa.array(models, pa.string())


def _verified(offer: dict[str, Any]) -> bool | None:
    verification, verified = offer.get("verification"), offer.get("verified")
    if isinstance(verification, str):
        return verification == "verified"
    return verified if isinstance(verified, bool) else None


def _require_objects(offers: list[Any], origin: str) -> None:
    for i, offer in enumerate(offers):
        if not isinstance(offer, dict):
            raise ParseError(NAME, f"offers[{i}]", "expected an object", origin)


def _schema_drift(offers: list[dict[str, Any]]) -> list[str]:
    """A warning per optional key no offer has any more (what is then not recorded)."""
    return [f"schema drift: no offer has '{key}'; {what} not recorded"
            for key, what in (("min_bid", "interruptible bids"),
                              ("gpu_ram", "VRAM (models sold in several sizes stay unknown)"))
            if all(key not in o for o in offers)]


def parse(body: bytes, *, ext: str = "json", origin: str = "<payload>") -> ParseResult:
    offers = _offers(parse_json(NAME, body, field="offers", origin=origin), origin)
    result = ParseResult(market_offers=MARKET_SCHEMA.empty_table())
    if not offers:
        return result
    _require_objects(offers, origin)

    def col(key: str) -> list[Any]:
        return [o.get(key) for o in offers]

    def optional(key: str, *, minimum: float = 0.0) -> pa.Array:
        return _finite_or_null(_numbers(col(key), key, origin, required=False), minimum=minimum)

    ids = _texts(col("id"), "id", origin, required=True, ids=True)
    names = _texts(col("gpu_name"), "gpu_name", origin, required=True)
    count = _numbers(col("num_gpus"), "num_gpus", origin, required=True)
    dph_base = _numbers(col("dph_base"), "dph_base", origin, required=True)
    reliability = _finite_or_null(_numbers([o.get("reliability2", o.get("reliability")) for o in offers],
                                           "reliability2", origin, required=False))
    gpu_ram, min_bid, vcpus = optional("gpu_ram", minimum=1.0), optional("min_bid"), optional("cpu_cores_effective")
    ram_mb, disk = optional("cpu_ram"), optional("disk_space")
    result.warnings += _schema_drift(offers)
    keep, per_gpu = _keep_mask(result, offers, ids, names, count, lambda n: pc.divide(dph_base, n))
    kept = [o for o, k in zip(offers, keep.to_pylist(), strict=True) if k]
    names, vram = names.filter(keep), pc.round(pc.divide(gpu_ram.filter(keep), 1024.0), 2)
    n = len(kept)
    result.market_offers = pa.table({
        "provider": pa.array([NAME] * n, pa.string()),
        "offer_id": ids.filter(keep),
        "machine_id": pa.array([None if (m := o.get("machine_id")) is None or isinstance(m, bool) else str(m)
                                for o in kept], pa.string()),
        "gpu_model": _models(result, names, vram),
        "gpu_raw_name": names,
        "gpu_count": pc.cast(count.filter(keep), pa.int32()),
        "tier": pa.array(["on_demand"] * n, pa.string()),
        "usd_per_gpu_hour": per_gpu.filter(keep),
        "usd_per_instance_hour": dph_base.filter(keep),
        "vram_gb": vram,
        "reliability": reliability.filter(keep),
        "verified": pa.array([_verified(o) for o in kept], pa.bool_()),
        "location": pa.array([p if isinstance(p := o.get("geolocation"), str) and p else None for o in kept],
                             pa.string()),
        "min_bid": min_bid.filter(keep),
        "vcpus": vcpus.filter(keep),
        "ram_gb": pc.round(pc.divide(ram_mb.filter(keep), 1024.0), 2),
        "disk_gb": disk.filter(keep),
    }, schema=MARKET_SCHEMA)
    return result


SOURCE = Source(
    name=NAME,
    kind="gpu",
    description="Vast.ai marketplace (keyless bundles search, every rentable offer paged by id): every offer, "
                "and per GPU model p10/min/median per GPU-hour",
    fetch=fetch,
    parse=parse,
    min_interval_s=6.0,
)
