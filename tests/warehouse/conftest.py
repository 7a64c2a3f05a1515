"""A minimal collector used to specify the ingest contract independently of real providers."""
from __future__ import annotations

import json

import pytest

from scrapers.base import Source
from scrapers.errors import ParseError
from scrapers.records import GpuOffer, ParseResult


def parse_toy(body: bytes, *, ext: str, origin: str = "<payload>") -> ParseResult:
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise ParseError("toy", "<document>", f"not JSON ({exc})", origin) from exc
    if "offers" not in data:
        raise ParseError("toy", "offers", "missing", origin)
    return ParseResult(gpu_offers=[
        GpuOffer(provider="toy", offering_key=o["gpu"], gpu_model=o["gpu"], gpu_raw_name=o["gpu"],
                 gpu_count=1, tier="on_demand", usd_per_gpu_hour=o["usd"], usd_per_instance_hour=o["usd"])
        for o in data["offers"]
    ])


TOY = Source(name="toy", kind="gpu", description="test collector", fetch=lambda c, s: [], parse=parse_toy)


@pytest.fixture
def toy_source() -> Source:
    return TOY


def toy_body(**prices: float) -> bytes:
    return json.dumps({"offers": [{"gpu": g, "usd": p} for g, p in prices.items()]}).encode()
