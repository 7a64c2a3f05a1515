"""The real payloads the fuzz suite mutates: every bundled snapshot and every real fixture of each
source in ``scrapers.registry``.

A file belongs to a source when it sits in ``snapshots/<source>/`` or its name in a folder of
``tests/fixtures/`` starts with the source name (or an alias below); a payload that is both a
snapshot and a fixture has one copy, in ``snapshots/``; the
curated sheet's seed is the sheet itself. A source added to the registry is fuzzed as soon as it
has a snapshot or a fixture named after it (``test_every_registered_source_has_seeds`` fails
until it has one).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scrapers.registry import available_sources

REPO = Path(__file__).resolve().parent.parent.parent
FIXTURE_DIRS = sorted(p for p in (REPO / "tests" / "fixtures").iterdir() if p.is_dir())
PAYLOAD_EXTS = {"json", "html", "md", "csv"}
ALIASES = {
    "vastai": ("vast_",),
    "fireworks_pricing": ("fireworks_",),
    "vertex_pricing": ("vertex_",),
}
EXTRA = {"curated_sheet": [REPO / "scrapers" / "data" / "fine_tuning_prices.csv"]}


@dataclass(frozen=True)
class Seed:
    source: str
    path: Path

    @property
    def ext(self) -> str:
        return self.path.suffix.lstrip(".")

    @property
    def name(self) -> str:
        return str(self.path.relative_to(REPO))

    def body(self) -> bytes:
        return self.path.read_bytes()


def _belongs(source: str, name: str) -> bool:
    return any(name.startswith(prefix) for prefix in (f"{source}_", *ALIASES.get(source, ())))


def seeds_for(source: str) -> list[Seed]:
    files = list(EXTRA.get(source, []))
    snapshot_dir = REPO / "snapshots" / source
    if snapshot_dir.is_dir():
        files += sorted(snapshot_dir.iterdir())
    for folder in FIXTURE_DIRS:
        files += sorted(p for p in folder.iterdir() if _belongs(source, p.name))
    return [Seed(source, p) for p in files if p.suffix.lstrip(".") in PAYLOAD_EXTS]


def source_names() -> list[str]:
    return [s.name for s in available_sources()]
