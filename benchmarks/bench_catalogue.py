"""Loading an AWS-sized SkyPilot catalogue (3.6 MB, the real column shape) end to end.

The upstream ``catalogs/v8/aws/vms.csv`` is 3,654,773 characters; the bundled extract keeps its
GPU rows (``p4d``…``p6-b300``). The synthetic file keeps AWS's header and row shape: the real GPU
rows repeated over more regions and zones, AWS's other GPU families (g4dn/g5/g6/g6e/p3, prices
made up), plus CPU-only rows (most of the real file: instance types without accelerators, which
the parser skips) up to the real size. Prices here are synthetic: only the speed is measured. It is parsed
(``scrapers.skypilot_catalog.parse``: Arrow CSV, vectorised checks) and ingested into a fresh
DuckDB file (archive + parse + load), and the throughput printed in input rows per second.
"""
from __future__ import annotations

import csv
import io
import random
import tempfile
from datetime import datetime
from pathlib import Path

from benchmarks.common import line, repeat, stopwatch
from core.paths import BUNDLED_SNAPSHOTS
from core.settings import Settings
from scrapers import skypilot_catalog
from scrapers.records import RawPayload
from warehouse.db import write_connection
from warehouse.ingest import ingest_payloads

TARGET_BYTES = 3_654_773  # upstream catalogs/v8/aws/vms.csv
REGIONS = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-central-1", "eu-north-1",
           "ap-northeast-1", "ap-northeast-2", "ap-southeast-1", "ap-southeast-2", "ap-south-1", "sa-east-1",
           "ca-central-1", "me-central-1", "af-south-1"]
CPU_FAMILIES = ["m5", "m6i", "m7i", "c5", "c6i", "c7g", "r5", "r6i", "r7a", "t3", "x2idn", "i4i"]
# AWS GPU families besides the p-family of the extract (accelerator, MiB per GPU, sizes as (name, GPUs)).
GPU_FAMILIES = [("g4dn", "T4", 16384), ("g5", "A10G", 24576), ("g6", "L4", 24576), ("g6e", "L40S", 46068),
                ("p3", "V100", 16384)]
GPU_SIZES = [("xlarge", 1), ("2xlarge", 1), ("4xlarge", 1), ("8xlarge", 1), ("12xlarge", 4), ("16xlarge", 1),
             ("24xlarge", 4), ("48xlarge", 8)]
SIZES = [("large", 2, 8.0), ("xlarge", 4, 16.0), ("2xlarge", 8, 32.0), ("4xlarge", 16, 64.0),
         ("8xlarge", 32, 128.0), ("12xlarge", 48, 192.0), ("16xlarge", 64, 256.0), ("24xlarge", 96, 384.0)]


def synthetic_aws(seed: int = 11) -> bytes:
    """An AWS-shaped vms.csv of about 3.6 MB: the real GPU rows over more zones, AWS's other GPU
    families (synthetic prices), CPU rows to size."""
    source = (BUNDLED_SNAPSHOTS / skypilot_catalog.NAME / "2026-10-01T000000Z__aws.csv").read_text()
    reader = csv.DictReader(io.StringIO(source))
    header, gpu_rows = reader.fieldnames or [], list(reader)
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    for region in REGIONS:  # every GPU instance type in every region, 1-3 zones each
        for row in {r["InstanceType"]: r for r in gpu_rows}.values():
            for zone in range(rng.randint(1, 3)):
                spot = float(row["SpotPrice"] or row["Price"] or 10) * rng.uniform(0.3, 1.0)
                writer.writerow({**row, "Region": region, "AvailabilityZone": f"{region}-az{zone + 1}",
                                 "SpotPrice": f"{spot:.6f}"})
    for region in REGIONS:  # the other GPU families, in AWS's GpuInfo shape
        for family, accelerator, mib in GPU_FAMILIES:
            for size, gpus in GPU_SIZES:
                info = (f"{{'Gpus': [{{'Name': '{accelerator}', 'Manufacturer': 'NVIDIA', 'Count': {gpus}, "
                        f"'MemoryInfo': {{'SizeInMiB': {mib}}}}}], 'TotalGpuMemoryInMiB': {mib * gpus}}}")
                price = gpus * rng.uniform(0.5, 3.5)
                for zone in range(rng.randint(1, 4)):
                    writer.writerow({"InstanceType": f"{family}.{size}", "AcceleratorName": accelerator,
                                     "AcceleratorCount": f"{gpus:.1f}", "vCPUs": "32.0", "MemoryGiB": "128.0",
                                     "GpuInfo": info, "Price": f"{price:.5f}",
                                     "SpotPrice": f"{price * rng.uniform(0.3, 0.8):.6f}", "Region": region,
                                     "AvailabilityZone": f"{region}-az{zone + 1}", "Arch": "x86_64"})
    while out.tell() < TARGET_BYTES:
        family, (size, vcpus, memory) = rng.choice(CPU_FAMILIES), rng.choice(SIZES)
        region = rng.choice(REGIONS)
        price = vcpus * rng.uniform(0.03, 0.06)
        writer.writerow({"InstanceType": f"{family}.{size}", "AcceleratorName": "", "AcceleratorCount": "",
                         "vCPUs": f"{vcpus:.1f}", "MemoryGiB": f"{memory:.1f}", "GpuInfo": "", "Price": f"{price:.5f}",
                         "SpotPrice": f"{price * rng.uniform(0.3, 0.7):.6f}", "Region": region,
                         "AvailabilityZone": f"{region}-az{rng.randint(1, 4)}", "Arch": "x86_64"})
    return out.getvalue().encode()


def main(seed: int = 11) -> dict[str, float]:
    body = synthetic_aws(seed)
    rows = body.count(b"\n") - 1
    url = skypilot_catalog.raw_url("aws")
    print(f"[catalogue] synthetic AWS-shaped catalogue: {len(body) / 1e6:.2f} MB, {rows:,} rows")

    def parse():
        return skypilot_catalog.parse(body, url=url)

    parse_median, _ = repeat(parse, 5)
    offers = parse().gpu_offers
    line("parse (Arrow CSV + vectorised checks)", f"{parse_median * 1000:.0f} ms = {rows / parse_median:,.0f} rows/s "
                                                  f"({offers.num_rows:,} GPU offerings)")
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(db_path=Path(tmp) / "bench.duckdb", data_dir=Path(tmp) / "data")
        item = RawPayload(skypilot_catalog.NAME, url, 200, body, datetime(2026, 10, 1), "csv")
        with write_connection(settings.db_path) as con:  # migrations and views first, outside the timing
            pass
        with stopwatch() as took, write_connection(settings.db_path) as con:
            summary = ingest_payloads(con, settings.raw_dir, skypilot_catalog.SOURCE, [item],
                                      observed_at=datetime(2026, 10, 1), mode="live")
        line("ingest end to end (archive + parse + load, one file)",
             f"{took[0]:.2f} s = {rows / took[0]:,.0f} rows/s ({summary.added:,} rows added)")
    return {"parse_rows_per_s": rows / parse_median, "ingest_rows_per_s": rows / took[0]}


if __name__ == "__main__":
    main()
