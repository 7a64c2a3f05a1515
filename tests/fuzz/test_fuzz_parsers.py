"""Property-based fuzzing of every source's parser on mutations of its real payloads.

Seeded and derandomized (the same examples every run, in CI too) and bounded: ``EXAMPLES`` per
source keeps the whole suite around a minute on one core. Each example checks the invariants of
``tests.fuzz.invariants`` on the module's own parse function AND on the guarded ``Source.parse``.
To look harder locally: ``PRICEWATCH_FUZZ_EXAMPLES=2000 uv run pytest tests/fuzz``.
"""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scrapers.registry import get_source
from tests.fuzz.invariants import check_parse
from tests.fuzz.mutations import mutants
from tests.fuzz.seeds import seeds_for, source_names

EXAMPLES = int(os.environ.get("PRICEWATCH_FUZZ_EXAMPLES", "150"))


def test_every_registered_source_has_seeds():
    assert {name: [s.name for s in seeds_for(name)] for name in source_names() if not seeds_for(name)} == {}


@pytest.mark.parametrize("name", source_names())
def test_only_parse_errors_escape_and_every_record_is_sane(name):
    source, seeds = get_source(name), seeds_for(name)

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None, print_blob=True,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def fuzz(data):
        seed = data.draw(st.sampled_from(seeds), label="seed")
        mutant = data.draw(mutants(seed), label="mutant")
        check_parse(source, mutant.body, mutant.ext, seed.name, raw=True)
        check_parse(source, mutant.body, mutant.ext, seed.name, raw=False)

    fuzz()
