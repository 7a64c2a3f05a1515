"""Side by side with peers on the same bytes, in one run.

Parsers: pricewatch's ``parse`` of each GPU source against dstack's gpuhunt 0.1.34 provider code
fed the same bytes in-process (gpuhunt's HTTP calls are answered with the payload; nothing
reaches the network; its code is driven, never copied). Install the peer with
``uv sync --frozen --group bench`` (``make bench`` does).

* Vast.ai: one ``bundles`` response of 20,000 offers in the real offer's shape
  (``benchmarks.synthetic.VastMarket``); gpuhunt's ``VastAIProvider.get``.
* RunPod: the real GraphQL ``gpuTypes`` capture of 2025-06-21 (tests/fixtures/gpu), each type
  given the two fields gpuhunt's own queries return and this capture lacks (``manufacturer``,
  from the id, and a ``lowestPrice`` stub); gpuhunt's GPU map (``get_gpu_map``) and its
  per-type offer builder (``_make_offers``) for one secure and one community location.
  pricewatch ignores both added fields.
* Lambda: the instance-types answer reconstructed from SkyPilot's catalogue (tests/fixtures/gpu),
  with ``specs.storage_gib`` added (gpuhunt reads it); gpuhunt's ``LambdaLabsProvider.get`` with
  one region.

Load: pricewatch parsing the 20,000-offer Vast response and loading it (market_offers plus the
per-model aggregates) against DuckDB's own ``read_json`` of the same file inserting the same
market_offers columns (no validation, no GPU-name normalisation, no aggregates).
"""
from __future__ import annotations

import importlib.util
import json
import logging
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from unittest import mock

from benchmarks.common import line, repeat, stopwatch
from benchmarks.synthetic import VastMarket
from core.paths import BUNDLED_SNAPSHOTS
from scrapers import lambdalabs, runpod, vastai
from warehouse.db import transaction, write_connection
from warehouse.load import load_gpu_offers, load_market_offers

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "gpu"
RUNPOD_CAPTURE = BUNDLED_SNAPSHOTS / "runpod" / "2025-06-21T231800Z.json"
LAMBDA_ANSWER = FIXTURES / "lambda_instance_types_reconstructed_from_skypilot.json"
AT = datetime(2026, 11, 23, 6)

READ_JSON_INSERT = """
INSERT INTO market_offers (observed_at, provider, offer_id, machine_id, gpu_raw_name, gpu_count, tier,
                           usd_per_gpu_hour, usd_per_instance_hour, vram_gb, reliability, verified, location,
                           source_fetch_id)
SELECT $at, 'vastai', o.id::VARCHAR, o.machine_id::VARCHAR, o.gpu_name, o.num_gpus, 'on_demand',
       o.dph_base / o.num_gpus, o.dph_base, o.gpu_ram / 1024, coalesce(o.reliability2, o.reliability),
       o.verification = 'verified', o.geolocation, 1
FROM (SELECT unnest(offers) AS o FROM read_json($path, maximum_object_size = 1000000000))
WHERE o.rentable AND o.num_gpus >= 1
"""


class _Answer:
    """A ``requests`` response carrying the payload bytes."""

    def __init__(self, body: bytes):
        self._body = body

    def raise_for_status(self) -> None:
        return None

    def json(self) -> Any:
        return json.loads(self._body)


def _side_by_side(label: str, ours: Callable[[], object], theirs: Callable[[], object], unit: int,
                  unit_name: str, times: int) -> float:
    ours_s, _ = repeat(ours, times)
    theirs_s, _ = repeat(theirs, times)
    ratio = theirs_s / ours_s
    line(f"{label}: pricewatch", f"{ours_s * 1000:,.2f} ms = {unit / ours_s:,.0f} {unit_name}/s")
    line(f"{label}: gpuhunt 0.1.34", f"{theirs_s * 1000:,.2f} ms = {unit / theirs_s:,.0f} {unit_name}/s")
    line(f"{label}: throughput pricewatch / gpuhunt", f"{ratio:.2f}x (limit >= 1x) {'OK' if ratio >= 1 else 'MISSED'}")
    return ratio


def vast(body: bytes, n: int) -> float:
    from gpuhunt.providers.vastai import VastAIProvider

    with mock.patch("gpuhunt.providers.vastai.requests.post", return_value=_Answer(body)):
        provider = VastAIProvider()
        return _side_by_side("Vast.ai 20,000 offers", lambda: vastai.parse(body, ext="json", origin="bench"),
                             provider.get, n, "offers", 3)


def runpod_bytes() -> bytes:
    types = json.loads(RUNPOD_CAPTURE.read_bytes())
    for t in types:
        t["manufacturer"] = "AMD" if t["id"].startswith("AMD") else "Nvidia"
        t["lowestPrice"] = {"stockStatus": "High", "minVcpu": 8, "minMemory": 32}
    return json.dumps({"data": {"gpuTypes": types}}).encode()


def runpod_peer(body: bytes) -> list[Any]:
    from gpuhunt.providers import runpod as peer

    variables = [{"lowestPriceInput": {"secureCloud": True, "dataCenterId": "EU-RO-1", "gpuCount": 1}},
                 {"lowestPriceInput": {"secureCloud": False, "countryCode": "US", "gpuCount": 1}}]
    with mock.patch.object(peer.requests, "post", return_value=_Answer(body)):
        provider = peer.RunpodProvider()  # its GPU map: one decode of the response
        pods = peer._make_request({})["data"]["gpuTypes"]  # the pods: another, as in its own flow
        return [o for pod in pods for v in variables for o in provider._make_offers(v, pod)]


def lambda_bytes() -> bytes:
    doc = json.loads(LAMBDA_ANSWER.read_bytes())
    for entry in doc["data"].values():
        entry["instance_type"]["specs"].setdefault("storage_gib", 512)
    return json.dumps(doc).encode()


def lambda_peer(body: bytes) -> list[Any]:
    from gpuhunt.providers.lambdalabs import LambdaLabsProvider

    images = json.dumps({"data": [{"region": {"name": "us-east-1"}}]}).encode()
    provider = LambdaLabsProvider("bench-token")
    with mock.patch.object(provider.session, "get", side_effect=[_Answer(images), _Answer(body)]):
        return provider.get()


def parse_and_load_vs_read_json(body: bytes, n: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bundles.json"
        path.write_bytes(body)

        def ours() -> None:
            with write_connection(Path(tmp) / "ours.duckdb") as con:
                for table in ("market_offers", "gpu_observations", "gpu_observations_latest"):
                    con.execute(f"DELETE FROM {table}")
                with transaction(con):
                    result = vastai.parse(path.read_bytes(), ext="json", origin=str(path))
                    load_market_offers(con, result.market_offers, AT, 1)
                    load_gpu_offers(con, result.gpu_offers, AT, 1)

        def theirs() -> None:
            with write_connection(Path(tmp) / "duck.duckdb") as con:
                con.execute("DELETE FROM market_offers")
                with transaction(con):
                    con.execute(READ_JSON_INSERT, {"at": AT, "path": str(path)})

        ours_s, _ = repeat(ours, 3)
        theirs_s, _ = repeat(theirs, 3)
    line("Vast.ai file -> warehouse: pricewatch parse + load", f"{ours_s:.2f} s = {n / ours_s:,.0f} offers/s")
    line("Vast.ai file -> warehouse: DuckDB read_json + INSERT", f"{theirs_s:.2f} s = {n / theirs_s:,.0f} offers/s")
    line("  pricewatch time / DuckDB's", f"{ours_s / theirs_s:.2f}x")
    return ours_s / theirs_s


def main(n: int = 20_000) -> dict[str, float]:
    if importlib.util.find_spec("gpuhunt") is None:
        print("[peers] gpuhunt not installed: run `uv sync --frozen --group bench` (make bench does)")
        return {}
    logging.getLogger("gpuhunt").setLevel(logging.ERROR)  # its per-offer warnings would flood the output
    with stopwatch() as made:
        body = VastMarket(offers_per_day=n).day(1)
    print(f"[peers] same bytes in, in-process: Vast.ai {n:,} offers ({len(body) / 1e6:.1f} MB, built in "
          f"{made[0]:.1f} s), RunPod gpuTypes capture, Lambda instance types; median of repeats")
    ratios = {"vastai": vast(body, n)}
    rp = runpod_bytes()
    types = len(json.loads(rp)["data"]["gpuTypes"])
    ratios["runpod"] = _side_by_side(f"RunPod {types} GPU types", lambda: runpod.parse(rp, ext="json", origin="bench"),
                                     lambda: runpod_peer(rp), types, "types", 50)
    lb = lambda_bytes()
    sizes = len(json.loads(lb)["data"])
    ratios["lambda"] = _side_by_side(f"Lambda {sizes} instance types", lambda: lambdalabs.parse(lb, ext="json"),
                                     lambda: lambda_peer(lb), sizes, "types", 50)
    ratios["load_vs_read_json"] = parse_and_load_vs_read_json(body, n)
    return ratios


if __name__ == "__main__":
    main()
