"""RunPod list prices from the keyless GraphQL ``gpuTypes`` query.

Prices are USD per single GPU per hour and the same in every data center. The GraphQL API is
deprecated (retirement announced for early 2027; the keyed REST v2 ``/v2/catalog/gpus`` is its
replacement). Tiers emitted per GPU type, only when the GPU is offered there:

* ``secure`` (``securePrice``, when ``secureCloud``) and ``community`` (``communityPrice``,
  when ``communityCloud``);
* ``secure_spot`` / ``community_spot`` (the spot prices, same flags; RunPod ends spot pods on
  2026-09-11, after which the API stops quoting them);
* ``reserved_1w`` / ``reserved_1m`` / ``reserved_3m`` / ``reserved_6m`` (savings plans, a
  Secure Cloud product, so only when ``secureCloud``);
* ``cluster`` (``clusterPrice``, only when ``nodeGroupDatacenters`` lists somewhere to run it).

RunPod fills tiers a GPU is not offered in with placeholders (0, 0.5, or a stale price):
a tier is recorded only when its flag is true and its price is > 0.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrapers.base import Source, parse_json
from scrapers.errors import ParseError
from scrapers.gpu_names import normalise, unknown_name_warning
from scrapers.http import HttpClient
from scrapers.records import MAX_PLAUSIBLE_USD_PER_GPU_HOUR, FetchFailure, GpuOffer, ParseResult, RawPayload
from scrapers.values import finite_number

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


def fetch(client: HttpClient, settings: Settings) -> list[RawPayload | FetchFailure]:
    return [client.try_fetch(NAME, "POST", URL, ext="json", json={"query": QUERY},
                             headers={"Content-Type": "application/json"})]


def _gpu_types(doc: Any, origin: str) -> list[Any]:
    if isinstance(doc, list):
        return doc
    if not isinstance(doc, dict):
        raise ParseError(NAME, "data.gpuTypes", f"expected a JSON object or list, got {type(doc).__name__}", origin)
    if doc.get("errors"):
        first = doc["errors"][0]
        message = first.get("message", first) if isinstance(first, dict) else first
        raise ParseError(NAME, "errors", f"GraphQL error: {message}", origin)
    gpu_types = (doc.get("data") or {}).get("gpuTypes") if isinstance(doc.get("data"), dict) else None
    if not isinstance(gpu_types, list):
        raise ParseError(NAME, "data.gpuTypes", "missing or not a list (did the query or schema change?)", origin)
    return gpu_types


def _price(item: dict[str, Any], key: str, path: str, origin: str) -> float | None:
    value = item.get(key)
    if value is None:
        return None
    return finite_number(value, source=NAME, field=f"{path}.{key}", origin=origin)  # no NaN, inf, overflow


def parse(body: bytes, *, ext: str = "json", origin: str = "<payload>") -> ParseResult:
    doc = parse_json(NAME, body, field="data.gpuTypes", origin=origin)

    result = ParseResult()
    for i, item in enumerate(_gpu_types(doc, origin)):
        path = f"data.gpuTypes[{i}]"
        if not isinstance(item, dict):
            raise ParseError(NAME, path, "expected an object", origin)
        for key in _REQUIRED:
            if key not in item:
                raise ParseError(NAME, f"{path}.{key}", "missing", origin)
        gpu_id = item["id"]
        if not isinstance(gpu_id, str) or not gpu_id or gpu_id == "unknown":
            continue  # RunPod lists a placeholder type "unknown"
        vram = finite_number(item["memoryInGb"], source=NAME, field=f"{path}.memoryInGb", origin=origin,
                             minimum=0, accept_text=True) if item.get("memoryInGb") else None
        model = normalise(NAME, gpu_id, vram)
        offers = []
        for tier, key, flag in _TIERS:
            price = _price(item, key, path, origin)
            if item.get(flag) is True and price is not None and price > 0:
                offers.append((tier, price))
        cluster = _price(item, "clusterPrice", path, origin)
        if item.get("nodeGroupDatacenters") and cluster is not None and cluster > 0:
            offers.append(("cluster", cluster))
        if offers and model is None:
            result.warnings.append(unknown_name_warning(NAME, gpu_id, vram))
        for tier, price in offers:
            if price > MAX_PLAUSIBLE_USD_PER_GPU_HOUR:
                result.warnings.append(f"{gpu_id} {tier}: implausible price {price} USD/GPU-h skipped")
                continue
            result.gpu_offers.append(GpuOffer(
                provider=NAME, offering_key=f"{gpu_id}|{tier}", gpu_model=model, gpu_raw_name=gpu_id,
                gpu_count=1, tier=tier, usd_per_gpu_hour=price, usd_per_instance_hour=price,
                region=None, vram_gb=vram,
            ))
    return result


SOURCE = Source(
    name=NAME,
    kind="gpu",
    description="RunPod list prices per GPU-hour (keyless GraphQL gpuTypes; secure/community/spot/savings plans)",
    fetch=fetch,
    parse=parse,
    min_interval_s=1.0,
)
