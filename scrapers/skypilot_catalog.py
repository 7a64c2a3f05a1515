"""SkyPilot's public multi-cloud catalogue: GPU prices of ~20 clouds, keyless.

``https://raw.githubusercontent.com/skypilot-org/skypilot-catalog/<ref>/catalogs/v8/<cloud>/vms.csv``
is rewritten by SkyPilot's scheduled fetchers (every few hours for most clouds) and committed, so
the repository's git history is a price history too (``pricewatch backfill skypilot``). One CSV
per cloud folder; any folder is accepted (``shadeform``, ``aws``, ``seeweb``...). The payload
does not say which cloud it is: ``parse`` reads it from the URL (live and backfill: the raw URL;
replay: the snapshot name ``<UTC timestamp>__<cloud>.csv``).

Every GPU row becomes an observation, columns read by header name (the column set and order
differ per cloud):

* ``provider`` is the cloud that rents the GPU: the folder (``aws``), or for the marketplaces the
  prefix of ``InstanceType`` (shadeform's ``crusoe_A100-80GBx2`` is provider ``crusoe``; Prime
  Intellect's ``datacrunch__8xH100...`` is ``verda``), mapped by ``scrapers.registry.provider_id``;
  ``source`` is ``skypilot_catalog`` and ``catalog`` the folder, so the catalogue stays apart
  from the provider in provenance;
* ``Price`` (USD per instance-hour) is tier ``on_demand`` (RunPod rows: ``secure``/``community``
  from the instance name), ``SpotPrice`` tier ``spot``; both give per-GPU and per-instance prices.
  Empty prices give no row (Verda and Prime Intellect list spot-only rows; AWS ``p5e`` rows
  have no on-demand price). Vast's ``SpotPrice`` is a ``0.00`` placeholder and RunPod's repeats
  its price, so neither is read as spot;
* ``region`` is the catalogue's ``Region``; rows repeated per availability zone collapse into one
  per region (the lowest price; on-demand prices do not differ by zone in these files);
* ``vcpus``/``ram_gb``/``disk_gb`` from ``vCPUs``/``MemoryGiB``/``StorageGiB`` where the file has them
  (Vast's fixed 32/64 placeholders read as NULL);
* the GPU is named from ``AcceleratorName`` with the form factor the instance name states
  (``sxm5``, ``PCIe``, HBM3, Verda's ``80S``), its VRAM per GPU from ``GpuInfo``, whose memory unit
  differs per cloud (GiB for shadeform and runpod; the instance total for primeintellect and vast;
  MiB per GPU elsewhere). GCP's accelerator rows (empty ``InstanceType``) price the GPUs without
  the host VM.

CPU-only rows and TPU/Inferentia/Trainium rows are not GPU offers (skipped, counted in a
warning); rows whose numbers do not read, counts that are not whole, and prices that are not
plausible are skipped with a warning; a file that is truncated, not a CSV or lacks a needed
column is a ``ParseError``. The parse works on columns (Arrow), one Python step per distinct
instance type, so a 3.6 MB AWS file loads in bulk.
"""
from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from scrapers.base import Source, looks_like_html_error
from scrapers.errors import ParseError
from scrapers.gpu_names import normalise, unknown_name_warning
from scrapers.http import HttpClient
from scrapers.records import MAX_PLAUSIBLE_USD_PER_GPU_HOUR, FetchFailure, ParseResult, RawPayload
from scrapers.registry import provider_id

if TYPE_CHECKING:  # pragma: no cover
    from core.settings import Settings

NAME = "skypilot_catalog"
REPOSITORY = "skypilot-org/skypilot-catalog"
CATALOG_VERSION = "v8"
# Clouds collected by the daily run. Any other folder of the catalogue parses too.
DEFAULT_CLOUDS = (
    "shadeform", "nebius", "verda", "hyperstack", "primeintellect", "aws", "gcp", "azure", "oci", "seeweb",
    "cudo", "runpod", "vast", "lambda",
)
MAX_GPUS = 1024
SKIP_EXAMPLES = 3

# How GpuInfo states GPU memory ("memory units that lie"): GiB instead of MiB, and the total of
# the instance instead of one GPU. Clouds not listed: MiB per GPU (a value under 1024 is GiB).
_MEMORY_IN_GIB = frozenset({"shadeform", "runpod"})
_MEMORY_IS_TOTAL = frozenset({"primeintellect", "vast"})
# Columns that are placeholders in a cloud's file, not data.
_SPOT_IS_PLACEHOLDER = frozenset({"vast", "runpod"})
_SHAPE_IS_PLACEHOLDER = frozenset({"vast"})
# Marketplaces whose InstanceType starts with the underlying cloud, and the separator.
_MARKETPLACE_PREFIX = {"shadeform": "_", "primeintellect": "__"}
_NOT_GPUS = re.compile(r"^(tpu|inferentia|trainium)", re.I)
_NUMBER = r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$"
# Read when present: SpotPrice, GpuInfo, vCPUs, MemoryGiB, StorageGiB (hyperbolic), UpstreamCloudId.
REQUIRED_COLUMNS = ("InstanceType", "AcceleratorName", "AcceleratorCount", "Price", "Region")

# Columns every SkyPilot vms.csv has had, and what is lost without them.
_EXPECTED_COLUMNS = (("SpotPrice", "spot prices"), ("GpuInfo", "GPU memory"), ("vCPUs", "vCPUs"),
                     ("MemoryGiB", "RAM"))
_CLOUD_IN_URL = re.compile(r"/catalogs/v\d+/(?P<cloud>[A-Za-z0-9_.-]+)/vms\.csv")
_CLOUD_IN_NAME = re.compile(r"__(?P<cloud>[A-Za-z][A-Za-z0-9_-]*)\.csv(?:\.gz)?$")
_CLOUD_IN_FIXTURE = re.compile(r"(?:^|/)(?P<cloud>[a-z][a-z0-9-]*)_vms(?:_[a-z_]+)?\.csv$")

# GpuInfo is a Python literal in most files and JSON in others: read the two fields by pattern.
_GPU_INFO_NAME = re.compile(r"""['"]Name['"]\s*:\s*['"]([^'"]*)['"]""")
_GPU_INFO_SIZE = re.compile(r"""['"]SizeInMiB['"]\s*:\s*([0-9.eE+]+)""")
# Form factor stated by an instance name or upstream id.
_HINTS = (
    (re.compile(r"SXM\d?|HBM3|MEGA", re.I), "SXM"),
    (re.compile(r"(?<=\d)S\.\d", re.I), "SXM"),  # Verda / DataCrunch: 1H100.80S.30V = 80 GB SXM
    (re.compile(r"PCIE", re.I), "PCIe"),
    (re.compile(r"\bNVL\b|_NVL_|-NVL\b", re.I), "NVL"),
)
_VAST_INSTANCE = re.compile(r"^\d+x-(?P<name>.+)-\d+-\d+$")


def raw_url(cloud: str, ref: str = "master") -> str:
    return (f"https://raw.githubusercontent.com/{REPOSITORY}/{ref}/catalogs/{CATALOG_VERSION}/"
            f"{cloud}/vms.csv")


def catalog_path(cloud: str) -> str:
    return f"catalogs/{CATALOG_VERSION}/{cloud}/vms.csv"


def fetch(client: HttpClient, settings: Settings | None) -> list[RawPayload | FetchFailure]:
    """The newest catalogue of every default cloud (one keyless GET each)."""
    return [client.try_fetch(NAME, "GET", raw_url(cloud), ext="csv", headers={"Accept": "text/csv, text/plain"})
            for cloud in DEFAULT_CLOUDS]


def cloud_of(url: str | None, origin: str = "") -> str | None:
    """The catalogue folder a payload came from: the raw URL, a replayed ``<ts>__<cloud>.csv``, or
    a fixture named ``<cloud>_vms.csv``."""
    for text in (url or "", origin):
        for pattern in (_CLOUD_IN_URL, _CLOUD_IN_NAME, _CLOUD_IN_FIXTURE):
            match = pattern.search(text)
            if match and not re.fullmatch(r"[0-9a-f]{12}", match["cloud"]):  # archive names end in a hash
                return match["cloud"].lower()
    return None


# --- reading the CSV ------------------------------------------------------------------------

def _read_table(body: bytes, origin: str) -> pa.Table:
    if looks_like_html_error(body):
        raise ParseError(NAME, "csv", "got an HTML page where a catalogue CSV was expected", origin)
    if not body.strip():
        raise ParseError(NAME, "csv", "empty file", origin)
    if not body.endswith(b"\n"):
        raise ParseError(NAME, "csv", "truncated: the file does not end with a line break (a cut download?)",
                         origin)
    header_line = body.split(b"\n", 1)[0].rstrip(b"\r").lstrip(b"\xef\xbb\xbf")
    try:
        header = [h.strip() for h in header_line.decode("utf-8").split(",")]
    except UnicodeDecodeError:
        raise ParseError(NAME, "header", "the header is not UTF-8 text", origin) from None
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ParseError(NAME, missing[0], f"column missing from the header {header[:12]} (not a SkyPilot "
                                           "vms.csv, or the format changed)", origin)
    if len(set(header)) != len(header):
        raise ParseError(NAME, "header", f"duplicate column names in {header[:12]}", origin)
    try:
        return pcsv.read_csv(
            io.BytesIO(body),
            read_options=pcsv.ReadOptions(column_names=header, skip_rows=1),
            parse_options=pcsv.ParseOptions(newlines_in_values=False),
            convert_options=pcsv.ConvertOptions(column_types={c: pa.string() for c in header},
                                                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise ParseError(NAME, "csv", f"not a readable CSV: {str(exc)[:200]}", origin) from None


def _text(table: pa.Table, name: str) -> pa.Array:
    if name in table.column_names:
        return pc.utf8_trim_whitespace(table[name].combine_chunks())
    return pa.array([""] * table.num_rows, pa.string())


def _number(column: pa.Array) -> tuple[pa.Array, pa.Array]:
    """(float64 with NULL for empty or unreadable text, mask of unreadable non-empty text)."""
    readable = pc.match_substring_regex(column, _NUMBER)
    empty = pc.equal(column, "")
    values = pc.cast(pc.if_else(readable, column, pa.scalar(None, pa.string())), pa.float64())
    return values, pc.and_(pc.invert(readable), pc.invert(empty))


# --- one Python step per distinct instance type -------------------------------------------------

@dataclass(frozen=True)
class _Gpu:
    provider: str
    model: str | None
    raw: str
    vram: float | None
    label: str  # the instance's id inside the offering key


def _vram_per_gpu(cloud: str, gpu_info: str, count: float) -> float | None:
    match = _GPU_INFO_SIZE.search(gpu_info)
    if match is None:
        return None
    try:
        size = float(match[1])
    except ValueError:
        return None
    if not size > 0 or size == float("inf"):
        return None
    gib = size if cloud in _MEMORY_IN_GIB or (size < 1024 and cloud not in _MEMORY_IS_TOTAL) else size / 1024
    if cloud in _MEMORY_IS_TOTAL and count >= 1:
        gib /= count
    return round(gib, 2)


def _provider(cloud: str, instance: str) -> str:
    separator = _MARKETPLACE_PREFIX.get(cloud)
    if separator and separator in instance:
        prefix = instance.split(separator, 1)[0].lower()
        # Prime Intellect's anonymous partner data centres ("dc_roan", "dc_wildebeest") are
        # rented through Prime Intellect.
        return "primeintellect" if prefix.startswith("dc_") else provider_id(prefix)
    return provider_id(cloud)


def _gpu(cloud: str, instance: str, upstream: str, accelerator: str, gpu_info: str, count: float) -> _Gpu:
    provider = _provider(cloud, instance)
    vram = _vram_per_gpu(cloud, gpu_info, count)
    named = _GPU_INFO_NAME.search(gpu_info)
    info_name = named[1].strip() if named else ""
    if cloud == "vast" and (vast := _VAST_INSTANCE.match(instance)):
        raw = vast["name"].replace("_", " ")  # Vast's own gpu_name, e.g. "RTX 4070S Ti"
        return _Gpu("vastai", normalise("vastai", raw, vram), raw, vram, instance)
    ids = f"{instance} {upstream}"
    hints = [label for pattern, label in _HINTS if pattern.search(ids)]
    hints = hints[:1]
    raw = " ".join([accelerator, *hints]) if accelerator else info_name
    # The provider's own instance id first (Lambda's gpu_1x_a100 is the PCIe card, its 8x the SXM4
    # node), then the accelerator with the form factor the ids state.
    model = next((m for name in (upstream, instance) if name and (m := normalise(provider, name, vram))), None) \
        or normalise(provider, raw, vram)
    if model is None and info_name and info_name != accelerator:  # RunPod: A100-80GB is "A100 PCIe"
        model = normalise(provider, f"{info_name} {' '.join(hints)}".strip(), vram)
    return _Gpu(provider, model, raw, vram, instance or f"{accelerator} x{count:g}")


def _tier_of(cloud: str, instance: str) -> str:
    if cloud == "runpod":
        if instance.upper().endswith("_COMMUNITY"):
            return "community"
        if instance.upper().endswith("_SECURE"):
            return "secure"
    return "on_demand"


# --- parse -------------------------------------------------------------------------------------

def _skip_warning(reason: str, examples: list[str], count: int) -> str:
    more = f" and {count - len(examples)} more" if count > len(examples) else ""
    return f"{count} row(s) skipped: {reason}: {', '.join(examples)}{more}"


def _warn_rows(result: ParseResult, reason: str, mask: pa.Array, labels: pa.Array) -> None:
    n = pc.sum(pc.cast(mask, pa.int64())).as_py() or 0
    if n:
        result.warnings.append(_skip_warning(reason, labels.filter(mask).slice(0, SKIP_EXAMPLES).to_pylist(), n))


def _gpu_rows(table: pa.Table, result: ParseResult) -> tuple[pa.Table, pa.Array]:
    """The rows that are GPU offers, and their GPU count; others counted in warnings."""
    accelerator = _text(table, "AcceleratorName")
    count, bad_count_text = _number(_text(table, "AcceleratorCount"))
    labels = pc.binary_join_element_wise(_text(table, "InstanceType"), accelerator, " ")
    no_gpu = pc.or_(pc.equal(accelerator, ""), pc.fill_null(pc.less_equal(count, 0), False))
    not_gpu = pc.and_(pc.invert(no_gpu), pc.match_substring_regex(accelerator, _NOT_GPUS.pattern, ignore_case=True))
    if pc.any(not_gpu).as_py():
        kinds = sorted(set(accelerator.filter(not_gpu).to_pylist()))
        result.warnings.append(f"{pc.sum(pc.cast(not_gpu, pa.int64())).as_py()} row(s) of non-GPU accelerators "
                               f"skipped ({', '.join(kinds[:6])})")
    candidate = pc.and_(pc.invert(no_gpu), pc.invert(not_gpu))
    whole = pc.fill_null(pc.and_(pc.and_(pc.is_finite(count), pc.equal(count, pc.floor(count))),
                                 pc.less_equal(count, MAX_GPUS)), False)
    bad = pc.and_(pc.or_(candidate, bad_count_text), pc.invert(whole))
    _warn_rows(result, f"AcceleratorCount is not a whole number of GPUs in 1..{MAX_GPUS}", bad, labels)
    keep = pc.and_(candidate, whole)
    return table.filter(keep), count.filter(keep)


def parse(body: bytes, *, ext: str = "csv", origin: str = "<payload>", url: str | None = None) -> ParseResult:
    cloud = cloud_of(url, origin)
    if cloud is None:
        raise ParseError(NAME, "cloud", "cannot tell which cloud's catalogue this is: expected a URL "
                                        ".../catalogs/v8/<cloud>/vms.csv or a file named <timestamp>__<cloud>.csv",
                         origin)
    table = _read_table(body, origin)
    result = ParseResult(warnings=[
        f"schema drift: no column {column!r} in this catalogue; {what} not recorded"
        for column, what in _EXPECTED_COLUMNS if column not in table.column_names])
    table, count = _gpu_rows(table, result)
    if table.num_rows == 0:
        return result
    base = _offer_columns(cloud, table, count, result)
    if cloud == "runpod":
        on_demand = pa.array([_tier_of(cloud, i) for i in _text(table, "InstanceType").to_pylist()], pa.string())
    else:
        on_demand = pa.array(["on_demand"] * table.num_rows, pa.string())
    pieces = [_priced(result, base, _text(table, "Price"), on_demand, "Price")]
    if cloud not in _SPOT_IS_PLACEHOLDER and "SpotPrice" in table.column_names:
        spot = pa.array(["spot"] * table.num_rows, pa.string())
        pieces.append(_priced(result, base, _text(table, "SpotPrice"), spot, "SpotPrice"))
    return _collapse(result, pa.concat_tables(pieces), cloud)


def _offer_columns(cloud: str, table: pa.Table, count: pa.Array, result: ParseResult) -> dict[str, pa.Array]:
    """The offer columns every price tier shares: the GPU each row describes, its count, region and
    shape (an unknown GPU name is warned about once)."""
    instance, upstream = _text(table, "InstanceType"), _text(table, "UpstreamCloudId")
    accelerator, gpu_info = _text(table, "AcceleratorName"), _text(table, "GpuInfo")
    # One Python step per distinct instance description, mapped back to the rows by index.
    key = pc.binary_join_element_wise(instance, upstream, accelerator, gpu_info, pc.cast(count, pa.string()), "\x1f")
    encoded = pc.dictionary_encode(key)
    indices = encoded.indices
    described = []
    for text in encoded.dictionary.to_pylist():
        inst, up, acc, info, n = text.split("\x1f")
        described.append(_gpu(cloud, inst, up, acc, info, float(n)))
    unknown = {(g.raw, g.vram) for g in described if g.model is None}
    for raw, vram in sorted(unknown, key=lambda u: (u[0], u[1] or 0.0)):
        result.warnings.append(unknown_name_warning(f"{NAME}/{cloud}", raw, vram))

    def per_row(get: Callable[[_Gpu], Any], kind: pa.DataType) -> pa.Array:
        return pc.take(pa.array([get(g) for g in described], kind), indices)

    region = _text(table, "Region")
    vcpus, _ = _number(_text(table, "vCPUs"))
    ram, _ = _number(_text(table, "MemoryGiB"))
    disk, _ = _number(_text(table, "StorageGiB"))
    if cloud in _SHAPE_IS_PLACEHOLDER:
        vcpus = ram = pa.nulls(table.num_rows, pa.float64())
    return {
        "provider": per_row(lambda g: g.provider, pa.string()),
        "gpu_model": per_row(lambda g: g.model, pa.string()),
        "gpu_raw_name": per_row(lambda g: g.raw, pa.string()),
        "vram_gb": per_row(lambda g: g.vram, pa.float64()),
        "label": per_row(lambda g: f"{cloud}/{g.label}" + (f" {g.vram:g}GB" if g.vram else ""), pa.string()),
        "gpu_count": count,
        "region": pc.if_else(pc.equal(region, ""), pa.scalar(None, pa.string()), region),
        "vcpus": _positive_or_null(vcpus),
        "ram_gb": _positive_or_null(ram),
        "disk_gb": _positive_or_null(disk),
    }


def _positive_or_null(values: pa.Array) -> pa.Array:
    ok = pc.fill_null(pc.and_(pc.is_finite(values), pc.greater(values, 0)), False)
    return pc.if_else(ok, values, pa.scalar(None, pa.float64()))


def _priced(result: ParseResult, base: dict[str, pa.Array], prices: pa.Array, tier: pa.Array,
            column: str) -> pa.Table:
    """The rows with a usable price in ``column``; empty prices give no row, unreadable or
    implausible ones are skipped with a warning."""
    price, unreadable = _number(prices)
    per_gpu = pc.divide(price, pc.cast(base["gpu_count"], pa.float64()))
    listed = pc.is_valid(price)
    plausible = pc.fill_null(pc.and_(pc.is_finite(per_gpu), pc.and_(
        pc.greater(per_gpu, 0.0), pc.less_equal(per_gpu, MAX_PLAUSIBLE_USD_PER_GPU_HOUR))), False)
    zero = pc.fill_null(pc.equal(price, 0.0), False)
    _warn_rows(result, f"{column} is not a number", unreadable, base["label"])
    _warn_rows(result, f"{column} per GPU-hour is not plausible (not finite, negative or above "
                       f"{MAX_PLAUSIBLE_USD_PER_GPU_HOUR:g} USD)",
               pc.and_(listed, pc.and_(pc.invert(plausible), pc.invert(zero))), base["label"])
    keep = pc.and_(listed, plausible)
    columns = {name: array.filter(keep) for name, array in base.items()}
    columns.update(tier=tier.filter(keep), usd_per_instance_hour=price.filter(keep),
                   usd_per_gpu_hour=per_gpu.filter(keep))
    return pa.table(columns)


def _collapse(result: ParseResult, rows: pa.Table, cloud: str) -> ParseResult:
    """One row per offering (instance, region, tier): availability zones collapse to the lowest
    price; the offering key names the catalogue folder, the instance and its GPU size."""
    if rows.num_rows == 0:
        return result
    keys = ["provider", "gpu_model", "gpu_raw_name", "vram_gb", "label", "gpu_count", "region", "tier"]
    grouped = rows.group_by(keys, use_threads=False).aggregate([
        ("usd_per_instance_hour", "min"), ("vcpus", "max"), ("ram_gb", "max"), ("disk_gb", "max")])
    n = grouped.num_rows
    region = pc.fill_null(grouped["region"], "")
    offering_key = pc.binary_join_element_wise(grouped["label"], pc.binary_join_element_wise(
        region, grouped["tier"], "|"), "@")
    price = grouped["usd_per_instance_hour_min"]
    count = grouped["gpu_count"]
    result.gpu_offers = pa.table({
        "provider": grouped["provider"],
        "offering_key": offering_key,
        "gpu_model": grouped["gpu_model"],
        "gpu_raw_name": grouped["gpu_raw_name"],
        "gpu_count": pc.cast(count, pa.int32()),
        "tier": grouped["tier"],
        "usd_per_gpu_hour": pc.divide(price, count),
        "usd_per_instance_hour": price,
        "region": grouped["region"],
        "vram_gb": grouped["vram_gb"],
        "source": pa.array([NAME] * n, pa.string()),
        "catalog": pa.array([cloud] * n, pa.string()),
        "vcpus": grouped["vcpus_max"],
        "ram_gb": grouped["ram_gb_max"],
        "disk_gb": grouped["disk_gb_max"],
    })
    return result


SOURCE = Source(
    name=NAME,
    kind="gpu",
    description="SkyPilot's multi-cloud GPU catalogue (keyless CSV per cloud: shadeform's ~15 clouds, AWS, GCP, "
                "Nebius, Verda, Hyperstack, Prime Intellect...): per-GPU and per-instance prices, spot, region, shape",
    fetch=fetch,
    parse=parse,
    min_interval_s=0.5,
    parse_takes_url=True,
)
