"""RunPod list prices: the REST v2 catalogue with ``RUNPOD_API_KEY``, else the keyless GraphQL API.

RunPod retires its GraphQL API in early 2027 (release notes of 2026-08-18); the keyed REST v2
catalogue (``scrapers/runpod_v2.py``) replaces it and adds stock per data centre. GraphQL stays
the keyless fallback until it stops answering: with a key, a v2 request that gets no usable
answer is followed by the GraphQL query in the same run. A GraphQL answer saying the API is
retired is recorded as ``retired`` (with what to do), not as a parse error. ``parse`` tells the
two answers apart by their shape.

GraphQL (``gpuTypes``): prices are USD per single GPU per hour and the same in every data centre.
Tiers emitted per GPU type, only when the GPU is offered there:

* ``secure`` (``securePrice``, when ``secureCloud``) and ``community`` (``communityPrice``,
  when ``communityCloud``);
* ``secure_spot`` / ``community_spot`` (the spot prices, same flags; RunPod ends spot pods on
  2026-09-11, after which the API stops quoting them);
* ``reserved_1w`` / ``reserved_1m`` / ``reserved_3m`` / ``reserved_6m`` (savings plans, a
  Secure Cloud product, so only when ``secureCloud``);
* ``cluster`` (``clusterPrice``, only when ``nodeGroupDatacenters`` lists somewhere to run it).

RunPod fills tiers a GPU is not offered in with placeholders (0, 0.5, or a stale price):
a tier is recorded only when its flag is true and its price is > 0. Prices go through the shared
numeric boundary (``scrapers.values``): a wrongly typed, non-finite or overflowing number is a
``ParseError``; a price above the plausibility bound is skipped with a warning. A field the query
asks for that is missing from every GPU type (schema drift) is a warning naming the tiers not
recorded, never a silent drop.
"""
from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

from scrapers import runpod_v2
from scrapers.base import Source, parse_json
from scrapers.errors import ParseError, SourceRetired
from scrapers.gpu_names import normalise, unknown_name_warning
from scrapers.http import HttpClient
from scrapers.records import FetchFailure, GpuOffer, ParseResult, RawPayload
from scrapers.values import finite_number, plausible_gpu_price

if TYPE_CHECKING:  # pragma: no cover
    from core.settings import Settings

NAME = "runpod"
URL = "https://api.runpod.io/graphql"
QUERY = (
    "query GpuTypes { gpuTypes { id displayName manufacturer memoryInGb maxGpuCount "
    "secureCloud communityCloud securePrice communityPrice secureSpotPrice communitySpotPrice "
    "oneWeekPrice oneMonthPrice threeMonthPrice sixMonthPrice clusterPrice "
    "nodeGroupDatacenters { id } } }"
)

# (tier, price field, offered when this flag is true)
_TIERS: tuple[tuple[str, str, str], ...] = (
    ("secure", "securePrice", "secureCloud"),
    ("community", "communityPrice", "communityCloud"),
    ("secure_spot", "secureSpotPrice", "secureCloud"),
    ("community_spot", "communitySpotPrice", "communityCloud"),
    ("reserved_1w", "oneWeekPrice", "secureCloud"),
    ("reserved_1m", "oneMonthPrice", "secureCloud"),
    ("reserved_3m", "threeMonthPrice", "secureCloud"),
    ("reserved_6m", "sixMonthPrice", "secureCloud"),
)
_REQUIRED = ("id", "memoryInGb", "secureCloud", "communityCloud", "securePrice", "communityPrice")
# Asked for by QUERY; when every GPU type lacks one, the tiers it feeds cannot be recorded.
_EXPECTED = {key: tier for tier, key, _ in _TIERS[2:]} | {"clusterPrice": "cluster", "nodeGroupDatacenters": "cluster"}
# How a retired API answers (RunPod has not said): HTTP 410 is not parsed; a GraphQL error whose
# message or code says the API is gone is.
_RETIRED = re.compile(r"\bretired\b|\bsunset\b|no longer (?:available|supported|served)|has been (?:removed|shut down)"
                      r"|graphql api (?:is|has been) (?:deprecated and )?(?:removed|disabled)", re.I)
_RETIRED_CODES = {"GONE", "RETIRED", "DEPRECATED_API", "API_RETIRED"}


def fetch(client: HttpClient, settings: Settings) -> list[RawPayload | FetchFailure]:
    """With ``RUNPOD_API_KEY``: the v2 catalogue of each cloud, and the GraphQL query as well when
    a v2 request gets no usable answer. Without: the GraphQL query."""
    key = getattr(settings, "runpod_api_key", None)
    items: list[RawPayload | FetchFailure] = []
    if key:
        headers = {"Authorization": f"Bearer {key}", "Accept": "application/json"}
        items = [client.try_fetch(NAME, "GET", runpod_v2.catalog_url(cloud), ext="json", headers=headers)
                 for cloud in runpod_v2.CLOUDS]
        if all(isinstance(i, RawPayload) and i.status < 400 for i in items):
            return items
    items.append(client.try_fetch(NAME, "POST", URL, ext="json", json={"query": QUERY},
                                  headers={"Content-Type": "application/json"}))
    return items


def _raise_for_errors(errors: Any, origin: str) -> None:
    first = errors[0] if isinstance(errors, list) and errors else errors
    message = str(first.get("message", first) if isinstance(first, dict) else first)[:300]
    code = first.get("extensions", {}).get("code") if isinstance(first, dict) and isinstance(
        first.get("extensions"), dict) else None
    if _RETIRED.search(message) or (isinstance(code, str) and code.upper() in _RETIRED_CODES):
        raise SourceRetired(NAME, "errors", f"RunPod's GraphQL API is retired ({message}); set RUNPOD_API_KEY to "
                                            "collect from the REST v2 catalogue instead", origin)
    raise ParseError(NAME, "errors", f"GraphQL error: {message}", origin)


def _gpu_types(doc: Any, origin: str) -> list[Any]:
    if isinstance(doc, list):
        return doc
    if not isinstance(doc, dict):
        raise ParseError(NAME, "data.gpuTypes", f"expected a JSON object or list, got {type(doc).__name__}", origin)
    if doc.get("errors"):
        _raise_for_errors(doc["errors"], origin)
    gpu_types = (doc.get("data") or {}).get("gpuTypes") if isinstance(doc.get("data"), dict) else None
    if not isinstance(gpu_types, list):
        raise ParseError(NAME, "data.gpuTypes", "missing or not a list (did the query or schema change?)", origin)
    return gpu_types


def _price(item: dict[str, Any], key: str, path: str, origin: str) -> float | None:
    value = item.get(key)
    if value is None:
        return None
    if type(value) is float and math.isfinite(value):  # the common case, without building a field name
        return value
    return finite_number(value, source=NAME, field=f"{path}.{key}", origin=origin)


def _drift_warnings(gpu_types: list[Any]) -> list[str]:
    """A field the query asks for that no GPU type carries: the API changed under us."""
    items = [g for g in gpu_types if isinstance(g, dict)]
    if not items:
        return []
    return [f"schema drift: no GPU type has '{key}' (asked for by the query); tier {tier} not recorded"
            for key, tier in _EXPECTED.items() if not any(key in g for g in items)]


def _offers(item: dict[str, Any], path: str, origin: str) -> list[tuple[str, float]]:
    offers = []
    for tier, key, flag in _TIERS:
        price = _price(item, key, path, origin)
        if item.get(flag) is True and price is not None and price > 0:
            offers.append((tier, price))
    cluster = _price(item, "clusterPrice", path, origin)
    if item.get("nodeGroupDatacenters") and cluster is not None and cluster > 0:
        offers.append(("cluster", cluster))
    return offers


def _vram(item: dict[str, Any], path: str, origin: str) -> float | None:
    value = item.get("memoryInGb")
    if not value:
        return None
    return finite_number(value, source=NAME, field=f"{path}.memoryInGb", origin=origin, minimum=0, maximum=4096)


def parse(body: bytes, *, ext: str = "json", origin: str = "<payload>", url: str | None = None) -> ParseResult:
    doc = parse_json(NAME, body, field="data.gpuTypes", origin=origin)
    if runpod_v2.is_v2_answer(doc):
        return runpod_v2.parse_v2(doc, origin=origin, url=url)
    if isinstance(doc, dict) and {"title", "status", "detail"} <= doc.keys():  # v2 application/problem+json
        raise ParseError(NAME, "detail", f"REST v2 error {doc.get('status')}: {str(doc.get('detail'))[:200]}", origin)

    return _parse_graphql(_gpu_types(doc, origin), origin)


def _parse_graphql(gpu_types: list[Any], origin: str) -> ParseResult:
    result = ParseResult(warnings=_drift_warnings(gpu_types))
    for i, item in enumerate(gpu_types):
        path = f"data.gpuTypes[{i}]"
        if not isinstance(item, dict):
            raise ParseError(NAME, path, "expected an object", origin)
        for key in _REQUIRED:
            if key not in item:
                raise ParseError(NAME, f"{path}.{key}", "missing", origin)
        gpu_id = item["id"]
        if not isinstance(gpu_id, str) or not gpu_id or gpu_id == "unknown":
            continue  # RunPod lists a placeholder type "unknown"
        vram = _vram(item, path, origin)
        offers = _offers(item, path, origin)
        model = normalise(NAME, gpu_id, vram)
        if offers and model is None:
            result.warnings.append(unknown_name_warning(NAME, gpu_id, vram))
        for tier, price in offers:
            if not plausible_gpu_price(price):
                result.warnings.append(f"{gpu_id} {tier}: implausible price {price:g} USD/GPU-h skipped")
                continue
            result.gpu_offers.append(GpuOffer(
                provider=NAME, offering_key=f"{gpu_id}|{tier}", gpu_model=model, gpu_raw_name=gpu_id,
                gpu_count=1, tier=tier, usd_per_gpu_hour=price, usd_per_instance_hour=price,
                region=None, vram_gb=vram, source=NAME,
            ))
    return result


SOURCE = Source(
    name=NAME,
    kind="gpu",
    description="RunPod list prices per GPU-hour: REST v2 catalogue with stock (RUNPOD_API_KEY), else the keyless "
                "GraphQL gpuTypes (secure/community/spot/savings plans/cluster)",
    fetch=fetch,
    parse=parse,
    min_interval_s=1.0,
    parse_takes_url=True,
)
