"""RunPod's REST v2 catalogue (``GET https://api.runpod.io/v2/catalog/gpus``, Bearer key; GA
2026-08-18), the replacement of the GraphQL API that RunPod retires in early 2027.

One request per cloud tier, with stock: ``include=AVAILABILITY&product=POD&cloud=SECURE`` (and
``COMMUNITY``); the whole list comes in one response (no pagination). Each answer gives, per GPU
type, the list price per GPU-hour of both clouds, but availability only for the cloud asked for,
so an answer becomes the offerings of its own tier only (``secure`` or ``community``, when the GPU
is offered there and priced > 0), with

* ``available`` (``availability`` other than ``NONE``), ``stock`` (the level, lower-cased),
  ``available_in`` (the data centres whose availability is not ``NONE``);
* the same ``offering_key`` as the GraphQL collector (``"<id>|secure"``), so the series go on.

The answer does not say which cloud it describes: ``parse`` reads ``cloud=`` from the request URL
(the spec's default, SECURE, when absent). v2 has no savings-plan, spot or cluster prices, so
those tiers stop when RunPod is read through v2. Rate limits: RunPod answers 429 with
``Retry-After`` (the shared client waits and retries) and states quotas in ``RateLimit`` headers.
"""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from scrapers.errors import ParseError
from scrapers.gpu_names import normalise, unknown_name_warning
from scrapers.records import STOCK_LEVELS, GpuOffer, ParseResult
from scrapers.values import finite_number, plausible_gpu_price

SOURCE_NAME = "runpod"
URL = "https://api.runpod.io/v2/catalog/gpus"
CLOUDS = {"SECURE": "secure", "COMMUNITY": "community"}
_RATE_WINDOW = re.compile(r'"(?P<window>\w+)";r=(?P<remaining>\d+);t=(?P<reset>\d+)')


def catalog_url(cloud: str) -> str:
    query = {"include": "AVAILABILITY", "product": "POD", "cloud": cloud}
    return f"{URL}?{urlencode(query)}"


def cloud_of(url: str | None) -> str:
    """SECURE or COMMUNITY from the request URL; SECURE (the API's default) when not stated."""
    if url:
        values = parse_qs(urlsplit(url).query).get("cloud")
        if values and values[0].upper() in CLOUDS:
            return values[0].upper()
        if "community" in url.lower():  # a replayed file named ..._community.json
            return "COMMUNITY"
    return "SECURE"


def rate_limit_remaining(header: str | None) -> dict[str, tuple[int, int]]:
    """The ``RateLimit`` header as {window: (remaining requests, seconds to reset)}, e.g.
    ``"minute";r=0;t=12, "hour";r=2800;t=1812`` -> {"minute": (0, 12), "hour": (2800, 1812)}."""
    return {m["window"]: (int(m["remaining"]), int(m["reset"])) for m in _RATE_WINDOW.finditer(header or "")}


def is_v2_answer(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("gpus"), list)


def _availability(gpu: dict[str, Any], path: str, origin: str) -> tuple[bool | None, str | None, str | None]:
    level = gpu.get("availability")
    if level is None:
        return None, None, None  # not requested: nothing said
    if not isinstance(level, str) or level.lower() not in STOCK_LEVELS:
        raise ParseError(SOURCE_NAME, f"{path}.availability", f"expected one of NONE/LOW/MEDIUM/HIGH, got {level!r}",
                         origin)
    centres = gpu.get("dataCenters") or []
    if not isinstance(centres, list):
        raise ParseError(SOURCE_NAME, f"{path}.dataCenters", "expected a list", origin)
    where = sorted({str(dc.get("id")) for dc in centres
                    if isinstance(dc, dict) and dc.get("id") and str(dc.get("availability", "")).upper() != "NONE"})
    return level.upper() != "NONE", level.lower(), ",".join(where) or None


def parse_v2(doc: dict[str, Any], *, origin: str, url: str | None) -> ParseResult:
    cloud = cloud_of(url)
    tier = CLOUDS[cloud]  # also the name of the GpuType flag "offered in this cloud"
    result = ParseResult()
    asked = "AVAILABILITY" in (url or "").upper()
    if asked and doc["gpus"] and not any(isinstance(g, dict) and "availability" in g for g in doc["gpus"]):
        result.warnings.append("schema drift: include=AVAILABILITY was asked for but no GPU type has "
                               "'availability'; stock not recorded")
    for i, gpu in enumerate(doc["gpus"]):
        path = f"gpus[{i}]"
        if not isinstance(gpu, dict):
            raise ParseError(SOURCE_NAME, path, "expected an object", origin)
        gpu_id = gpu.get("id")
        if not isinstance(gpu_id, str) or not gpu_id.strip():
            raise ParseError(SOURCE_NAME, f"{path}.id", "missing or not text", origin)
        prices = gpu.get("price")
        if not isinstance(prices, dict):
            raise ParseError(SOURCE_NAME, f"{path}.price", "missing or not an object", origin)
        if gpu.get(tier) is not True or prices.get(tier) is None:
            continue  # not offered in this cloud
        price = finite_number(prices[tier], source=SOURCE_NAME, field=f"{path}.price.{tier}", origin=origin)
        if price <= 0:
            continue  # a placeholder, as in the GraphQL API
        if not plausible_gpu_price(price):
            result.warnings.append(f"{gpu_id} {tier}: implausible price {price:g} USD/GPU-h skipped")
            continue
        memory = gpu.get("memory")
        vram = None if memory is None else finite_number(memory, source=SOURCE_NAME, field=f"{path}.memory",
                                                         origin=origin, minimum=0)
        model = normalise(SOURCE_NAME, gpu_id, vram or None)
        if model is None:
            result.warnings.append(unknown_name_warning(SOURCE_NAME, gpu_id, vram))
        available, stock, where = _availability(gpu, path, origin)
        result.gpu_offers.append(GpuOffer(
            provider=SOURCE_NAME, offering_key=f"{gpu_id}|{tier}", gpu_model=model, gpu_raw_name=gpu_id,
            gpu_count=1, tier=tier, usd_per_gpu_hour=price, usd_per_instance_hour=price, region=None,
            vram_gb=vram or None, source=SOURCE_NAME, available=available, stock=stock, available_in=where,
        ))
    return result
