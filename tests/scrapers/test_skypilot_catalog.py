"""SkyPilot's multi-cloud catalogue: every GPU row an observation of the cloud that rents it, the
catalogue kept apart in provenance. The payloads are the real CSVs bundled as offline snapshots
(snapshots/skypilot_catalog/, provenance in snapshots/SOURCES.md); expected values are read off
those rows by hand or with the csv module, never from the parser."""
from __future__ import annotations

import csv
import io
from datetime import datetime

import httpx
import pyarrow as pa
import pytest
import respx

from core.paths import BUNDLED_SNAPSHOTS
from scrapers import skypilot_catalog as catalog
from scrapers.errors import ParseError
from scrapers.records import FetchFailure, RawPayload
from tests.scrapers.conftest import gpu_table, ingest, payload, query

SNAPSHOTS = BUNDLED_SNAPSHOTS / "skypilot_catalog"
STAMP = "2026-10-01T000000Z"
AT = datetime(2026, 10, 1)
RAW = "https://raw.githubusercontent.com/skypilot-org/skypilot-catalog"


def body(cloud: str) -> bytes:
    return (SNAPSHOTS / f"{STAMP}__{cloud}.csv").read_bytes()


def parsed(cloud: str):
    return catalog.parse(body(cloud), url=catalog.raw_url(cloud))


def offers(cloud: str) -> dict[str, dict]:
    return {row["offering_key"]: row for row in parsed(cloud).gpu_offers.to_pylist()}


def source_rows(cloud: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body(cloud).decode("utf-8"))))


# --- which cloud ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "origin", "cloud"), [
    (f"{RAW}/master/catalogs/v8/shadeform/vms.csv", "", "shadeform"),
    (f"{RAW}/0f4070387edc953d7004cff197940e1918a1d6aa/catalogs/v8/lambda/vms.csv", "", "lambda"),
    ("replay:skypilot_catalog/2026-10-01T000000Z__seeweb.csv", "", "seeweb"),
    (None, "snapshots/skypilot_catalog/2026-10-01T000000Z__aws.csv", "aws"),
    (None, "data/raw/skypilot_catalog/2026-10-01T000000Z__0123456789ab.csv.gz", None),  # an archive hash
])
def test_the_cloud_comes_from_the_url_or_the_snapshot_name(url, origin, cloud):
    assert catalog.cloud_of(url, origin) == cloud


def test_a_payload_of_no_known_cloud_is_a_parse_error_saying_how_to_name_it():
    with pytest.raises(ParseError) as err:
        catalog.parse(body("aws"), origin="somewhere.csv")
    assert err.value.field == "cloud" and "<timestamp>__<cloud>.csv" in err.value.message


# --- a marketplace: provider = the underlying cloud ------------------------------------------------

def test_shadeform_rows_are_priced_for_the_underlying_cloud_with_the_catalogue_as_source():
    # lambdalabs_H100-sxm5x2,H100,2.0,52.0,450,8.38,austin-usa-1 (and dallas-usa-3)
    row = offers("shadeform")["shadeform/lambdalabs_H100-sxm5x2 80GB@austin-usa-1|on_demand"]
    assert (row["provider"], row["source"], row["catalog"]) == ("lambda", "skypilot_catalog", "shadeform")
    assert (row["gpu_model"], row["gpu_count"], row["tier"], row["region"]) == ("H100 SXM 80GB", 2, "on_demand",
                                                                                 "austin-usa-1")
    assert (row["usd_per_instance_hour"], row["usd_per_gpu_hour"]) == (8.38, 4.19)
    assert (row["vcpus"], row["ram_gb"], row["vram_gb"]) == (52.0, 450.0, 80.0)


def test_shadeform_lists_about_fifteen_clouds_by_instance_prefix():
    providers = set(parsed("shadeform").gpu_offers["provider"].to_pylist())
    prefixes = {r["InstanceType"].split("_")[0] for r in source_rows("shadeform")}
    assert providers == {"lambda" if p == "lambdalabs" else p for p in prefixes}
    assert providers == {"crusoe", "denvr", "excesssupply", "hyperstack", "lambda", "massedcompute", "paperspace",
                         "scaleway", "vultr"}


def test_shadeform_memory_in_gib_reads_as_gb_per_gpu():
    # massedcompute_A6000x8: 'SizeInMiB': 48 (GiB per GPU), 'TotalGpuMemoryInMiB': 384
    row = offers("shadeform")["shadeform/massedcompute_A6000x8 48GB@kansascity-usa-1|on_demand"]
    assert (row["gpu_model"], row["vram_gb"], row["usd_per_gpu_hour"]) == ("RTX A6000 48GB", 48.0, 0.57)


def test_prime_intellect_rows_name_their_cloud_and_keep_spot_only_offers():
    rows = offers("primeintellect")
    # datacrunch__1xA100_80GB__22__120__SPOT: Price empty, SpotPrice 0.53, Region FI
    spot = rows["primeintellect/datacrunch__1xA100_80GB__22__120__SPOT 80GB@FI|spot"]
    assert (spot["provider"], spot["usd_per_gpu_hour"]) == ("verda", 0.53)
    assert not [k for k in rows if k.startswith("primeintellect/datacrunch__1xA100_80GB__22__120__SPOT")
                and k.endswith("|on_demand")]
    # lambdalabs__8xA100_80GB__240__1800 (upstream gpu_8x_a100_80gb_sxm4): SizeInMiB 655360 is the 8-GPU total
    node = rows["primeintellect/lambdalabs__8xA100_80GB__240__1800 80GB@US|on_demand"]
    assert (node["provider"], node["gpu_model"], node["vram_gb"], node["usd_per_gpu_hour"]) == (
        "lambda", "A100 SXM 80GB", 80.0, 1.79)


def test_prime_intellects_anonymous_partner_data_centres_are_prime_intellect():
    providers = set(parsed("primeintellect").gpu_offers["provider"].to_pylist())
    assert "primeintellect" in providers and not any(p.startswith("dc_") for p in providers)


# --- clouds of their own ----------------------------------------------------------------------------

def test_availability_zones_collapse_into_one_offering_per_region_and_tier():
    rows = offers("aws")
    expected = {(r["InstanceType"], r["Region"]) for r in source_rows("aws") if r["Price"]}
    on_demand = {k for k in rows if k.endswith("|on_demand")}
    assert len(on_demand) == len(expected)


def test_aws_spot_is_the_lowest_zone_price_of_the_region():
    rows = [r for r in source_rows("aws") if r["InstanceType"] == "p5.48xlarge" and r["Region"] == "us-east-1"]
    lowest = min(float(r["SpotPrice"]) for r in rows)
    offer = offers("aws")["aws/p5.48xlarge 80GB@us-east-1|spot"]
    assert (offer["usd_per_instance_hour"], offer["usd_per_gpu_hour"]) == (lowest, lowest / 8)
    assert (offer["provider"], offer["gpu_model"], offer["vcpus"], offer["ram_gb"]) == (
        "aws", "H100 SXM 80GB", 192.0, 2048.0)


def test_a_row_without_an_on_demand_price_gives_only_its_spot_offer():
    rows = offers("aws")  # p5e.48xlarge rows have an empty Price
    assert [k for k in rows if k.startswith("aws/p5e.48xlarge")]
    assert all(k.endswith("|spot") for k in rows if k.startswith("aws/p5e.48xlarge"))


def test_gcp_accelerator_rows_are_priced_without_a_host_vm():
    # ,,,A100-80GB,2,...,europe-west4,europe-west4-a,4.0657,4.3252: spot above on-demand is kept as published
    rows = offers("gcp")
    on_demand = rows["gcp/A100-80GB x2 80GB@europe-west4|on_demand"]
    spot = rows["gcp/A100-80GB x2 80GB@europe-west4|spot"]
    assert (on_demand["usd_per_instance_hour"], spot["usd_per_instance_hour"]) == (4.0657, 4.3252)
    assert (on_demand["gpu_model"], on_demand["vcpus"], on_demand["ram_gb"]) == ("A100 SXM 80GB", None, None)


def test_hyperstack_lists_one_instance_type_twice_with_different_memory_per_region():
    rows = offers("hyperstack")
    canada = rows["hyperstack/n3-H100-SXM5x8 80GB@CANADA-1|on_demand"]
    us = rows["hyperstack/n3-H100-SXM5x8 80GB@US-1|on_demand"]
    assert (canada["ram_gb"], us["ram_gb"], canada["gpu_model"]) == (1800.0, 960.0, "H100 SXM 80GB")
    assert rows["hyperstack/n3-A100x1 80GB@CANADA-1|on_demand"]["gpu_model"] == "A100 PCIe 80GB"


def test_verda_b300_reports_262_gib_and_is_the_288gb_card():
    # 1B300.30V: SizeInMiB 268288 = 262 GiB; Price 6.99, SpotPrice 2.447
    rows = offers("verda")
    assert rows["verda/1B300.30V 262GB@FIN-03|on_demand"]["gpu_model"] == "B300 288GB"
    assert rows["verda/1B300.30V 262GB@FIN-03|spot"]["usd_per_gpu_hour"] == 2.447


def test_nebius_cpu_rows_are_not_gpu_offers():
    providers_models = {(r["provider"], r["gpu_model"]) for r in parsed("nebius").gpu_offers.to_pylist()}
    assert all(model is not None for _, model in providers_models)
    assert len(parsed("nebius").gpu_offers) == len({(r["InstanceType"], r["Region"], tier)
                                                     for r in source_rows("nebius") if r["AcceleratorName"]
                                                     for tier, price in (("on", r["Price"]), ("spot", r["SpotPrice"]))
                                                     if price})


def test_vast_rows_carry_vasts_own_names_and_no_placeholder_spot_or_shape():
    rows = offers("vast")
    # 2x-RTX_4070S_Ti-32-65536,RTX4070,2,32,64.0,...'SizeInMiB': 32752 (both GPUs)...,0.36,0.00,"Bulgaria, BG, EU"
    row = rows["vast/2x-RTX_4070S_Ti-32-65536 15.99GB@Bulgaria, BG, EU|on_demand"]
    assert (row["provider"], row["gpu_raw_name"], row["gpu_model"]) == ("vastai", "RTX 4070S Ti",
                                                                        "RTX 4070 Ti SUPER 16GB")
    assert (row["usd_per_gpu_hour"], row["vcpus"], row["ram_gb"]) == (0.18, None, None)
    assert not [k for k in rows if k.endswith("|spot")]  # SpotPrice is 0.00 on every row


def test_vast_names_in_the_catalogue_all_map_to_a_canonical_model():
    result = parsed("vast")
    assert None not in gpu_table(result)["gpu_model"].to_pylist() and result.warnings == []


def test_a_48gb_rtx_4090_is_its_own_offering_and_model():
    rows = offers("vast")
    assert rows["vast/1x-RTX_4090-32-65536 47.99GB@Hong Kong, HK, AS|on_demand"]["gpu_model"] == "RTX 4090 48GB"
    assert rows["vast/1x-RTX_4090-32-65536 23.99GB@Germany, DE, EU|on_demand"]["gpu_model"] == "RTX 4090 24GB"


def test_runpod_rows_are_secure_cloud_and_their_copied_spot_price_is_ignored():
    rows = offers("runpod")
    row = rows["runpod/1x_A100-80GB_SECURE 80GB@IN|secure"]
    assert (row["gpu_model"], row["usd_per_gpu_hour"], row["vram_gb"]) == ("A100 PCIe 80GB", 1.39, 80.0)
    assert {r["tier"] for r in rows.values()} == {"secure"}


def test_lambda_names_its_1x_a100_pcie_and_its_8x_sxm4():
    rows = offers("lambda")
    assert rows["lambda/gpu_1x_a100 40GB@us-east-1|on_demand"]["gpu_model"] == "A100 PCIe 40GB"
    assert rows["lambda/gpu_8x_a100 40GB@us-east-1|on_demand"]["gpu_model"] == "A100 SXM 40GB"


def test_the_catalogue_parses_straight_to_columns():
    result = parsed("aws")
    assert isinstance(result.gpu_offers, pa.Table) and result.gpu_offers.num_rows == 79


# --- bad input -------------------------------------------------------------------------------------

def test_a_truncated_download_is_a_parse_error():
    cut = body("shadeform")[:10_000]
    with pytest.raises(ParseError) as err:
        catalog.parse(cut, url=catalog.raw_url("shadeform"))
    assert "truncated" in err.value.message


def test_a_missing_column_is_a_parse_error_naming_it():
    text = body("verda").decode().replace("Price,SpotPrice", "Cost,SpotPrice", 1)
    with pytest.raises(ParseError) as err:
        catalog.parse(text.encode(), url=catalog.raw_url("verda"))
    assert err.value.field == "Price"


def test_a_row_with_too_few_fields_is_a_parse_error():
    text = body("hyperstack").decode() + "n3-broken,L40,1\n"
    with pytest.raises(ParseError) as err:
        catalog.parse(text.encode(), url=catalog.raw_url("hyperstack"))
    assert err.value.field == "csv" and "Expected" in err.value.message


def test_an_html_error_page_is_a_parse_error():
    with pytest.raises(ParseError):
        catalog.parse(b"<!DOCTYPE html><html><body>404: Not Found</body></html>\n", url=catalog.raw_url("aws"))


@pytest.mark.parametrize(("price", "reason"), [("nan", "not a number"), ("abc", "not a number"),
                                                ("1e400", "not plausible"), ("-4.0", "not plausible"),
                                                ("900", "not plausible")])
def test_a_bad_price_skips_the_row_with_a_warning(price, reason):
    header, first, *rest = body("hyperstack").decode().splitlines(keepends=True)
    fields = next(csv.reader([first]))
    fields[6] = price  # Price of n3-A100x1
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(fields)
    result = catalog.parse((header + out.getvalue() + "".join(rest)).encode(), url=catalog.raw_url("hyperstack"))
    keys = set(gpu_table(result)["offering_key"].to_pylist())
    assert "hyperstack/n3-A100x1 80GB@CANADA-1|on_demand" not in keys and len(keys) == 24
    assert any(reason in w and "n3-A100x1" in w for w in result.warnings)


@pytest.mark.parametrize("count", ["0.5", "-8", "nan", "2000"])
def test_a_gpu_count_that_is_not_a_whole_number_of_gpus_skips_the_row(count):
    text = body("hyperstack").decode().replace("n3-A100x1,A100-80G-PCIe,1,", f"n3-A100x1,A100-80G-PCIe,{count},", 1)
    result = catalog.parse(text.encode(), url=catalog.raw_url("hyperstack"))
    assert not [k for k in gpu_table(result)["offering_key"].to_pylist() if "n3-A100x1 " in k]
    if count != "-8":  # a negative count reads as "no GPU" like the CPU rows' 0
        assert any("AcceleratorCount" in w for w in result.warnings)


def test_tpu_rows_are_counted_apart_not_named_as_gpus():
    text = body("gcp").decode() + ",,,tpu-v4,8,,us-central2,us-central2-b,700.0,\n"
    result = catalog.parse(text.encode(), url=catalog.raw_url("gcp"))
    assert "tpu" not in " ".join(gpu_table(result)["gpu_raw_name"].to_pylist()).lower()
    assert any("non-GPU accelerators" in w and "tpu-v4" in w for w in result.warnings)


# --- fetch, ingest, replay ----------------------------------------------------------------------------

@respx.mock
def test_fetch_gets_each_default_cloud_from_raw_github(client, settings):
    for cloud in catalog.DEFAULT_CLOUDS:
        respx.get(catalog.raw_url(cloud)).mock(
            return_value=httpx.Response(200, content=body(cloud)) if (SNAPSHOTS / f"{STAMP}__{cloud}.csv").exists()
            else httpx.Response(404, text="404: Not Found"))
    items = catalog.fetch(client, settings)
    assert [i.url for i in items] == [catalog.raw_url(c) for c in catalog.DEFAULT_CLOUDS]
    assert all(isinstance(i, RawPayload) and i.ext == "csv" for i in items)

    summary = ingest(settings, catalog.SOURCE, items, AT)
    outcomes = dict(query(settings, "SELECT outcome, count(*) FROM fetch_log GROUP BY 1"))
    assert outcomes == {"ok": 11, "http_error": 3}  # azure, oci, cudo: no bundled copy here
    assert summary.added == sum(len(parsed(c).gpu_offers) for c in catalog.DEFAULT_CLOUDS
                                if (SNAPSHOTS / f"{STAMP}__{c}.csv").exists())


@respx.mock
def test_an_unreachable_github_is_a_fetch_failure_per_cloud(client, settings):
    respx.get(url__startswith="https://raw.githubusercontent.com/").mock(side_effect=httpx.ConnectError("offline"))
    items = catalog.fetch(client, settings)
    assert all(isinstance(i, FetchFailure) for i in items) and len(items) == len(catalog.DEFAULT_CLOUDS)


def test_loaded_rows_keep_source_provider_and_catalogue_apart(settings):
    ingest(settings, catalog.SOURCE, [payload(catalog.NAME, body("shadeform"), ext="csv", at=AT,
                                              url=catalog.raw_url("shadeform"))], AT)
    rows = query(settings, "SELECT DISTINCT source, catalog, source_rank FROM gpu_price_history")
    assert rows == [("skypilot_catalog", "shadeform", 3)]
    assert query(settings, "SELECT count(DISTINCT provider) FROM gpu_prices_latest WHERE is_current") == [(9,)]


def test_the_bundled_catalogues_replay_with_any_cloud_folder(settings, tmp_path):
    from warehouse.replay import replay

    folder = tmp_path / "snap" / "skypilot_catalog"
    folder.mkdir(parents=True)
    (folder / f"{STAMP}__verda.csv").write_bytes(body("verda"))
    (folder / f"{STAMP}__somenewcloud.csv").write_bytes(body("hyperstack"))  # any folder name is accepted
    summary = replay(settings, tmp_path / "snap", sources=["skypilot_catalog"])["skypilot_catalog"]
    assert summary.errors == [] and summary.parsed == 2
    assert query(settings, "SELECT DISTINCT catalog FROM gpu_observations ORDER BY 1") == [("somenewcloud",),
                                                                                           ("verda",)]


def test_a_storage_column_where_a_cloud_has_one_is_the_disk_size():
    # hyperbolic: 2x-H100-149-1443,H100,2,149,1443,1600,2.58,default,... (StorageGiB 1600)
    row = offers("hyperbolic")["hyperbolic/2x-H100-149-1443 79.65GB@default|on_demand"]
    assert (row["disk_gb"], row["vcpus"], row["ram_gb"], row["usd_per_gpu_hour"]) == (1600.0, 149.0, 1443.0, 1.29)
    assert row["gpu_model"] == "H100 SXM 80GB"  # GpuInfo names it NVIDIA-H100-80GB-HBM3


def test_seewebs_rtx6000_with_24gb_is_the_quadro():
    assert offers("seeweb")["seeweb/ECS1GPU 24GB@it-fr2|on_demand"]["gpu_model"] == "Quadro RTX 6000 24GB"


def test_a_catalogue_without_a_column_every_version_has_had_warns_of_schema_drift():
    text = body("verda").decode().replace(",SpotPrice\r\n", ",Spot\r\n", 1)
    result = catalog.parse(text.encode(), url=catalog.raw_url("verda"))
    assert "schema drift: no column 'SpotPrice' in this catalogue; spot prices not recorded" in result.warnings
    assert not [k for k in gpu_table(result)["offering_key"].to_pylist() if k.endswith("|spot")]
    assert parsed("verda").warnings[0].startswith("unknown GPU name")  # the real file: no drift
