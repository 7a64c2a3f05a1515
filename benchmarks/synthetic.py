"""Synthetic inputs in the real payload shapes, for the benchmarks (never for tests).

* ``VastMarket``: a Vast.ai marketplace of a fixed population of machines, every offer a copy of
  the real 2024-07 ``bundles`` offer (snapshots/vastai, every one of its ~100 keys) with the
  fields that differ between real offers varied per machine (ids, host, CPU, RAM, disk, network,
  place, address, driver, reliability, GPU model and VRAM) and per day (price, score, duration,
  performance per dollar). ``day(n)`` is that day's ``{"offers": [...]}`` response as bytes:
  ~20,000 offers, ~48 MB, like the live market.
* ``offer_columns(n)``: ``n`` parsed Vast offers as an Arrow table named by ``MarketOffer``'s
  fields (what a columnar parser hands the loader), built by DuckDB, not per row in Python.
"""
from __future__ import annotations

import copy
import json
import random
from typing import Any

import duckdb
import pyarrow as pa

from core.paths import BUNDLED_SNAPSHOTS
from scrapers import vastai

# (Vast gpu_name, MiB of VRAM, base USD per GPU-hour, share of the market)
GPUS: tuple[tuple[str, int, float, int], ...] = (
    ("RTX 4090", 24564, 0.35, 30), ("RTX 3090", 24576, 0.2, 18), ("H100 SXM", 81559, 1.9, 8),
    ("A100 SXM4", 81920, 0.9, 6), ("A100 PCIE", 40960, 0.7, 4), ("L40S", 46068, 0.7, 5),
    ("RTX A6000", 49140, 0.45, 6), ("RTX 5090", 32607, 0.6, 8), ("H200", 143771, 2.6, 3),
    ("RTX 6000Ada", 49140, 0.75, 4), ("L4", 23034, 0.3, 3), ("A40", 46068, 0.4, 3),
    ("H100 PCIE", 81559, 1.6, 2),
)
PLACES = ("Guangxi, CN", "Texas, US", "Quebec, CA", "Bavaria, DE", "Oregon, US", "Helsinki, FI", "Ontario, CA",
          "California, US", "Virginia, US", "Tokyo, JP", "Seoul, KR", "Ile-de-France, FR", ", PL", "Georgia, US")
CPUS = ("AMD EPYC 7642 48-Core Processor", "AMD EPYC 7763 64-Core Processor", "Intel Xeon Gold 6330",
        "AMD Ryzen 9 7950X 16-Core Processor", "AMD EPYC 9654 96-Core Processor", "Intel Core i9-13900K",
        "Xeon E5-2698 v4")
DISKS = ("INTEL SSDPE2KX080T8", "Samsung SSD 990 PRO 2TB", "WDS200T1X0E", "KINGSTON SFYRD4000G", "Micron_7450")
BOARDS = ("H12SSL", "ROMED8-2T", "X11DPG-QT", "PRO WS WRX80E-SAGE SE", "MZ32-AR0")
DRIVERS = ("535.183.01", "550.54.15", "560.35.03", "570.124.06")


def vast_template() -> dict[str, Any]:
    """The real offer of the bundled Vast.ai snapshot."""
    doc = json.loads(next((BUNDLED_SNAPSHOTS / "vastai").glob("*.json")).read_bytes())
    offers = doc if isinstance(doc, list) else doc["offers"]
    return dict(offers[0])


class VastMarket:
    """A reproducible marketplace: ``machines`` hosts, each listing a few offers a day."""

    def __init__(self, machines: int = 9_000, offers_per_day: int = 20_000, seed: int = 5) -> None:
        rng = random.Random(seed)
        self.template = vast_template()
        self.offers_per_day = offers_per_day
        weights = [g[3] for g in GPUS]
        self.machines: list[dict[str, Any]] = []
        for m in range(machines):
            name, mib, base, _ = rng.choices(GPUS, weights)[0]
            self.machines.append({
                "machine_id": 10_000 + m, "host_id": 100_000 + rng.randrange(40_000), "gpu_name": name,
                "gpu_ram": mib, "gpu_total_ram": mib, "base": base * rng.lognormvariate(0, 0.2),
                "gpus": rng.choice((1, 2, 4, 8, 8)), "cpu_name": rng.choice(CPUS),
                "cpu_cores": rng.choice((16, 32, 64, 96, 128, 192)), "cpu_ram": rng.randrange(32_000, 1_030_000),
                "disk_name": rng.choice(DISKS), "disk_space": round(rng.uniform(100, 8000), 3),
                "disk_bw": rng.uniform(500, 9000), "mobo_name": rng.choice(BOARDS),
                "inet_down": round(rng.uniform(50, 9000), 1), "inet_up": round(rng.uniform(50, 9000), 1),
                "geolocation": rng.choice(PLACES), "driver_version": rng.choice(DRIVERS),
                "public_ipaddr": ".".join(str(rng.randrange(1, 223)) for _ in range(4)),
                "reliability": rng.uniform(0.85, 0.9999), "verified": rng.random() < 0.7,
                "direct_port_count": rng.randrange(10, 1000), "pcie_bw": round(rng.uniform(3, 52), 1),
            })

    def offers(self, day: int) -> list[dict[str, Any]]:
        rng = random.Random(day * 7919 + 1)
        drift = 1 + 0.1 * ((day % 60) - 30) / 30  # a slow market cycle around each host's base price
        offers = []
        for n in range(self.offers_per_day):
            m = self.machines[(n * 7 + day * 13) % len(self.machines)]
            count = rng.choice([c for c in (1, 2, 4, 8) if c <= m["gpus"]])
            per_gpu = m["base"] * drift * rng.uniform(0.97, 1.03)
            dph = per_gpu * count
            offer = copy.copy(self.template)
            offer.update(
                id=20_000_000 + day * 50_000 + n, ask_contract_id=20_000_000 + day * 50_000 + n,
                bundle_id=1_600_000_000 + rng.randrange(10**8), machine_id=m["machine_id"], host_id=m["host_id"],
                gpu_name=m["gpu_name"], gpu_ram=m["gpu_ram"], gpu_total_ram=m["gpu_total_ram"] * count,
                num_gpus=count, gpu_frac=count / m["gpus"], gpu_ids=[m["machine_id"] * 10 + g for g in range(count)],
                cpu_name=m["cpu_name"], cpu_cores=m["cpu_cores"],
                cpu_cores_effective=m["cpu_cores"] * count / m["gpus"],
                cpu_ram=m["cpu_ram"], disk_name=m["disk_name"], disk_space=m["disk_space"], disk_bw=m["disk_bw"],
                mobo_name=m["mobo_name"], inet_down=m["inet_down"], inet_up=m["inet_up"],
                geolocation=m["geolocation"], driver_version=m["driver_version"], public_ipaddr=m["public_ipaddr"],
                direct_port_count=m["direct_port_count"], pcie_bw=m["pcie_bw"],
                reliability=m["reliability"], reliability2=m["reliability"] * rng.uniform(0.99, 1.0),
                reliability_mult=rng.uniform(0.6, 0.9), verification="verified" if m["verified"] else "unverified",
                dph_base=dph, dph_total=dph + 0.0000093, dph_total_adj=dph + 0.0000093,
                discounted_dph_total=dph + 0.0000093, min_bid=round(dph * rng.uniform(0.5, 0.8), 4),
                dlperf=rng.uniform(10, 400) * count, dlperf_per_dphtotal=rng.uniform(50, 600),
                flops_per_dphtotal=rng.uniform(50, 500), total_flops=rng.uniform(10, 300) * count,
                score=rng.uniform(10, 400), duration=rng.uniform(1e5, 3e7), start_date=1.72e9 + rng.uniform(0, 6e7),
                end_date=1.75e9 + rng.uniform(0, 6e7), vram_costperhour=rng.uniform(0.001, 0.05),
                storage_cost=rng.uniform(0.0005, 0.003), rn=n + 1,
            )
            offers.append(offer)
        return offers

    def day(self, day: int) -> bytes:
        return json.dumps({"offers": self.offers(day)}).encode()

    def pages(self, day: int, page_size: int = vastai.PAGE_SIZE) -> list[tuple[str, bytes]]:
        """The day's market as the collector fetches it: pages of ``page_size`` offers in id
        order, each with its page URL (``vastai.page_url``)."""
        offers = sorted(self.offers(day), key=lambda o: o["id"])
        pages = []
        for start in range(0, len(offers), page_size):
            chunk = offers[start:start + page_size]
            after = offers[start - 1]["id"] if start else None
            pages.append((vastai.page_url(after), json.dumps({"offers": chunk}).encode()))
        return pages


def offer_columns(n: int, seed: int = 7) -> pa.Table:
    """``n`` parsed Vast offers as columns named by ``MarketOffer``'s fields (provider, ids,
    model, 1-8 GPUs, host-set prices spread around a base, reliability, place)."""
    models = [(raw, mib // 1024, base) for raw, mib, base, _ in GPUS]
    names = ", ".join(f"'{raw}'" for raw, _, _ in models)
    canon = ", ".join(f"'{raw} {vram}GB'" for raw, vram, _ in models)
    vrams = ", ".join(f"{vram}.0" for _, vram, _ in models)
    bases = ", ".join(str(base) for _, _, base in models)
    places = ", ".join("'" + p.replace("'", "''") + "'" for p in PLACES)
    k = len(models)
    sql = f"""
    WITH o AS (
        SELECT i, 1 + (i % {k})::BIGINT AS m, [1, 1, 1, 2, 4, 8][1 + (hash(i, {seed}) % 6)::BIGINT] AS gpus,
               [{bases}][1 + (i % {k})::BIGINT] * (0.6 + (hash(i, {seed} + 1) % 8000) / 10000.0) AS per_gpu
        FROM range({n}) t(i)
    )
    SELECT 'vastai' AS provider, (10000000 + i)::VARCHAR AS offer_id,
           (1 + hash(i, {seed} + 2) % 60000)::VARCHAR AS machine_id,
           [{canon}][m] AS gpu_model, [{names}][m] AS gpu_raw_name, gpus::INTEGER AS gpu_count,
           'on_demand' AS tier, round(per_gpu, 4) AS usd_per_gpu_hour,
           round(per_gpu * gpus, 4) AS usd_per_instance_hour,
           [{vrams}][m]::DOUBLE AS vram_gb, round(0.9 + (hash(i, {seed} + 3) % 1000) / 10000.0, 4) AS reliability,
           hash(i, {seed} + 4) % 10 < 7 AS verified,
           [{places}][1 + (hash(i, {seed} + 5) % {len(PLACES)})::BIGINT] AS location
    FROM o
    """
    con = duckdb.connect()
    try:
        return con.sql(sql).to_arrow_table()
    finally:
        con.close()
