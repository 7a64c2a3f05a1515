"""The daily job without Prefect: collect every source (concurrently), fall back to the bundled
snapshots when nothing is reachable, then run the after-load steps (repricing, alerts,
report, dbt), under the warehouse's run lock.

``flows/daily.py`` wires the same pieces into Prefect tasks; this module is what they call, and
what decides a run's outcome and exit code (``RunSummary.status`` / ``exit_code``).
"""
from __future__ import annotations

import io
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from enum import IntEnum

from core.outcome import StepOutcome
from core.settings import Settings
from cost_engine.daily import reprice_latest
from drift.daily import evaluate_and_notify
from drift.dbt_runner import build_models
from flows.collect import Collected, Deadline, collect
from flows.runlock import run_lock
from reports.daily import render_latest
from scrapers.registry import available_sources
from warehouse.ingest import SourceSummary
from warehouse.publish import publish
from warehouse.replay import replay


class ExitCode(IntEnum):
    """``pricewatch run``'s exit codes (documented in the README, "Quick start")."""

    OK = 0
    FAILED = 1  # a source, step or alert delivery failed (the rest of the run completed)
    USAGE = 2  # bad command line or configuration
    FELL_BACK = 3  # no provider reachable: loaded the bundled snapshots instead (offline demo)
    LOCKED = 4  # another run holds the warehouse's run lock; nothing was done


@dataclass(frozen=True)
class Step:
    """An after-load step: ``run(settings)`` returns a one-line summary or a StepOutcome
    (core/outcome.py), or raises; it may take at most ``timeout_s`` seconds."""

    name: str
    run: Callable[[Settings], str | StepOutcome]
    timeout_s: float


# dbt last: nothing after it reads the marts, so the report is written before the slowest step
# (DuckDB has one writer per file, so dbt cannot run beside another step).
POST_LOAD_STEPS: tuple[Step, ...] = (
    Step("reprice", reprice_latest, timeout_s=600),
    Step("alerts", evaluate_and_notify, timeout_s=600),
    Step("report", render_latest, timeout_s=600),
    Step("dbt", build_models, timeout_s=1200),
)



def publish_copies(settings: Settings) -> str:
    """Refresh the read-only copies readers open (warehouse/publish.py) after a write phase."""
    return publish(settings).summary()


# Readers see a write phase's result when it ends: the new prices after loading, the rest after
# the steps.
PUBLISH_LOADED = Step("publish", publish_copies, timeout_s=600)
PUBLISH_FINAL = Step("republish", publish_copies, timeout_s=600)


def run_steps(post_steps: bool) -> tuple[Step, ...]:
    """The steps after loading, in order: publish, then (unless collect-only) the after-load
    steps and publish again."""
    return (PUBLISH_LOADED, *POST_LOAD_STEPS, PUBLISH_FINAL) if post_steps else (PUBLISH_LOADED,)


MAX_COLLECT_THREADS = 8


class StepFailed(RuntimeError):
    """A step returned a StepOutcome with problems (raised so the Prefect task ends Failed)."""


class StepTimedOut(TimeoutError):
    pass


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
    # The live attempt's errors per source, kept when the run fell back to the snapshots.
    live_errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def failed_sources(self) -> list[str]:
        return [name for name, s in self.sources.items() if not s.ok]

    @property
    def failed_steps(self) -> list[str]:
        return [s.name for s in self.steps if not s.ok]

    @property
    def status(self) -> str:
        """``ok``, ``fell_back`` (only problem: no provider reachable, snapshots loaded) or ``failed``."""
        if self.failed_sources or self.failed_steps:
            return "failed"
        return "fell_back" if self.fell_back_to_snapshots else "ok"

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def exit_code(self) -> ExitCode:
        return {"ok": ExitCode.OK, "fell_back": ExitCode.FELL_BACK, "failed": ExitCode.FAILED}[self.status]

    def headline(self) -> str:
        """One line: what happened (the flow's final state message, the CLI's closing line)."""
        parts = []
        if self.fell_back_to_snapshots:
            parts.append(f"no provider reachable ({len(self.live_errors)} sources failed live); "
                         "loaded the bundled snapshots")
        if failed := self.failed_sources:
            parts.append(f"{len(failed)} of {len(self.sources)} sources failed ({', '.join(failed)})")
        if failed := self.failed_steps:
            parts.append(f"step{'s' * (len(failed) > 1)} failed: {', '.join(failed)}")
        if not parts:
            steps = f" and {len(self.steps)} steps" if self.steps else ""
            return f"{len(self.sources)} sources{steps} completed"
        return "; ".join(parts)

    def to_markdown(self) -> str:
        lines = ["# pricewatch daily run", "", f"**{self.status.replace('_', ' ')}**: {self.headline()}", ""]
        lines += [f"> {note}" for note in self.notes]
        if self.notes:
            lines.append("")
        lines += ["| source | fetched | parsed | rows added | skipped | errors |",
                  "|---|---:|---:|---:|---:|---|"]
        for name, s in self.sources.items():
            lines.append(f"| {name} | {s.fetched} | {s.parsed} | {s.added} | {s.skipped} | {_cell(s.errors)} |")
        if self.live_errors:
            lines += ["", "Live attempt before the fallback:", "", "| source | live errors |", "|---|---|"]
            lines += [f"| {name} | {_cell(errors)} |" for name, errors in self.live_errors.items()]
        if self.steps:
            lines += ["", "| step | ok | result |", "|---|---|---|"]
            lines += [f"| {st.name} | {'yes' if st.ok else 'NO'} | {st.message.replace('|', '/')} |"
                      for st in self.steps]
        return "\n".join(lines) + "\n"


def _cell(errors: list[str]) -> str:
    return "; ".join(e.replace("|", "/")[:200] for e in errors) or "none"


def all_unreachable(summaries: dict[str, SourceSummary]) -> bool:
    """True when every network source got no response at all (offline machine, no DNS...)."""
    network = {s.name for s in available_sources() if s.network}
    polled = [s for name, s in summaries.items() if name in network]
    return bool(polled) and all(s.unreachable for s in polled)


def retry_delays(settings: Settings) -> list[float]:
    """Seconds before each new attempt of a failed source: the first delay, then 6x each time."""
    return [settings.source_retry_delay_s * 6 ** i for i in range(settings.source_retries)]


def collect_with_retries(name: str, settings: Settings, run_deadline: Deadline | None = None,
                         sleep: Callable[[float], None] = time.sleep) -> SourceSummary:
    """One source, collected again after a transient failure (the Prefect task's retries, without
    Prefect), never past the run's deadline."""
    collected: Collected | None = None
    for delay in [0.0, *retry_delays(settings)]:
        if collected is not None:
            if not collected.transient or (run_deadline and time.monotonic() + delay >= run_deadline.at):
                break
            sleep(delay)
        collected = collect(name, settings, deadline=Deadline.for_source(settings, run_deadline))
        if collected.summary.ok:
            break
    assert collected is not None
    return collected.summary


def collect_live(settings: Settings, progress: Callable[[str], None] | None = None) -> dict[str, SourceSummary]:
    """Every source at once (threads; the warehouse serialises the writes), in registry order."""
    names = [s.name for s in available_sources()]
    run_deadline = Deadline.for_run(settings)

    def one(name: str) -> SourceSummary:
        if progress:
            progress(f"fetching {name} ...")
        summary = collect_with_retries(name, settings, run_deadline)
        if progress:
            progress(f"{name}: " + ("; ".join(summary.errors) if summary.errors else
                                    f"fetched {summary.fetched}, parsed {summary.parsed}, added {summary.added}"))
        return summary

    with ThreadPoolExecutor(max_workers=min(MAX_COLLECT_THREADS, len(names)), thread_name_prefix="collect") as pool:
        futures = {name: pool.submit(one, name) for name in names}
        return {name: future.result() for name, future in futures.items()}


def replay_bundled(settings: Settings, progress: Callable[[str], None] | None = None,
                   *, with_local_sources: bool = True) -> dict[str, SourceSummary]:
    """The offline history: the bundled snapshots, plus (unless already collected) the sources
    that live in the repo."""
    summaries = replay(settings, settings.snapshots_dir, progress=progress, only_newer=True)
    for source in available_sources():
        if with_local_sources and not source.network:
            summaries[source.name] = collect(source.name, settings).summary
    return summaries


def fall_back(live: dict[str, SourceSummary], bundled: dict[str, SourceSummary]) -> dict[str, SourceSummary]:
    """The sources' summaries after a fallback: the bundled replay, plus the repo-local sources
    the live attempt already collected (so they are not collected twice)."""
    local = {s.name for s in available_sources() if not s.network}
    return {**{k: v for k, v in live.items() if k in local}, **bundled}


def perform_step(step: Step, settings: Settings) -> str:
    """Run a step; its one-line summary, or ``StepFailed`` when it reports problems."""
    outcome = step.run(settings)
    if isinstance(outcome, StepOutcome) and not outcome.ok:
        raise StepFailed(outcome.summary)
    return str(outcome)


@contextmanager
def time_limit(seconds: float, what: str) -> Iterator[None]:
    """Raise ``StepTimedOut`` in the block after ``seconds`` (SIGALRM: main thread only; a
    blocking call is interrupted when it returns to Python, a subprocess wait at once)."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGALRM) not in (
            signal.SIG_DFL, None):
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise StepTimedOut(f"{what} timed out after {seconds:g} s")

    signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)


def run_step(step: Step, settings: Settings) -> StepResult:
    """Run a step within its timeout; a failure is reported, never raised (the run goes on)."""
    try:
        with time_limit(step.timeout_s, f"step {step.name}"):
            return StepResult(step.name, True, perform_step(step, settings))
    except Exception as exc:  # noqa: BLE001 - a failing step is reported, the run goes on
        return StepResult(step.name, False, step_failure(exc))


def step_failure(exc: BaseException) -> str:
    """A step's failure as one line (a StepFailed or a timeout speaks for itself)."""
    if isinstance(exc, StepFailed | StepTimedOut):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


class LinesTo(io.TextIOBase):
    """A text stream that hands every complete line to ``emit`` (a step's prints become the
    run's dated progress lines)."""

    def __init__(self, emit: Callable[[str], None]):
        self.emit, self.pending = emit, ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        *lines, self.pending = (self.pending + text).split("\n")
        for line in lines:
            self.emit(line)
        return len(text)

    def flush(self) -> None:
        if self.pending:
            self.emit(self.pending)
            self.pending = ""


@contextmanager
def prints_to(emit: Callable[[str], None] | None) -> Iterator[None]:
    if emit is None:
        yield
        return
    out, err = sys.stdout, sys.stderr

    def emit_to_the_real_streams(line: str) -> None:  # emit itself may print (to stderr)
        with redirect_stdout(out), redirect_stderr(err):
            emit(line)

    lines = LinesTo(emit_to_the_real_streams)
    with redirect_stdout(lines), redirect_stderr(lines):
        try:
            yield
        finally:
            lines.flush()


FALLBACK_NOTE = ("No provider was reachable; loaded the bundled snapshots instead "
                 "(offline demo history, see snapshots/SOURCES.md). The live errors are listed below.")


OFFLINE_NOTE = "Offline run: loaded the bundled snapshots."
SNAPSHOTS = "bundled snapshots"


def load_sources(
    *,
    offline: bool,
    collect: Callable[[], dict[str, SourceSummary]],
    replay_snapshots: Callable[[bool], dict[str, SourceSummary]],
    warn: Callable[[str], None] | None = None,
) -> RunSummary:
    """The loading phase of a daily run, shared by ``run_daily`` and the Prefect flow (which
    pass their own ways to collect and replay): offline → the bundled snapshots; live → every
    source, falling back to the snapshots when no network source was reachable (the live
    errors are kept in ``live_errors``). ``replay_snapshots(with_local_sources)`` replays the
    bundled snapshots."""
    summary = RunSummary()
    if offline:
        summary.notes.append(OFFLINE_NOTE)
        summary.sources = _replay_or_error(replay_snapshots, True)
        return summary
    summary.sources = collect()
    if all_unreachable(summary.sources):
        summary.notes.append(FALLBACK_NOTE)
        if warn:
            warn("warning: " + FALLBACK_NOTE)
        summary.live_errors = {name: s.errors for name, s in summary.sources.items() if s.errors}
        summary.sources = fall_back(summary.sources, _replay_or_error(replay_snapshots, False))
        summary.fell_back_to_snapshots = True
    return summary


def _replay_or_error(replay_snapshots: Callable[[bool], dict[str, SourceSummary]],
                     with_local_sources: bool) -> dict[str, SourceSummary]:
    """The replay's summaries, or one failed entry saying why nothing was loaded (a warehouse
    another process holds, say): the run goes on to its steps and its summary."""
    try:
        return replay_snapshots(with_local_sources)
    except Exception as exc:  # noqa: BLE001 - reported in the summary, the run ends failed
        return {SNAPSHOTS: SourceSummary(SNAPSHOTS, errors=[f"bundled snapshots not loaded: {type(exc).__name__}: "
                                                            f"{str(exc).splitlines()[0] if str(exc) else ''}"])}


def run_daily(settings: Settings, *, offline: bool = False, progress: Callable[[str], None] | None = None,
              post_steps: bool = True) -> RunSummary:
    """The whole daily job in this process, under the warehouse's run lock (``RunInProgress``
    when another run holds it longer than ``settings.run_wait_s``)."""
    with run_lock(settings.db_path, wait_s=settings.run_wait_s, on_wait=progress):
        summary = load_sources(
            offline=offline,
            collect=lambda: collect_live(settings, progress),
            replay_snapshots=lambda local: replay_bundled(settings, progress, with_local_sources=local),
            warn=progress,
        )
        for step in run_steps(post_steps):
            if progress:
                progress(f"{step.name} ...")
            with prints_to(progress):
                summary.steps.append(run_step(step, settings))
        return summary
