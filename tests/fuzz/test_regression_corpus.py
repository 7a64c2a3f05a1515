"""Regression corpus: one input per failure signature of issue #14, each built from a real fixture
(see tests/fixtures/*/SOURCES.md) with one damage. For every case the module's own parser AND the
guarded ``Source.parse`` must return sane records or raise ``ParseError``, within the time limit
(``tests.fuzz.invariants``); cases that say so must also drop the bad record."""
from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scrapers.errors import ParseError
from scrapers.records import ParseResult
from scrapers.registry import get_source
from tests.fuzz.invariants import check_parse

REPO = Path(__file__).resolve().parents[2]
HUGE_INT = 10**400  # json.dumps writes its 401 digits; float() of it overflows


def fixture(path: str) -> bytes:
    """A real payload by its repository path: ``snapshots/...`` (bundled) or ``tests/fixtures/...``."""
    return (REPO / path).read_bytes()


def edit_json(path: str, edit: Callable[[Any], None]) -> bytes:
    doc = json.loads(fixture(path))
    edit(doc)
    return json.dumps(doc, allow_nan=True).encode()


def runpod_first(field: str, value: Any) -> bytes:
    def edit(doc: list) -> None:
        doc[0][field] = value
    return edit_json("snapshots/runpod/2025-06-21T231800Z.json", edit)


def vast_first(field: str, value: Any) -> bytes:
    def edit(doc: dict) -> None:
        doc["offers"][0][field] = value
    return edit_json("tests/fixtures/gpu/vast_bundles_synthetic_market.json", edit)


LAMBDA_API = "tests/fixtures/gpu/lambda_instance_types_reconstructed_from_skypilot.json"
LAMBDA_PAGE = "snapshots/lambda/2026-09-20T120546Z.html"
TOGETHER_PAGE = "snapshots/together_pricing/2026-02-01T000000Z__reconstructed.html"


def lambda_gpu_type(field: str, value: Any, name: str = "gpu_8x_h100_sxm5") -> bytes:
    def edit(doc: dict) -> None:
        itype = doc["data"][name]["instance_type"]
        if field == "gpus":
            itype["specs"]["gpus"] = value
        else:
            itype[field] = value
    return edit_json(LAMBDA_API, edit)


def fireworks_bands(bands: str) -> bytes:
    text = fixture("snapshots/fireworks_pricing/2026-10-08T000000Z__cost-estimator-reconstructed.md").decode()
    start = text.index("[{\"maxParams\"")
    end = text.index("];", start) + 1
    return (text[:start] + bands + text[end:]).encode()


def litellm_entry(key: str, field: str, value: Any) -> bytes:
    def edit(doc: dict) -> None:
        doc[key][field] = value
    return edit_json("snapshots/litellm/2026-07-24T182343Z__extract.json", edit)


def openrouter_price(model_id: str, value: Any) -> bytes:
    def edit(doc: dict) -> None:
        next(m for m in doc["data"] if m["id"] == model_id)["pricing"]["prompt"] = value
    return edit_json("snapshots/openrouter/2026-08-01T000000Z__subset.json", edit)


def replace_once(path: str, old: str, new: str) -> bytes:
    text = fixture(path).decode()
    assert old in text, f"{old!r} not in {path}"
    return text.replace(old, new, 1).encode()


def nested_html(path: str, depth: int = 220_000) -> bytes:
    """About 1.1 MB of nested <div>s inside the real page (67 s in lexbor before the guard)."""
    return replace_once(path, "<body>", "<body>" + "<div>" * depth)


def sheet_with(line: str) -> bytes:
    return (REPO / "scrapers" / "data" / "fine_tuning_prices.csv").read_bytes() + line.encode()


def no_usd(value: float) -> Callable[[ParseResult], bool]:
    return lambda result: all(p.usd != value for p in result.token_prices)


def no_gpu_price(predicate: Callable[[float], bool]) -> Callable[[ParseResult], bool]:
    return lambda result: not any(predicate(o.usd_per_gpu_hour) or predicate(o.usd_per_instance_hour)
                                  for o in result.gpu_offers)


@dataclass(frozen=True)
class Case:
    id: str
    source: str
    ext: str
    build: Callable[[], bytes]
    also: Callable[[ParseResult], bool] | None = None  # an extra property of a successful parse


DEEP_JSON = b"[" * 100_000 + b"]" * 100_000
CASES = [
    # RecursionError on deep JSON in base.parse_json
    *[Case(f"deep-json-{name}", name, "json", lambda: DEEP_JSON)
      for name in ("runpod", "vastai", "lambda", "litellm", "openrouter")],
    Case("deep-json-in-fireworks-bands", "fireworks_pricing", "md",
         lambda: fireworks_bands('[{"maxParams":16e9,"sft":' + "[" * 5000 + "]" * 5000 + "}]")),
    # OverflowError from float() of huge ints
    Case("huge-int-runpod-securePrice", "runpod", "json", lambda: runpod_first("securePrice", HUGE_INT)),
    Case("huge-int-runpod-memoryInGb", "runpod", "json", lambda: runpod_first("memoryInGb", HUGE_INT)),
    Case("huge-int-vastai-dph_base", "vastai", "json", lambda: vast_first("dph_base", HUGE_INT)),
    Case("huge-int-vastai-num_gpus", "vastai", "json", lambda: vast_first("num_gpus", HUGE_INT)),
    Case("huge-int-lambda-price", "lambda", "json", lambda: lambda_gpu_type("price_cents_per_hour", HUGE_INT)),
    Case("huge-int-fireworks-maxParams", "fireworks_pricing", "md",
         lambda: fireworks_bands('[{"maxParams":' + "1" + "0" * 400 + ',"sft":0.5}]')),
    # int(NaN) in vastai, NaN everywhere a number is read
    Case("nan-vastai-num_gpus", "vastai", "json", lambda: vast_first("num_gpus", math.nan)),
    Case("nan-vastai-gpu_ram", "vastai", "json", lambda: vast_first("gpu_ram", math.nan)),
    Case("nan-runpod-memoryInGb", "runpod", "json", lambda: runpod_first("memoryInGb", math.nan)),
    # KeyError 'maxParams' in fireworks
    Case("fireworks-band-without-maxParams", "fireworks_pricing", "md",
         lambda: fireworks_bands('[{"maxParams":16e9,"sft":0.5},{"sft":3,"dpo":6}]')),
    # an unhashable list in litellm
    Case("litellm-mode-is-a-list", "litellm", "json", lambda: litellm_entry("ft:gpt-3.5-turbo", "mode", ["chat"])),
    Case("litellm-provider-is-a-list", "litellm", "json",
         lambda: litellm_entry("ft:gpt-3.5-turbo", "litellm_provider", ["openai"])),
    # a regex on a list in the Lambda API parser
    Case("lambda-gpu_description-is-a-list", "lambda", "json",
         lambda: lambda_gpu_type("gpu_description", ["H100 (80 GB SXM5)"])),
    # csv.Error in curated_sheet
    Case("curated-sheet-oversized-field", "curated_sheet", "csv",
         lambda: sheet_with('openai,"' + "x" * 200_000 + '",sft_full,training_per_1m_tokens,1,2026-01-01,u\n')),
    Case("curated-sheet-nul-byte", "curated_sheet", "csv",
         lambda: sheet_with("openai,gpt-x\x00,sft_full,training_per_1m_tokens,1,2026-01-01,u\n")),
    # colspan / rowspan bombs (hung and grew to 5.5 GB)
    Case("colspan-bomb-together", "together_pricing", "html",
         lambda: replace_once(TOGETHER_PAGE, "<td", '<td colspan="99999999999"')),
    Case("rowspan-bomb-together", "together_pricing", "html",
         lambda: replace_once(TOGETHER_PAGE, "<td", '<td rowspan="99999999999" colspan="1000"')),
    Case("colspan-bomb-lambda", "lambda", "html",
         lambda: replace_once(LAMBDA_PAGE, "<td", '<td colspan="99999999999"')),
    # nested HTML (67 s in the Lambda page parser)
    Case("nested-html-lambda", "lambda", "html", lambda: nested_html(LAMBDA_PAGE)),
    Case("nested-html-together", "together_pricing", "html", lambda: nested_html(TOGETHER_PAGE)),
    # NaN and absurd prices (the Lambda API path accepted NaN, inf, 1e12; "$nan" reached reports)
    Case("nan-lambda-price", "lambda", "json", lambda: lambda_gpu_type("price_cents_per_hour", math.nan),
         no_gpu_price(math.isnan)),
    Case("inf-lambda-price", "lambda", "json", lambda: lambda_gpu_type("price_cents_per_hour", math.inf),
         no_gpu_price(math.isinf)),
    Case("absurd-lambda-price", "lambda", "json", lambda: lambda_gpu_type("price_cents_per_hour", 1e12),
         no_gpu_price(lambda usd: usd > 100)),
    Case("negative-lambda-gpu-count", "lambda", "json", lambda: lambda_gpu_type("gpus", -5)),
    Case("page-inf-lambda-price", "lambda", "html", lambda: replace_once(LAMBDA_PAGE, "$3.99", "$" + "9" * 400),
         no_gpu_price(lambda usd: not math.isfinite(usd) or usd > 100)),
    Case("page-absurd-lambda-price", "lambda", "html", lambda: replace_once(LAMBDA_PAGE, "$3.99", "$100000000000"),
         no_gpu_price(lambda usd: usd > 100)),
    Case("page-zero-lambda-price", "lambda", "html", lambda: replace_once(LAMBDA_PAGE, "$3.99", "$0"),
         no_gpu_price(lambda usd: usd <= 0)),
    # token parsers emitted inf (together 17, litellm 35, openrouter 3 calls)
    Case("together-price-overflows", "together_pricing", "html",
         lambda: replace_once(TOGETHER_PAGE, "$0.48", "$" + "9" * 400), no_usd(math.inf)),
    Case("litellm-price-1e400", "litellm", "json",
         lambda: litellm_entry("ft:gpt-3.5-turbo", "input_cost_per_token", "1e400"), no_usd(math.inf)),
    Case("litellm-price-huge-float", "litellm", "json",
         lambda: litellm_entry("ft:gpt-3.5-turbo", "input_cost_per_token", 1e300), no_usd(math.inf)),
    Case("openrouter-price-1e400", "openrouter", "json", lambda: openrouter_price("openai/gpt-5.2-chat", "1e400"),
         no_usd(math.inf)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
@pytest.mark.parametrize("guarded", [False, True], ids=["module-parse", "Source.parse"])
def test_each_signature_is_a_parse_error_or_sane_records(case: Case, guarded: bool):
    source = get_source(case.source)

    outcome = check_parse(source, case.build(), case.ext, f"corpus:{case.id}", raw=not guarded)

    if case.also is not None and not isinstance(outcome, ParseError):
        assert case.also(outcome), f"{case.id}: the bad value reached the records"
