"""`make bench`: every benchmark, printing throughput and ratios."""
from __future__ import annotations

import sys
from collections.abc import Callable

from benchmarks import bench_catalogue, bench_load, bench_peers, bench_queries, bench_replay, bench_run

BENCHES: dict[str, Callable[[], object]] = {
    "load": bench_load.main, "queries": bench_queries.main, "replay": bench_replay.main, "peers": bench_peers.main,
    "catalogue": bench_catalogue.main, "run": bench_run.main,
}

if __name__ == "__main__":
    wanted = sys.argv[1:] or list(BENCHES)
    for name in wanted:
        BENCHES[name]()
