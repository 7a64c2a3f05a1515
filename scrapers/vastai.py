"""Vast.ai marketplace offers from the keyless ``bundles`` search, one request per GPU model.

Vast has no list price: thousands of hosts set their own. Each page (one GPU model) keeps
every rentable offer as a ``MarketOffer`` and aggregates per canonical GPU model (the raw
``gpu_name`` when unknown) into ``GpuOffer`` rows:

* tier ``on_demand``: ``usd_per_gpu_hour`` = p10 of per-GPU prices (``dph_base / num_gpus``,
  compute only, so independent of the storage asked for), with min, median and offer count;
* tier ``interruptible``: the same statistics over ``min_bid / num_gpus`` where positive.

``offering_key`` is ``"<model>|on_demand"`` / ``"<model>|interruptible"``. ``gpu_frac`` is
never divided by (a 1-GPU slice of a 4-GPU box is already priced for one GPU). VRAM comes
from ``gpu_ram`` (MiB) and picks the canonical size, so 48 GB RTX 4090s are their own model.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from scrapers.base import Source, parse_json
from scrapers.errors import ParseError
from scrapers.gpu_names import NOMINAL_VRAM_GB, normalise, unknown_name_warning, vram_from_mib
from scrapers.http import HttpClient
from scrapers.records import (
    MAX_PLAUSIBLE_USD_PER_GPU_HOUR,
    FetchFailure,
    GpuOffer,
    MarketOffer,
    ParseResult,
    RawPayload,
)
from scrapers.values import MAX_GPU_COUNT, finite_number

if TYPE_CHECKING:  # pragma: no cover
    from core.settings import Settings

NAME = "vastai"
URL = "https://console.vast.ai/api/v0/bundles/"
# Vast gpu_name values queried, one request each (Vast documents 10 requests/minute per IP).
GPU_QUERIES: tuple[str, ...] = (
    "H100 SXM", "H100 PCIE", "H100 NVL", "H200", "H200 NVL", "B200", "A100 SXM4", "A100 PCIE",
    "L40S", "L40", "RTX 4090", "RTX 5090", "RTX 3090", "RTX A6000", "RTX 6000Ada",
    "RTX PRO 6000 S", "A40", "A10", "L4",
)
LIMIT = 1000
ALLOCATED_STORAGE_GB = 10  # pins dph_total; we record dph_base, which does not depend on it


def query_body(gpu_name: str) -> dict[str, Any]:
    return {
        "rentable": {"eq": True},
        "rented": {"eq": False},
        "num_gpus": {"gte": 1},
        "gpu_name": {"eq": gpu_name},
        "type": "ondemand",
        "allocated_storage": ALLOCATED_STORAGE_GB,
        "order": [["dph_total", "asc"]],
        "limit": LIMIT,
    }


def page_url(gpu_name: str) -> str:
    return f"{URL}#gpu_name={quote(gpu_name)}"


def fetch(client: HttpClient, settings: Settings) -> list[RawPayload | FetchFailure]:
    """One page per GPU model; a failing page becomes a FetchFailure and the rest go on.

    When the very first page gets no usable answer (host unreachable or a server error after the
    client's retries), or any page is still rate-limited (429) after them, the remaining pages
    are not tried: each would only wait out its retries and the rate-limit interval.
    """
    items: list[RawPayload | FetchFailure] = []
    skipped = f"skipped the other {len(GPU_QUERIES) - 1} pages"
    for n, gpu_name in enumerate(GPU_QUERIES):
        item = client.try_fetch(NAME, "POST", URL, ext="json", json=query_body(gpu_name))
        if isinstance(item, FetchFailure):
            note = f"; Vast.ai is unreachable, {skipped}" if n == 0 else ""
            items.append(replace(item, url=page_url(gpu_name), error=f"{item.error} (gpu_name={gpu_name!r}){note}"))
            if n == 0:
                break
            continue
        # Every page POSTs to the same URL; a fragment (never sent) records which model it was.
        items.append(replace(item, url=page_url(gpu_name)))
        if item.status == 429 or (n == 0 and item.status >= 500):
            break  # logged as this page's http_error; still rate-limited (or down): stop paging
    return items


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile of ``values`` (numpy's default 'linear' method)."""
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _offers(doc: Any, origin: str) -> list[Any]:
    if isinstance(doc, list):  # `vastai search offers --raw` prints the bare list
        return doc
    if isinstance(doc, dict) and isinstance(doc.get("offers"), list):
        return doc["offers"]
    if isinstance(doc, dict) and ("error" in doc or "msg" in doc):
        raise ParseError(NAME, "offers", f"API error: {doc.get('msg') or doc.get('error')}", origin)
    raise ParseError(NAME, "offers", "missing or not a list", origin)


def _number(offer: dict[str, Any], key: str, path: str, origin: str, *, required: bool) -> float | None:
    value = offer.get(key)
    if value is None:
        if required:
            raise ParseError(NAME, f"{path}.{key}", "missing", origin)
        return None
    return finite_number(value, source=NAME, field=f"{path}.{key}", origin=origin)  # no NaN, inf, overflow


def _plausible(price: float) -> bool:
    return 0 < price <= MAX_PLAUSIBLE_USD_PER_GPU_HOUR and math.isfinite(price)


def parse(body: bytes, *, ext: str = "json", origin: str = "<payload>") -> ParseResult:
    doc = parse_json(NAME, body, field="offers", origin=origin)

    result = ParseResult()
    on_demand: dict[str, list[float]] = defaultdict(list)
    interruptible: dict[str, list[float]] = defaultdict(list)
    raw_names: dict[str, set[str]] = defaultdict(set)
    models: dict[str, str | None] = {}
    vrams: dict[str, list[float]] = defaultdict(list)
    unknown: set[tuple[str, float | None]] = set()
    seen_ids: set[str] = set()

    for i, offer in enumerate(_offers(doc, origin)):
        path = f"offers[{i}]"
        if not isinstance(offer, dict):
            raise ParseError(NAME, path, "expected an object", origin)
        if offer.get("rentable") is False:
            continue
        for key in ("id", "gpu_name", "num_gpus"):
            if offer.get(key) is None:
                raise ParseError(NAME, f"{path}.{key}", "missing", origin)
        dph_base = _number(offer, "dph_base", path, origin, required=True)
        gpus = _number(offer, "num_gpus", path, origin, required=True) or 0
        num_gpus = int(gpus) if gpus == int(gpus) and gpus <= MAX_GPU_COUNT else 0
        offer_id, raw = str(offer["id"]), str(offer["gpu_name"])
        if offer_id in seen_ids:
            continue
        seen_ids.add(offer_id)
        if num_gpus < 1:
            result.warnings.append(f"{path} (offer {offer_id}): num_gpus {gpus:g} is not a GPU count, skipped")
            continue
        per_gpu = dph_base / num_gpus
        if not _plausible(per_gpu):
            result.warnings.append(
                f"{path} (offer {offer_id}, {raw}): price {per_gpu:g} USD/GPU-h is not plausible, skipped")
            continue
        vram = vram_from_mib(_number(offer, "gpu_ram", path, origin, required=False))
        model = normalise(NAME, raw, vram)
        if model is None:
            unknown.add((raw, vram))
        key = model or raw
        models[key], raw_names[key] = model, raw_names[key] | {raw}
        if vram is not None:
            vrams[key].append(vram)
        on_demand[key].append(per_gpu)
        min_bid = _number(offer, "min_bid", path, origin, required=False)
        if min_bid is not None and _plausible(min_bid / num_gpus):
            interruptible[key].append(min_bid / num_gpus)
        verification = offer.get("verification")
        result.market_offers.append(MarketOffer(
            provider=NAME, offer_id=offer_id,
            machine_id=None if offer.get("machine_id") is None else str(offer["machine_id"]),
            gpu_model=model, gpu_raw_name=raw, gpu_count=num_gpus, tier="on_demand",
            usd_per_gpu_hour=per_gpu, usd_per_instance_hour=dph_base, vram_gb=vram,
            reliability=_number(offer, "reliability2", path, origin, required=False)
            or _number(offer, "reliability", path, origin, required=False),
            verified=(verification == "verified") if isinstance(verification, str) else offer.get("verified"),
            location=offer.get("geolocation") or None,
        ))

    for raw, vram in sorted(unknown, key=lambda u: (u[0], u[1] or 0)):
        result.warnings.append(unknown_name_warning(NAME, raw, vram))
    for tier, groups in (("on_demand", on_demand), ("interruptible", interruptible)):
        for key in sorted(groups):
            prices = groups[key]
            model = models[key]
            vram = float(NOMINAL_VRAM_GB[model]) if model else (
                percentile(vrams[key], 0.5) if vrams[key] else None)
            p10 = percentile(prices, 0.10)
            result.gpu_offers.append(GpuOffer(
                provider=NAME, offering_key=f"{key}|{tier}", gpu_model=model,
                gpu_raw_name=" / ".join(sorted(raw_names[key])), gpu_count=1, tier=tier,
                usd_per_gpu_hour=p10, usd_per_instance_hour=p10, region=None, vram_gb=vram,
                offer_count=len(prices), usd_per_gpu_hour_min=min(prices),
                usd_per_gpu_hour_median=percentile(prices, 0.5),
            ))
    return result


SOURCE = Source(
    name=NAME,
    kind="gpu",
    description="Vast.ai marketplace (keyless bundles search per GPU model): p10/min/median per GPU-hour + every offer",
    fetch=fetch,
    parse=parse,
    min_interval_s=6.0,
)
