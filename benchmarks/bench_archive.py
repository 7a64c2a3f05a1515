"""Raw archive: zstd (``warehouse.archive.compress``, what new payloads get) beside gzip -6 (what
older archives hold) on one day of every source in the real payload shapes, and the growth per
year that gives (a 20,000-offer Vast.ai market, ~49 MB of JSON, is almost all of it)."""
from __future__ import annotations

import gzip

from benchmarks.bench_growth import day_payloads
from benchmarks.common import line, repeat
from benchmarks.synthetic import VastMarket
from warehouse.archive import compress, read_archived


def main() -> dict[str, float]:
    payloads = [p for items in day_payloads(VastMarket(), 1).values() for p in items]
    raw = sum(len(p.body) for p in payloads)
    pages = [p.body for p in payloads if p.source == "vastai"]
    vast = pages[0]  # one page of 1,000 offers, as fetched
    print(f"[archive] one day of every source: {len(payloads)} payloads, {raw / 1e6:,.1f} MB "
          f"(the Vast.ai market: {len(pages)} pages, {sum(map(len, pages)) / 1e6:,.1f} MB)")
    zstd_bytes = sum(len(compress(p.body)) for p in payloads)
    gzip_bytes = sum(len(gzip.compress(p.body, compresslevel=6, mtime=0)) for p in payloads)
    zstd_s, _ = repeat(lambda: compress(vast), 2)
    gzip_s, _ = repeat(lambda: gzip.compress(vast, compresslevel=6, mtime=0), 2)
    packed = compress(vast)
    assert read_archived_bytes(packed) == vast
    line("gzip -6 (archives before zstd)", f"{gzip_bytes / 1e6:,.2f} MB/day = {gzip_bytes * 365 / 1e9:,.2f} GB/year "
                                           f"({raw / gzip_bytes:.1f}x); one Vast page {gzip_s * 1000:.0f} ms")
    line("zstd (warehouse.archive.compress)", f"{zstd_bytes / 1e6:,.2f} MB/day = {zstd_bytes * 365 / 1e9:,.2f} GB/year "
                                              f"({raw / zstd_bytes:.1f}x); one Vast page {zstd_s * 1000:.0f} ms")
    line("zstd / gzip size", f"{zstd_bytes / gzip_bytes:.2f}x")
    return {"zstd_mb_per_day": zstd_bytes / 1e6, "gzip_mb_per_day": gzip_bytes / 1e6}


def read_archived_bytes(packed: bytes) -> bytes:
    """Round-trip through the archive's reader (a .zst file)."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "payload.json.zst"
        path.write_bytes(packed)
        return read_archived(path)


if __name__ == "__main__":
    main()
