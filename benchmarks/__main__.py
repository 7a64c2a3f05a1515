"""`make bench`: every benchmark, each figure printed beside its peer or limit.

``python -m benchmarks NAME ...`` runs some: load, peers, queries, archive, growth, replay, run."""
from __future__ import annotations

import sys
from collections.abc import Callable

from benchmarks import (
    bench_archive,
    bench_catalogue,
    bench_growth,
    bench_load,
    bench_peers,
    bench_queries,
    bench_replay,
    bench_run,
)

BENCHES: dict[str, Callable[[], object]] = {
    "load": bench_load.main, "peers": bench_peers.main, "queries": bench_queries.main,
    "catalogue": bench_catalogue.main, "archive": bench_archive.main, "growth": bench_growth.main,
    "replay": bench_replay.main, "run": bench_run.main,
}

if __name__ == "__main__":
    wanted = sys.argv[1:] or list(BENCHES)
    for name in wanted:
        BENCHES[name]()
