"""Route strings: friendly aliases, patterns and one-line errors with close matches."""
from __future__ import annotations

import pytest

from cost_engine.routes import RouteError, parse_pattern, parse_route, resolve_gpu


def test_aliases_name_every_matching_canonical_gpu():
    assert resolve_gpu("H100") == ("H100 NVL 94GB", "H100 PCIe 80GB", "H100 SXM 80GB")
    assert resolve_gpu("A100-80G") == ("A100 PCIe 80GB", "A100 SXM 80GB")
    assert resolve_gpu("4090") == ("RTX 4090 24GB", "RTX 4090 48GB")   # the 48 GB re-boarded card too
    assert resolve_gpu("4090-24G") == ("RTX 4090 24GB",)
    assert resolve_gpu("A10") == ("A10 24GB",)           # a word, not a prefix: A10 is not A100
    assert resolve_gpu("L40S") == ("L40S 48GB",)
    assert resolve_gpu("H10") == ()


def test_one_alias_match_is_a_route_several_are_a_pattern():
    spec = parse_pattern("gpu:4090-24G:1").spec
    assert spec is not None and spec.name == "gpu:RTX 4090 24GB:1"
    pattern = parse_pattern("gpu:H100:2")
    assert pattern.kind == "gpus" and pattern.count == 2 and len(pattern.gpus) == 3


def test_patterns():
    assert parse_pattern("all").kind == "all"
    assert parse_pattern("hosted:any").kind == "hosted_any"
    any_gpu = parse_pattern("gpu:any:1")
    assert any_gpu.kind == "gpus" and "RTX 4090 24GB" in any_gpu.gpus


def test_concrete_route_strings():
    assert parse_route("gpu:H100 SXM 80GB:8:lambda:on_demand").name == "gpu:H100 SXM 80GB:8:lambda:on_demand"
    assert parse_route("hosted:openai:gpt-4o-mini").model == "gpt-4o-mini"


@pytest.mark.parametrize("text,names,close", [
    ("gpu:H10:1", "unknown GPU 'H10'", "gpu:H100 SXM 80GB:1"),
    ("gpu:H100 SXM 80GB:0", "GPU count 0 must be from 1 to 64", None),
    ("gpu:H100 SXM 80GB:-2", "GPU count -2 must be from 1 to 64", None),
    ("gpu:H100 SXM 80GB:two", "GPU count 'two'", None),
    ("gpu:H100 SXM 80GB:1:runpod:communty", "tier 'communty'", "gpu:H100 SXM 80GB:1:runpod:community"),
    ("hosted:openia", "hosted provider 'openia'", "hosted:openai"),
    ("cloud:somewhere", "a route starts with gpu:, hosted: or is all", None),
])
def test_a_bad_route_is_one_line_with_valid_forms_and_close_matches(text, names, close):
    with pytest.raises(RouteError) as info:
        parse_pattern(text)
    message = str(info.value)
    assert names in message and "valid forms: gpu:<GPU or alias>:<count>" in message and "\n" not in message
    if close:
        assert "close matches:" in message and close in message


def test_catalogue_routes_take_canonical_names_only():
    with pytest.raises(RouteError, match="use a canonical name"):
        parse_route("gpu:A100:1")
