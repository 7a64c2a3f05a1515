"""Every bundled token snapshot replays cleanly and the history it gives is usable."""
from __future__ import annotations

from datetime import datetime

import pytest

from core.paths import BUNDLED_SNAPSHOTS
from core.settings import Settings
from tests.scrapers.token_helpers import query
from warehouse.replay import replay

TOKEN_SNAPSHOT_SOURCES = ["openai_pricing", "openai_deprecations", "together_pricing", "fireworks_pricing",
                          "vertex_pricing", "litellm", "openrouter"]


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    """One replay of every bundled token snapshot into a fresh warehouse, shared by this module."""
    root = tmp_path_factory.mktemp("bundled")
    settings = Settings(db_path=root / "pricewatch.duckdb", data_dir=root / "data")
    return settings, replay(settings, BUNDLED_SNAPSHOTS, sources=TOKEN_SNAPSHOT_SOURCES)


def test_all_token_snapshots_replay_without_errors(replayed):
    settings, summaries = replayed
    assert set(summaries) == set(TOKEN_SNAPSHOT_SOURCES)
    for name, summary in summaries.items():
        [(stored,)] = query(settings, "SELECT (SELECT count(*) FROM token_observations WHERE source = $s) + "
                            "(SELECT count(*) FROM lifecycle_events WHERE source = $s)", {"s": name})
        assert (summary.errors, summary.added) == ([], stored), name
        assert stored > 0, name


def test_replayed_snapshots_record_aggregator_disagreements(replayed):
    settings, _ = replayed
    rows = query(settings, "SELECT aggregator_source, model, price_kind FROM token_price_discrepancies "
                 "WHERE model = 'gpt-5.6-luna' ORDER BY 1, 3")
    # litellm still had the price before OpenAI's 2026-07-30 cut; openrouter lists half of it
    assert rows == [("litellm", "gpt-5.6-luna", "base_input_per_1m"),
                    ("litellm", "gpt-5.6-luna", "base_output_per_1m"),
                    ("openrouter", "gpt-5.6-luna", "base_input_per_1m"),
                    ("openrouter", "gpt-5.6-luna", "base_output_per_1m")]
    # fine-tuned prices agree between litellm and the pricing page
    assert query(settings, "SELECT count(*) FROM token_price_discrepancies WHERE price_kind LIKE 'ft_%'") == [(0,)]


def test_replayed_wind_down_events_are_in_the_lifecycle_view(replayed):
    settings, _ = replayed
    rows = query(settings, "SELECT effective_date, scope, first_seen_at FROM model_lifecycle_events "
                 "WHERE model = '*' AND event = 'training_unavailable' ORDER BY effective_date")
    assert len(rows) == 3 and all(r[2] == datetime(2026, 8, 20) for r in rows)
