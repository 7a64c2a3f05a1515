"""OpenAI's deprecations page, read through its markdown twin (``/api/docs/deprecations.md``).

Every ``###`` section is an announcement. Its date comes from the heading (``2026-04-22: ...``)
or from the "On <date>, we notified ..." sentence. Its tables become events:

* ``Shutdown date | Model ... | Recommended replacement`` (also the later single-table layout with
  ``Notice date``): per model id, ``deprecated`` (effective = announced = section date) and
  ``retired`` (base models, endpoints) or ``inference_shutdown`` (fine-tuned snapshots) on the
  shutdown date. Alias cells (`` `gpt-4.1-nano` \\| `gpt-4.1-nano-2025-04-14` ``) give one event
  per id. ``ft-<base>`` ids (and models of a "Fine-tuning ... models" table) are written
  ``ft:<base>``. "New fine-tuning training on `x`" rows are ``training_unavailable`` only.
* The self-serve fine-tuning wind-down (``Date | Update`` table under a fine-tuning heading):
  ``announced`` plus one ``training_unavailable`` per dated step, model ``*``, each with its
  scope ("organisations that have never fine-tuned", ..., "" for everyone).

Shutdown cells that are not a firm date ("at earliest 2024-06-13") give no retirement event.
Product ``Date | Update`` tables (Evals, Agent Builder, prompts) are not model events and are skipped.
"""
from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING

from scrapers.base import Source
from scrapers.errors import ParseError
from scrapers.markdown_tables import MarkdownTable, sections, strip_markup
from scrapers.records import FetchFailure, LifecycleEvent, ParseResult, RawPayload
from scrapers.token_common import fetch_urls, find_date, guard_page, parse_date

if TYPE_CHECKING:  # pragma: no cover
    from core.settings import Settings
    from scrapers.http import HttpClient

NAME = "openai_deprecations"
URL = "https://developers.openai.com/api/docs/deprecations.md"
PAGE_URL = "https://developers.openai.com/api/docs/deprecations"
MIN_BYTES, MAX_BYTES = 8_000, 1_000_000
ALL_MODELS = "*"

SCOPE_NEVER = "organisations that have never fine-tuned"
SCOPE_INACTIVE = "organisations with no fine-tuned model inference in the past 60 days"
_WIND_DOWN_SCOPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"not previously run fine-tuning|never (run|fine-tuned)", re.I), SCOPE_NEVER),
    (re.compile(r"past \d+ days", re.I), SCOPE_INACTIVE),
    (re.compile(r"existing customers|no new fine-tuning jobs|for (all|everyone)", re.I), ""),
)
_HEADING_DATE = re.compile(r"^(\d{4}[-\u2011]\d{2}[-\u2011]\d{2})\s*:")
_NOTIFIED = re.compile(r"\bOn ([^,\n]{1,40},[ \t]*\d{4})", re.I)  # bounded: linear on any text
_TRAINING_ROW = re.compile(r"fine-tuning training", re.I)
_FT_TABLE_HEADING = re.compile(r"fine-tuning .*models|fine-tuned (versions|models)", re.I)


def fetch(client: HttpClient, settings: Settings) -> list[RawPayload | FetchFailure]:
    return fetch_urls(client, NAME, [(URL, "md")])


def _section_date(title: str, body: str) -> date | None:
    if m := _HEADING_DATE.match(title):
        return parse_date(m.group(1))
    if m := _NOTIFIED.search(body):
        return find_date(m.group(0))
    return None


def _fine_tuned_id(model_id: str) -> str:
    return "ft:" + model_id[3:] if model_id.startswith("ft-") else model_id


def model_ids(cell: str) -> list[str]:
    """Ids in a model cell: backticked ids when there are any, else the plain text split on | and ,."""
    ticked = re.findall(r"`([^`]+)`", cell)
    if ticked:
        return [t.strip() for t in ticked if t.strip()]
    return [p.strip() for p in re.split(r"[|,]", strip_markup(cell)) if p.strip()]


def _replacement(cell: str | None) -> str | None:
    if cell is None:
        return None
    text = strip_markup(cell)
    return None if not text or set(text) <= {"-", "–", " "} else text


def _shutdown_events(table: MarkdownTable, section_date: date | None, warnings: list[str],
                     fine_tuned_table: bool) -> list[LifecycleEvent]:
    col_date = table.column("shutdown date")
    col_model = table.column("model", "system", exclude=("price", "replacement", "substitute"))
    col_repl = table.column("replacement", "substitute")
    col_notice = table.column("notice date", "announced")
    if col_date is None or col_model is None:
        return []
    events: list[LifecycleEvent] = []
    for row in table.rows:
        cell = row[col_model]
        shutdown = parse_date(row[col_date])
        announced = (parse_date(row[col_notice]) if col_notice is not None else None) or section_date
        replacement = _replacement(row[col_repl]) if col_repl is not None else None
        if shutdown is None and row[col_date].strip():
            warnings.append(f"{NAME}: shutdown date {row[col_date]!r} for {strip_markup(cell)!r} "
                            "is not a firm date; no retirement event")
        training_only = bool(_TRAINING_ROW.search(cell))
        for raw_id in model_ids(cell):
            model = _fine_tuned_id(raw_id)
            if fine_tuned_table and not model.startswith(("ft:", "/")):
                model = "ft:" + model
            if training_only:
                events.append(LifecycleEvent("openai", model, "training_unavailable", shutdown, announced,
                                             replacement, "", PAGE_URL))
                continue
            if announced is not None:
                events.append(LifecycleEvent("openai", model, "deprecated", announced, announced,
                                             replacement, "", PAGE_URL))
            if shutdown is not None:
                kind = "inference_shutdown" if model.startswith("ft:") else "retired"
                events.append(LifecycleEvent("openai", model, kind, shutdown, announced, replacement, "", PAGE_URL))
    return events


def _wind_down_events(table: MarkdownTable, section_date: date | None, warnings: list[str]) -> list[LifecycleEvent]:
    col_date, col_update = table.column("date"), table.column("update")
    if col_date is None or col_update is None:
        return []
    events: list[LifecycleEvent] = []
    if section_date is not None:
        events.append(LifecycleEvent("openai", ALL_MODELS, "announced", section_date, section_date, None, "", PAGE_URL))
    for row in table.rows:
        when, update = parse_date(row[col_date]), strip_markup(row[col_update])
        if when is None:
            warnings.append(f"{NAME}: wind-down row without a firm date: {row[col_date]!r}")
            continue
        scope = next((s for pattern, s in _WIND_DOWN_SCOPES if pattern.search(update)), None)
        if scope is None:
            scope = update.split(".")[0][:120]
            warnings.append(f"{NAME}: unrecognised fine-tuning wind-down step on {when}: {update[:200]!r}; "
                            "stored with the page's own wording as scope")
        events.append(LifecycleEvent("openai", ALL_MODELS, "training_unavailable", when, section_date,
                                     None, scope, PAGE_URL))
    return events


def _dedupe(events: list[LifecycleEvent], warnings: list[str]) -> list[LifecycleEvent]:
    """One event per (model, event, scope). The page lists newest announcements first: the first
    sighting wins, except ``deprecated`` which keeps the earliest date (first deprecation)."""
    kept: dict[tuple[str, str, str], LifecycleEvent] = {}
    for ev in events:
        key = (ev.model, ev.event, ev.scope)
        old = kept.get(key)
        if old is None:
            kept[key] = ev
        elif old.effective_date != ev.effective_date:
            if ev.event == "deprecated":
                if ev.effective_date and old.effective_date and ev.effective_date < old.effective_date:
                    kept[key] = ev
            else:
                warnings.append(f"{NAME}: {ev.model} {ev.event} listed on {old.effective_date} and on "
                                f"{ev.effective_date}; kept the newer announcement ({old.effective_date})")
    return list(kept.values())


def parse(body: bytes, *, ext: str, origin: str) -> ParseResult:
    text = guard_page(NAME, body, origin, min_bytes=MIN_BYTES, max_bytes=MAX_BYTES, markers=("# Deprecations",))
    warnings: list[str] = []
    events: list[LifecycleEvent] = []
    for section in sections(text, level=3):
        section_date = _section_date(section.title, section.body)
        is_fine_tuning = "fine-tuning" in section.title.lower()
        for table in section.tables:
            header = [h.lower() for h in table.header]
            if table.column("shutdown date") is not None:
                fine_tuned_table = bool(_FT_TABLE_HEADING.search(table.heading)) and table.heading != section.title
                events += _shutdown_events(table, section_date, warnings, fine_tuned_table)
            elif header[:2] == ["date", "update"] and is_fine_tuning:
                events += _wind_down_events(table, section_date, warnings)
    if not events:
        raise ParseError(NAME, "tables", "no deprecation table could be read (expected '### <date>: "
                         "<title>' sections with 'Shutdown date' tables); the page layout changed", origin)
    return ParseResult(lifecycle_events=_dedupe(events, warnings), warnings=warnings)


SOURCE = Source(
    name=NAME,
    kind="token",
    description="OpenAI deprecations page (markdown twin): deprecations, shutdowns, fine-tuning wind-down",
    fetch=fetch,
    parse=parse,
)
