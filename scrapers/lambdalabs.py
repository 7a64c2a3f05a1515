"""Lambda on-demand prices: the public pricing page, or the instance-types API with a key.

* Without ``LAMBDA_API_KEY``: ``GET https://lambda.ai/pricing`` (server-rendered HTML). Rows
  are ``table tbody tr`` with the plan in ``th`` and cells ``td[data-label=...]``; prices are
  per GPU ("PRICE/GPU/HR*"). Since December 2025 the GPU count lives in a tab strip
  (``8x | 4x | 2x | 1x``): each ``[role=tabpanel]`` holds its own table and its
  ``aria-labelledby`` tab says the count. Older pages put it in the plan ("8x NVIDIA H100").
  Tables under a Reserved / 1-Click Cluster heading are not on-demand and are skipped.
* With a key: ``GET https://cloud.lambda.ai/api/v1/instance-types`` (Bearer).
  ``price_cents_per_hour`` is per instance; ``specs.gpus`` is the GPU count.

Both give one ``GpuOffer`` per instance size, tier ``on_demand``, with the per-GPU and the
per-instance price and the instance shape (vCPUs, RAM, disk) where stated. ``offering_key`` is
``"<count>x <canonical model>|on_demand"`` (the raw plan when the model is unknown), the same
from the page and the API, so switching between them continues the same series. The price does
not vary by region, so ``region`` is None; the API's ``regions_with_capacity_available`` gives
``available`` (an empty list means sold out, not "not offered") and ``available_in``.

Every number goes through the shared boundary (``scrapers.values``): a GPU count must be a whole
number in 1..1024 (0 is a CPU instance type), a per-GPU price must be plausible
(``plausible_gpu_price``, the bound every GPU source shares); anything else is skipped with a
warning (page) or is a ``ParseError`` when the API sends a wrongly typed or non-finite value.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from scrapers.base import Source, parse_json
from scrapers.errors import ParseError
from scrapers.gpu_names import NOMINAL_VRAM_GB, normalise, unknown_name_warning
from scrapers.http import HttpClient
from scrapers.limits import check_html_depth
from scrapers.records import FetchFailure, GpuOffer, ParseResult, RawPayload
from scrapers.values import finite_number, plausible_gpu_price, positive_count

if TYPE_CHECKING:  # pragma: no cover
    from core.settings import Settings

NAME = "lambda"
PAGE_URL = "https://lambda.ai/pricing"
API_URL = "https://cloud.lambda.ai/api/v1/instance-types"
TIER = "on_demand"

_NOT_ON_DEMAND = re.compile(r"reserv|cluster|1-click|commit|\byears?\b|contract", re.I)
_NUMBER = re.compile(r"([-+]?\d+(?:[.,]\d+)*(?:[eE][-+]?\d+)?)")
_SIZE = re.compile(r"([\d.]+)\s*(TiB|TB|GiB|GB)\b", re.I)
_COUNT_PREFIX = re.compile(r"^\s*(\d+)\s*x\s+", re.I)
_COUNT_LABEL = re.compile(r"^\s*(\d+)\s*x\b", re.I)
_VRAM_IN_DESCRIPTION = re.compile(r"\((\d+)\s*GB", re.I)
PRICE_SELECTOR = 'td[data-label*="PRICE" i]'
MAX_GPUS = 1024


def fetch(client: HttpClient, settings: Settings) -> list[RawPayload | FetchFailure]:
    key = getattr(settings, "lambda_api_key", None)
    url = API_URL if key else PAGE_URL
    if key:
        return [client.try_fetch(NAME, "GET", url, ext="json",
                                 headers={"Authorization": f"Bearer {key}", "Accept": "application/json"})]
    return [client.try_fetch(NAME, "GET", url, ext="html", headers={"Accept": "text/html"})]


def parse(body: bytes, *, ext: str, origin: str = "<payload>") -> ParseResult:
    if ext == "html":
        return parse_page(body, origin=origin)
    if ext == "json":
        return parse_api(body, origin=origin)
    raise ParseError(NAME, "ext", f"cannot parse a .{ext} payload (expected html or json)", origin)


# --- shared -------------------------------------------------------------------------------

def _offer(result: ParseResult, seen: set[str], *, raw: str, model: str | None, count: int, usd_gpu: float,
           usd_instance: float, vram: float | None, alt_key: str | None = None,
           shape: dict[str, Any] | None = None) -> None:
    if not plausible_gpu_price(usd_gpu):
        result.warnings.append(f"{count}x {raw}: price {usd_gpu:g} USD/GPU-h is not plausible (not finite, not "
                               "positive or above the bound); skipped")
        return
    if model is None:
        result.warnings.append(unknown_name_warning(NAME, raw, vram))
    label = model or (f"{raw} {vram:g}GB" if vram else raw)
    key = f"{count}x {label}|{TIER}"
    if key in seen:
        if alt_key is None:
            result.warnings.append(f"duplicate offering {key!r} ({raw}) skipped")
            return
        key = f"{count}x {label} ({alt_key})|{TIER}"
    seen.add(key)
    result.gpu_offers.append(GpuOffer(
        provider=NAME, offering_key=key, gpu_model=model, gpu_raw_name=raw, gpu_count=count, tier=TIER,
        usd_per_gpu_hour=round(usd_gpu, 6), usd_per_instance_hour=round(usd_instance, 6), region=None,
        vram_gb=vram if vram is not None else (float(NOMINAL_VRAM_GB[model]) if model else None),
        source=NAME, **(shape or {}),
    ))


# --- pricing page -------------------------------------------------------------------------

def _tables_with_headings(tree: LexborHTMLParser) -> list[tuple[LexborNode, str]]:
    """Every table in document order with the text of the last heading before it."""
    heading = ""
    found: list[tuple[LexborNode, str]] = []
    root = tree.body or tree.root
    if root is None:
        return found
    for node in root.traverse():
        if node.tag in ("h1", "h2", "h3", "h4"):
            heading = node.text(strip=True)
        elif node.tag == "table":
            found.append((node, heading))
    return found


def _tab_count(tree: LexborHTMLParser, table: LexborNode) -> int | None:
    node = table.parent
    while node is not None and node.attributes.get("role") != "tabpanel":
        node = node.parent
    if node is None:
        return None
    tab_id = node.attributes.get("aria-labelledby")
    tab = tree.css_first(f'[id="{tab_id}"]') if tab_id else None
    match = _COUNT_LABEL.match(tab.text(strip=True)) if tab is not None else None
    return int(match[1]) if match else None


def _number(text: str) -> float | None:
    """The first number in a cell ("$2.99", "1,800 GiB"); None when there is none or it is not
    finite (an overflowing "1e400")."""
    match = _NUMBER.search(text)
    if not match:
        return None
    try:
        return finite_number(match[1].replace(",", ""), source=NAME, field="cell", accept_text=True)
    except ParseError:
        return None


def _size_gb(text: str) -> float | None:
    """A memory or disk size cell ("1800 GiB", "22 TiB SSD") in GB (GiB, as Lambda states them)."""
    match = _SIZE.search(text)
    if not match:
        return None
    try:
        number = finite_number(match[1], source=NAME, field="cell", accept_text=True, minimum=0)
    except ParseError:
        return None
    return number * 1024 if match[2].upper().startswith("T") else number


def _page_shape(row: LexborNode) -> dict[str, Any]:
    cells = {label: _cell(row, label, exact=label != "VCPU") for label in ("VCPU", "RAM", "STORAGE")}
    vcpus = _number(cells["VCPU"].text(strip=True)) if cells["VCPU"] is not None else None
    return {
        "vcpus": vcpus if vcpus is not None and vcpus > 0 else None,
        "ram_gb": _size_gb(cells["RAM"].text(strip=True)) if cells["RAM"] is not None else None,
        "disk_gb": _size_gb(cells["STORAGE"].text(strip=True)) if cells["STORAGE"] is not None else None,
    }


def _cell(row: LexborNode, label: str, *, exact: bool = False) -> LexborNode | None:
    """The cell whose data-label contains ``label`` (is it, with ``exact``: "RAM" is not "VRAM/GPU")."""
    for td in row.css("td[data-label]"):
        text = (td.attributes.get("data-label") or "").strip().upper()
        if (text == label) if exact else (label in text):
            return td
    return None


def _page_row(result: ParseResult, seen: set[str], row: LexborNode, tab_count: int | None) -> bool:
    """One table row as an offering; True when the row had a price (offered or skipped)."""
    th, price_td = row.css_first("th"), _cell(row, "PRICE")
    if th is None or price_td is None:
        return False  # sub-heading rows such as "On-Demand"
    price = _number(price_td.text(strip=True))
    if price is None:
        return False  # "Contact sales" and the like
    plan = " ".join(th.text(strip=True).split())
    count = tab_count
    if (prefix := _COUNT_PREFIX.match(plan)) is not None:
        count, plan = count or int(prefix[1]), plan[prefix.end():]
    if not count or not 1 <= count <= MAX_GPUS:
        result.warnings.append(f"{plan}: no usable GPU count ({count!r}: no tab label or 'Nx' prefix, or not in "
                               f"1..{MAX_GPUS}); row skipped")
        return True
    label = (price_td.attributes.get("data-label") or "").upper()
    per_gpu = "GPU" in label or "GPU" in price_td.text().upper()
    vram_td = _cell(row, "VRAM")
    vram = _number(vram_td.text(strip=True)) if vram_td is not None else None
    vram = vram if vram is not None and vram > 0 else None
    usd_gpu, usd_instance = (price, price * count) if per_gpu else (price / count, price)
    _offer(result, seen, raw=plan, model=normalise(NAME, plan, vram), count=count, usd_gpu=usd_gpu,
           usd_instance=usd_instance, vram=vram, shape=_page_shape(row))
    return True


def parse_page(body: bytes, *, origin: str = "<payload>") -> ParseResult:
    check_html_depth(body, source=NAME, origin=origin)  # lexbor is quadratic in nesting depth
    tree = LexborHTMLParser(body.decode("utf-8", errors="replace"))
    if not tree.css("table tbody tr"):
        raise ParseError(NAME, "table tbody tr",
                         "no pricing table rows on the page (error page, captcha or a redesign?)", origin)
    result: ParseResult = ParseResult()
    seen: set[str] = set()
    priced_rows = 0
    for table, heading in _tables_with_headings(tree):
        if _NOT_ON_DEMAND.search(heading):
            continue  # reserved / 1-Click Cluster prices are other tiers, never on-demand
        tab_count = _tab_count(tree, table)
        for row in table.css("tbody tr"):
            priced_rows += _page_row(result, seen, row, tab_count)
    if not result.gpu_offers:
        where = "no priced row" if not priced_rows else "no on-demand row with a usable price"
        raise ParseError(NAME, PRICE_SELECTOR, f"{where} in the pricing tables (page layout changed?)", origin)
    return result


# --- instance-types API -------------------------------------------------------------------

def _required(obj: dict[str, Any], key: str, path: str, origin: str) -> Any:
    if not isinstance(obj, dict) or obj.get(key) is None:
        raise ParseError(NAME, f"{path}.{key}", "missing", origin)
    return obj[key]


def _api_shape(specs: dict[str, Any], path: str, origin: str) -> dict[str, Any]:
    shape: dict[str, Any] = {}
    for key, column in (("vcpus", "vcpus"), ("memory_gib", "ram_gb"), ("storage_gib", "disk_gb")):
        value = specs.get(key)
        if value is not None:
            number = finite_number(value, source=NAME, field=f"{path}.{key}", origin=origin, minimum=0)
            shape[column] = number or None
    return shape


def _capacity(entry: dict[str, Any], path: str, origin: str) -> dict[str, Any]:
    """``available`` / ``available_in`` from ``regions_with_capacity_available`` (absent: not said)."""
    if "regions_with_capacity_available" not in entry:
        return {}
    regions = entry["regions_with_capacity_available"]
    if not isinstance(regions, list):
        raise ParseError(NAME, f"{path}.regions_with_capacity_available", "expected a list", origin)
    names = sorted({str(r.get("name")) for r in regions if isinstance(r, dict) and r.get("name")})
    return {"available": bool(names), "available_in": ",".join(names) or None}


def parse_api(body: bytes, *, origin: str = "<payload>") -> ParseResult:
    doc = parse_json(NAME, body, field="data", origin=origin)
    if isinstance(doc, dict) and isinstance(doc.get("error"), dict):
        raise ParseError(NAME, "error", f"API error: {str(doc['error'].get('message', doc['error']))[:200]}", origin)
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, dict):
        raise ParseError(NAME, "data", "missing or not an object of instance types", origin)
    result: ParseResult = ParseResult()
    seen: set[str] = set()
    if data and not any(isinstance(v, dict) and "regions_with_capacity_available" in v for v in data.values()):
        result.warnings.append("schema drift: no instance type has 'regions_with_capacity_available'; "
                               "availability not recorded")
    for name in sorted(data):
        path = f"data.{name}"
        itype = _required(data[name], "instance_type", path, origin)
        cents = finite_number(_required(itype, "price_cents_per_hour", f"{path}.instance_type", origin),
                              source=NAME, field=f"{path}.instance_type.price_cents_per_hour", origin=origin)
        specs = _required(itype, "specs", f"{path}.instance_type", origin)
        field = f"{path}.instance_type.specs.gpus"
        gpus_value = finite_number(_required(specs, "gpus", f"{path}.instance_type.specs", origin), source=NAME,
                                   field=field, origin=origin)
        if gpus_value == 0:
            continue  # CPU-only instance types
        gpus = positive_count(gpus_value, source=NAME, field=field, origin=origin, maximum=MAX_GPUS)
        description = itype.get("gpu_description") or ""
        if not isinstance(description, str):
            raise ParseError(NAME, f"{path}.instance_type.gpu_description", "expected text", origin)
        match = _VRAM_IN_DESCRIPTION.search(description)
        vram = float(match[1]) if match else None
        # The instance name first (it settles Lambda's odd ones, e.g. gpu_8x_a100 = 40 GB SXM4),
        # then the description ("H100 (80 GB SXM5)") for names the table does not know yet.
        model = normalise(NAME, name, vram) or (normalise(NAME, description, vram) if description else None)
        usd_instance = cents / 100
        _offer(result, seen, raw=name, model=model, count=gpus, usd_gpu=usd_instance / gpus,
               usd_instance=usd_instance, vram=vram, alt_key=name,
               shape={**_api_shape(specs, f"{path}.instance_type.specs", origin),
                      **_capacity(data[name], path, origin)})
    return result


SOURCE = Source(
    name=NAME,
    kind="gpu",
    description="Lambda on-demand prices per instance size (lambda.ai/pricing page; instance-types API with "
                "LAMBDA_API_KEY: also capacity per region)",
    fetch=fetch,
    parse=parse,
    min_interval_s=1.0,
)
