"""Side by side with a peer: parsing one Vast.ai bundles response.

pricewatch's `scrapers.vastai.parse` (per-offer records + per-model aggregates) against dstack's
gpuhunt `VastAIProvider.get` (per-offer catalog items), both fed the same bytes: offers cloned
from the real 2024-07 capture with varied GPU, price, size and location. gpuhunt fetches with
`requests.post`; here that call is answered in-process with the payload, so nothing reaches the
network. Install the peer with `uv sync --group bench` (`make bench` does).
"""
from __future__ import annotations

import copy
import json
import random
from unittest import mock

from benchmarks.common import line, repeat
from core.paths import BUNDLED_SNAPSHOTS
from scrapers import vastai

GPUS = [("RTX 4090", 24564), ("H100 SXM", 81559), ("A100 SXM4", 81920), ("L40S", 46068), ("RTX 3090", 24576),
        ("A100 PCIE", 40960), ("RTX A6000", 49140), ("H200", 143771)]
PLACES = ["Guangxi, CN", "Texas, US", "Quebec, CA", "Bavaria, DE", "Oregon, US", "Helsinki, FI"]


def synthetic_bundles(n: int, seed: int = 3) -> bytes:
    template = json.loads(next((BUNDLED_SNAPSHOTS / "vastai").glob("*.json")).read_bytes())[0]
    rng = random.Random(seed)
    offers = []
    for i in range(n):
        offer = copy.copy(template)
        name, ram = GPUS[i % len(GPUS)]
        gpus = rng.choice((1, 1, 2, 4, 8))
        per_gpu = round(rng.uniform(0.15, 3.0), 4)
        offer.update(id=20_000_000 + i, machine_id=rng.randrange(1, 50_000), gpu_name=name, gpu_ram=ram,
                     num_gpus=gpus, dph_base=per_gpu * gpus, dph_total=per_gpu * gpus + 0.01,
                     min_bid=round(per_gpu * gpus * 0.7, 4), geolocation=rng.choice(PLACES))
        offers.append(offer)
    return json.dumps({"offers": offers}).encode()


class _Answer:
    def __init__(self, body: bytes):
        self._body = body

    def raise_for_status(self) -> None:
        return None

    def json(self):
        return json.loads(self._body)


def main(n: int = 20_000) -> dict[str, float]:
    try:
        from gpuhunt.providers.vastai import VastAIProvider
    except ImportError:
        print("[peers] gpuhunt not installed: run `uv sync --group bench` (make bench does)")
        return {}
    body = synthetic_bundles(n)
    print(f"[peers] one Vast.ai bundles response of {n:,} offers ({len(body) / 1e6:.1f} MB)")
    ours = lambda: vastai.parse(body, ext="json", origin="bench")
    with mock.patch("gpuhunt.providers.vastai.requests.post", return_value=_Answer(body)):
        peer_provider = VastAIProvider()
        theirs = lambda: peer_provider.get()
        theirs_median, _ = repeat(theirs, 3)
        peer_items = len(theirs())
    ours_median, _ = repeat(ours, 3)
    result = ours()
    line("pricewatch vastai.parse", f"{ours_median:.2f} s = {n / ours_median:,.0f} offers/s "
         f"({len(result.market_offers):,} offers + {len(result.gpu_offers)} aggregates)")
    line("gpuhunt 0.1.34 VastAIProvider.get", f"{theirs_median:.2f} s = {n / theirs_median:,.0f} offers/s "
         f"({peer_items:,} catalog items incl. spot variants)")
    line("throughput ratio pricewatch / gpuhunt", f"{theirs_median / ours_median:.2f}x")
    return {"ours_offers_per_s": n / ours_median, "gpuhunt_offers_per_s": n / theirs_median}


if __name__ == "__main__":
    main()
