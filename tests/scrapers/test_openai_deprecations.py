"""OpenAI deprecations page (real snapshot 2026-08-20): events, the fine-tuning wind-down, history."""
from __future__ import annotations

from datetime import date, datetime

import httpx
import pytest
import respx

from scrapers import openai_deprecations as dep
from scrapers.errors import ParseError
from scrapers.http import HttpClient
from tests.scrapers.token_helpers import HTML_ERROR_PAGE, fixture, ingest, parse_fixture, payload, query

SNAPSHOT = "openai_deprecations/2026-08-20T000000Z.md"


@pytest.fixture(scope="module")
def events():
    result = parse_fixture(dep.SOURCE, SNAPSHOT)
    return {(e.model, e.event, e.scope): e for e in result.lifecycle_events}


def test_the_wind_down_is_an_announcement_and_three_dated_training_cut_offs(events):
    wind_down = sorted((e.effective_date, e.scope) for (m, ev, _s), e in events.items()
                       if m == "*" and ev == "training_unavailable")
    assert wind_down == [
        (date(2026, 5, 7), "organisations that have never fine-tuned"),
        (date(2026, 7, 2), "organisations with no fine-tuned model inference in the past 60 days"),
        (date(2027, 1, 6), ""),
    ]
    announced = events[("*", "announced", "")]
    assert announced.effective_date == announced.announced_date == date(2026, 5, 7)
    assert all(e.announced_date == date(2026, 5, 7) for (m, _ev, _s), e in events.items() if m == "*")


def test_fine_tuned_snapshots_shut_down_on_2026_10_23(events):
    shut = {m for (m, ev, _s), e in events.items()
            if ev == "inference_shutdown" and e.effective_date == date(2026, 10, 23)}
    assert shut == {"ft:gpt-3.5-turbo", "ft:gpt-4", "ft:gpt-4.1-nano-2025-04-14", "ft:babbage-002",
                    "ft:davinci-002", "ft:o4-mini-2025-04-16"}
    assert events[("ft:gpt-4.1-nano-2025-04-14", "inference_shutdown", "")].replacement == "gpt-5.6-luna"


def test_a_section_gives_deprecated_on_its_date_and_retired_on_the_shutdown_date(events):
    deprecated = events[("gpt-4.1-nano-2025-04-14", "deprecated", "")]
    retired = events[("gpt-4.1-nano-2025-04-14", "retired", "")]
    assert deprecated.effective_date == deprecated.announced_date == date(2026, 4, 22)
    assert retired.effective_date == date(2026, 10, 23) and retired.announced_date == date(2026, 4, 22)


def test_alias_cells_give_one_event_per_id(events):
    assert ("gpt-4.1-nano", "retired", "") in events
    assert ("o4-mini", "retired", "") in events and ("o4-mini-2025-04-16", "retired", "") in events


def test_non_breaking_hyphen_dates_are_read(events):
    assert events[("gpt-4-0314", "retired", "")].effective_date == date(2026, 3, 26)


def test_training_only_deprecations_are_not_shutdowns(events):
    babbage = events[("babbage-002", "training_unavailable", "")]
    assert babbage.effective_date == date(2024, 10, 28) and babbage.announced_date == date(2024, 8, 29)
    assert events[("babbage-002", "retired", "")].effective_date == date(2026, 9, 28)


def test_a_page_without_deprecation_tables_is_a_parse_error():
    body = b"# Deprecations\n\n## Overview\n\n" + b"Nothing to see here. " * 500  # synthetic
    with pytest.raises(ParseError, match="tables"):
        dep.parse(body, ext="md", origin="synthetic.md")


def test_an_html_error_page_is_a_parse_error():
    with pytest.raises(ParseError, match="HTML page"):
        dep.parse(HTML_ERROR_PAGE * 200, ext="md", origin="synthetic.md")


def _excerpt() -> bytes:
    """The real page up to the 2026-04-22 section: the newest sections and the wind-down (fast to load)."""
    body = fixture(SNAPSHOT)
    return body[: body.index(b"### 2026-04-22: Legacy GPT model snapshots")]


def test_a_re_seen_event_is_one_row_whose_last_seen_at_moves(settings):
    body = _excerpt()
    ingest(settings, dep.SOURCE, [payload("openai_deprecations", body)], datetime(2026, 8, 20))
    ingest(settings, dep.SOURCE, [payload("openai_deprecations", body, when=datetime(2026, 8, 21))],
           datetime(2026, 8, 21))
    rows = query(settings, "SELECT first_seen_at, last_seen_at FROM model_lifecycle_events "
                 "WHERE model = '*' AND event = 'training_unavailable' AND scope = ''")
    assert rows == [(datetime(2026, 8, 20), datetime(2026, 8, 21))]


def test_a_changed_date_is_a_new_row_pointing_at_the_old_one(settings):
    body = _excerpt()
    ingest(settings, dep.SOURCE, [payload("openai_deprecations", body)], datetime(2026, 8, 20))
    # synthetic edit: OpenAI moves the final cut-off from Jan 6 to Feb 6, 2027
    moved = body.replace(b"| Jan 6, 2027  |", b"| Feb 6, 2027  |")
    assert moved != body
    ingest(settings, dep.SOURCE, [payload("openai_deprecations", moved, when=datetime(2026, 9, 1))],
           datetime(2026, 9, 1))
    rows = query(settings, "SELECT event_id, effective_date, supersedes_event_id FROM model_lifecycle_events "
                 "WHERE model = '*' AND event = 'training_unavailable' AND scope = '' ORDER BY event_id")
    assert [(r[1], r[2]) for r in rows] == [(date(2027, 1, 6), None), (date(2027, 2, 6), rows[0][0])]


@respx.mock
def test_a_server_error_is_recorded_as_an_http_error(settings):
    respx.get(dep.URL).mock(return_value=httpx.Response(503, content=b"busy"))
    with HttpClient(retries=0) as client:
        items = dep.fetch(client, settings)
    summary = ingest(settings, dep.SOURCE, items, datetime(2026, 8, 20))
    assert "HTTP 503" in summary.errors[0]
    assert query(settings, "SELECT count(*) FROM lifecycle_events") == [(0,)]
