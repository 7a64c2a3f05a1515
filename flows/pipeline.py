"""The daily job without Prefect: collect every source, fall back to the bundled snapshots when
nothing is reachable, then run the after-load steps (repricing, dbt, alerts, report).

``flows/daily.py`` wires the same pieces into Prefect tasks; this module is what they call.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from core.settings import Settings
from flows.collect import collect_source, make_client
from scrapers.registry import available_sources
from warehouse.ingest import SourceSummary
from warehouse.replay import replay

# name -> "module:function"; each function takes Settings and returns a one-line summary.
POST_LOAD_STEPS: tuple[tuple[str, str], ...] = (
    ("reprice", "cost_engine.daily:reprice_latest"),
    ("dbt", "drift.dbt_runner:build_models"),
    ("alerts", "drift.daily:evaluate_and_notify"),
    ("report", "reports.daily:render_latest"),
)


@dataclass
class StepResult:
    name: str
    ok: bool
    message: str


@dataclass
class RunSummary:
    sources: dict[str, SourceSummary] = field(default_factory=dict)
    steps: list[StepResult] = field(default_factory=list)
    fell_back_to_snapshots: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.sources.values()) and all(s.ok for s in self.steps)

    def to_markdown(self) -> str:
        lines = ["# pricewatch daily run", ""]
        lines += [f"> {note}" for note in self.notes]
        if self.notes:
            lines.append("")
        lines += ["| source | fetched | parsed | rows added | skipped | errors |",
                  "|---|---:|---:|---:|---:|---|"]
        for name, s in self.sources.items():
            errors = "; ".join(e.replace("|", "/")[:200] for e in s.errors) or "none"
            lines.append(f"| {name} | {s.fetched} | {s.parsed} | {s.added} | {s.skipped} | {errors} |")
        if self.steps:
            lines += ["", "| step | ok | result |", "|---|---|---|"]
            lines += [f"| {st.name} | {'yes' if st.ok else 'NO'} | {st.message.replace('|', '/')} |"
                      for st in self.steps]
        return "\n".join(lines) + "\n"


def all_unreachable(summaries: dict[str, SourceSummary]) -> bool:
    """True when every network source got no response at all (offline machine, no DNS...)."""
    network = {s.name for s in available_sources() if s.network}
    polled = [s for name, s in summaries.items() if name in network]
    return bool(polled) and all(s.unreachable for s in polled)


def collect_live(settings: Settings, progress: Callable[[str], None] | None = None) -> dict[str, SourceSummary]:
    sources = available_sources()
    summaries: dict[str, SourceSummary] = {}
    with make_client(settings, sources) as client:
        for source in sources:
            if progress:
                progress(f"fetching {source.name} ...")
            summaries[source.name] = collect_source(source.name, settings, client)
    return summaries


def replay_bundled(settings: Settings, progress: Callable[[str], None] | None = None,
                   *, with_local_sources: bool = True) -> dict[str, SourceSummary]:
    """The offline history: the bundled snapshots, plus (unless already collected) the sources
    that live in the repo."""
    summaries = replay(settings, settings.snapshots_dir, progress=progress, only_newer=True)
    for source in available_sources():
        if with_local_sources and not source.network:
            summaries[source.name] = collect_source(source.name, settings)
    return summaries


def fall_back(live: dict[str, SourceSummary], bundled: dict[str, SourceSummary]) -> dict[str, SourceSummary]:
    """The sources' summaries after a fallback: the bundled replay, plus the repo-local sources
    the live attempt already collected (so they are not collected twice)."""
    local = {s.name for s in available_sources() if not s.network}
    return {**{k: v for k, v in live.items() if k in local}, **bundled}


def run_post_step(name: str, target: str, settings: Settings) -> StepResult:
    module_name, func_name = target.split(":")
    try:
        func = getattr(importlib.import_module(module_name), func_name)
        return StepResult(name, True, str(func(settings)))
    except Exception as exc:  # noqa: BLE001 - a failing step is reported, the run goes on
        return StepResult(name, False, f"{type(exc).__name__}: {exc}")


FALLBACK_NOTE = ("No provider was reachable; loaded the bundled snapshots instead "
                 "(offline demo history, see snapshots/SOURCES.md).")


OFFLINE_NOTE = "Offline run: loaded the bundled snapshots."


def load_sources(
    *,
    offline: bool,
    collect: Callable[[], dict[str, SourceSummary]],
    replay_snapshots: Callable[[bool], dict[str, SourceSummary]],
    warn: Callable[[str], None] | None = None,
) -> RunSummary:
    """The loading phase of a daily run, shared by ``run_daily`` and the Prefect flow (which
    pass their own ways to collect and replay): offline → the bundled snapshots; live → every
    source, falling back to the snapshots when no network source was reachable.
    ``replay_snapshots(with_local_sources)`` replays the bundled snapshots."""
    summary = RunSummary()
    if offline:
        summary.notes.append(OFFLINE_NOTE)
        summary.sources = replay_snapshots(True)
        return summary
    summary.sources = collect()
    if all_unreachable(summary.sources):
        summary.notes.append(FALLBACK_NOTE)
        if warn:
            warn("warning: " + FALLBACK_NOTE)
        summary.sources = fall_back(summary.sources, replay_snapshots(False))
        summary.fell_back_to_snapshots = True
    return summary


def run_daily(settings: Settings, *, offline: bool = False, progress: Callable[[str], None] | None = None,
              post_steps: bool = True) -> RunSummary:
    summary = load_sources(
        offline=offline,
        collect=lambda: collect_live(settings, progress),
        replay_snapshots=lambda local: replay_bundled(settings, progress, with_local_sources=local),
        warn=progress,
    )
    if post_steps:
        for name, target in POST_LOAD_STEPS:
            if progress:
                progress(f"{name} ...")
            summary.steps.append(run_post_step(name, target, settings))
    return summary
