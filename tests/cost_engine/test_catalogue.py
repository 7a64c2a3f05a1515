"""The versioned scenario catalogue."""
from __future__ import annotations

from pathlib import Path

import pytest

from cost_engine.catalogue import CatalogueError, Inference, load_catalogue
from cost_engine.routes import RouteError, parse_route

CATALOGUE = load_catalogue()
SEEDS = ("000_91dabb329c97c9de.txt", "001_17b199f7883ecf40.txt", "002_bd41a6481106a131.txt",
         "003_523fdf2502e82abb.txt", "004_987e83a138fa6d38.txt")


def test_catalogue_is_versioned():
    assert CATALOGUE.version == 4


def test_the_four_standard_scenarios_of_article_000_have_their_cost_layers():
    weekend, startup, mid, enterprise = (CATALOGUE.scenario(n) for n in (
        "weekend_lora_7b", "startup_sft_7b_hosted", "midmarket_lora_13b", "enterprise_full_70b"))
    assert startup.data.pairs == 2000
    # 002's 50,000+ requests a day (1.5M a month), 500 in / 200 out, and the 500 prompt tokens the
    # fine-tune saves the base model
    assert startup.inference == Inference(requests_per_month=1_500_000, input_tokens=500, output_tokens=200,
                                          base_prompt_overhead_tokens=500, months=1)
    assert mid.runs == 5 and mid.data.pairs == 5000
    # two of any 80 GB data-centre GPU, 730 h a month (the catalogue's stated assumption)
    assert mid.serving is not None and (mid.serving.gpus, mid.serving.gpu_count, mid.serving.hours_per_month) == (
        ["A100 SXM 80GB", "A100 PCIe 80GB", "H100 SXM 80GB", "H100 PCIe 80GB"], 2, 730)
    assert enterprise.method == "full" and enterprise.serving is not None and enterprise.serving.gpu_count == 4
    assert weekend.data.band().high == 0
    assert "gpu:any:1" in weekend.routes     # 000 names no GPU for the weekend experiment


def test_every_scenario_cites_a_seed_article():
    assert all(s.source in SEEDS for s in CATALOGUE.scenarios)


def test_the_three_corrected_citations():
    text = (Path(__file__).resolve().parents[2] / "cost_engine" / "catalogue.yaml").read_text()
    # 004 says "a typical example might be ... totaling 500 tokens", not 003.
    assert 'tokens_per_example: 500   # 004: "a typical example might be' in text
    # No article prices "2 × A100 80GB" serving for a 13B model or "4× H100" for 70B: the catalogue
    # now says which numbers are its own assumption.
    assert "4× H100 for $5,000–15,000/month" not in text
    assert "000 FAQ: a dedicated A100 80GB endpoint, 730 h" not in text
    assert "two 80 GB GPUs for this 13B endpoint is our" in text
    assert '"A 70B model needs 2–4× A100s, pushing serving costs to $2,000–$6,000/month"' in text


def test_route_strings():
    assert parse_route("gpu:H100 SXM 80GB:8:lambda:on_demand").name == "gpu:H100 SXM 80GB:8:lambda:on_demand"
    assert parse_route("hosted:openai:gpt-4o-mini").model == "gpt-4o-mini"
    with pytest.raises(RouteError):
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
