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


@pytest.mark.parametrize("where", ["route", "serving"])
def test_an_unknown_gpu_in_the_catalogue_is_a_catalogue_error(tmp_path, where):
    route = "gpu:A100:1" if where == "route" else "gpu:A100 SXM 80GB:1"
    serving = "\n    serving: {gpu: H100}" if where == "serving" else ""
    path = tmp_path / "catalogue.yaml"
    path.write_text(f"version: 1\nscenarios:\n  - name: x\n    params: 7.0e+9\n    method: lora\n"
                    f"    dataset_tokens: 1000\n    routes: ['{route}']{serving}\n")
    with pytest.raises(CatalogueError, match="use a canonical name"):
        load_catalogue(path)
