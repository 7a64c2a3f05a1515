"""The versioned scenario catalogue."""
from __future__ import annotations

import pytest

from cost_engine.catalogue import CatalogueError, load_catalogue, parse_route

CATALOGUE = load_catalogue()


def test_catalogue_is_versioned_and_prices_for_a_new_customer_by_default():
    assert CATALOGUE.version and CATALOGUE.customer_profile == "new"


def test_the_four_standard_scenarios_of_article_000_have_their_cost_layers():
    weekend, startup, mid, enterprise = (CATALOGUE.scenario(n) for n in (
        "weekend_lora_7b", "startup_sft_7b_hosted", "midmarket_lora_13b", "enterprise_full_70b"))
    assert startup.data.pairs == 2000 and startup.inference is not None
    assert mid.runs == 5 and mid.data.pairs == 5000 and mid.serving is not None
    assert enterprise.method == "full" and enterprise.serving.gpu_count == 4
    assert weekend.data.band().high == 0


def test_every_scenario_cites_a_seed_article():
    assert all(s.source.endswith(".txt") for s in CATALOGUE.scenarios)


def test_route_strings():
    assert parse_route("gpu:H100 SXM 80GB:8:lambda:on_demand").name == "gpu:H100 SXM 80GB:8:lambda:on_demand"
    assert parse_route("hosted:openai:gpt-4o-mini").model == "gpt-4o-mini"
    with pytest.raises(CatalogueError):
        parse_route("cloud:somewhere")
