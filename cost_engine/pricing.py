"""Price every route of a scenario against a snapshot (pure).

Layers per route: compute (training runs), data, engineering (labour + failed runs), serving
(dedicated GPUs for the tuned model: gpu routes, and hosted open-weight routes when the scenario
has no inference block), inference (hosted per-token inference of the tuned model), total.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cost_engine import availability
from cost_engine.bands import Band
from cost_engine.catalogue import OPEN_WEIGHT_PROVIDERS, Catalogue, RouteSpec, Scenario
from cost_engine.compute import (
    GpuTimeEstimate,
    billed_tokens,
    break_even_months,
    gpu_training_time,
    hosted_training_cost,
    monthly_token_spend,
)
from cost_engine.gpus import gpu_spec
from cost_engine.snapshot import (
    PriceSnapshot,
    effective_usd_per_gpu_hour,
    find_token_price,
    gpu_groups,
    gpu_provenance,
    pick_gpu_price,
    token_provenance,
)
from scrapers.records import COMMITTED_TIERS, INTERRUPTIBLE_TIERS

LAYERS = ("compute", "data", "engineering", "serving", "inference", "total")


@dataclass
class LayerCost:
    usd: Band | None
    inputs: dict[str, Any] = field(default_factory=dict)


@dataclass
class RouteEstimate:
    scenario: str
    route: str
    available: bool
    reasons: list[str]
    layers: dict[str, LayerCost]
    provenance: list[dict[str, Any]]
    cheapest: bool = False

    @property
    def reason(self) -> str | None:
        return "; ".join(self.reasons) or None

    @property
    def total(self) -> Band | None:
        return self.layers["total"].usd


def expand_routes(spec: RouteSpec, snap: PriceSnapshot) -> list[RouteSpec]:
    """A gpu route without provider and tier becomes: the cheapest offer, then one route per
    provider/tier that prices the GPU (on-demand and spot side by side). Commitment tiers
    (reserved terms, clusters) are neither the cheapest offer nor expanded: a catalogue route
    that names one (``gpu:<GPU>:<n>:runpod:reserved_1m``) prices it explicitly."""
    if spec.kind != "gpu" or (spec.provider and spec.tier):
        return [spec]
    groups = gpu_groups(snap, spec.gpu or "", provider=spec.provider)
    return [spec] + [RouteSpec("gpu", provider=p, tier=t, gpu=spec.gpu, count=spec.count) for p, t in groups]


def _training_methods(method: str, provider: str) -> list[str]:
    """Price methods to try. Providers that tune internally (OpenAI, Vertex) publish one SFT price, which a
    LoRA scenario uses; providers with separate LoRA and full prices never substitute one for the other."""
    if method == "full":
        return ["sft_full"]
    return ["sft_lora"] if provider in OPEN_WEIGHT_PROVIDERS else ["sft_lora", "sft_full"]


@dataclass
class _Serving:
    """The serving layer of a scenario, priced once and shared by every route that serves."""
    cost: LayerCost
    reasons: list[str]
    provenance: list[dict[str, Any]]


def _serving(scenario: Scenario, snap: PriceSnapshot) -> _Serving:
    s = scenario.serving
    assert s is not None
    price = pick_gpu_price(snap, s.gpu, s.gpu_count, tiers=s.tiers,
                           exclude_tiers=COMMITTED_TIERS + INTERRUPTIBLE_TIERS)
    inputs: dict[str, Any] = {"gpu": s.gpu, "gpu_count": s.gpu_count, "hours_per_month": s.hours_per_month,
                              "months": s.months,
                              "tiers": s.tiers or "all but spot/interruptible and reserved/cluster commitments"}
    if price is None:
        return _Serving(LayerCost(None, inputs), [f"no serving price for {s.gpu} at or before {snap.as_of}"], [])
    p = _gpu_prov(price, s.gpu_count, snap)
    inputs["price"] = p
    return _Serving(LayerCost(Band.point(s.gpu_count * s.hours_per_month * s.months * p["usd_effective"]), inputs),
                    [], [p])


@dataclass
class _ScenarioWork:
    """What every route of one scenario shares on one day: computed once, not per route."""
    serving: _Serving | None = None
    times: dict[tuple[str, int], GpuTimeEstimate] = field(default_factory=dict)


def _gpu_prov(price, count: int, snap: PriceSnapshot) -> dict[str, Any]:
    p = gpu_provenance(price, snap)
    p["usd_effective"] = effective_usd_per_gpu_hour(price, count)
    if price.gpu_count > count:
        p["note"] = f"{price.gpu_count}-GPU instance paid in full for {count} GPU(s)"
    elif price.gpu_count < count:
        p["note"] = f"per-GPU price of a {price.gpu_count}-GPU offering used for {count} GPUs"
    return p


def _stale_notes(prov: list[dict[str, Any]]) -> list[str]:
    return [f"stale price: {p['provider']} {p.get('offering') or p.get('model')} last observed "
            f"{p['observed_at'][:10]}" for p in prov if p.get("stale")]


def _price_gpu_route(scenario: Scenario, catalogue: Catalogue, spec: RouteSpec, snap: PriceSnapshot,
                     reasons: list[str], prov: list[dict[str, Any]], work: _ScenarioWork) -> LayerCost:
    gpu = gpu_spec(spec.gpu or "")
    key = (gpu.name, spec.count)
    if key not in work.times:
        work.times[key] = gpu_training_time(catalogue.arch(scenario), scenario.setup(), gpu, spec.count)
    est = work.times[key]
    inputs: dict[str, Any] = {"method": scenario.method, "runs": scenario.runs,
                              "training_tokens": scenario.training_tokens, **est.inputs,
                              "gpu_hours_per_run": est.gpu_hours.rounded(3)}
    if not est.memory.fits:
        reasons.append(est.memory.note)
        return LayerCost(None, inputs)
    if est.memory.mode == "offload":
        reasons.append(est.memory.note)
    if not gpu.verified:
        reasons.append(f"{gpu.name} peak throughput is an unverified datasheet value")
    price = pick_gpu_price(snap, gpu.name, spec.count, provider=spec.provider, tier=spec.tier)
    if price is None:
        where = ":".join(x for x in (spec.provider, spec.tier) if x) or "any provider"
        reasons.append(f"no price for {gpu.name} ({where}) at or before {snap.as_of}")
        return LayerCost(None, inputs)
    p = _gpu_prov(price, spec.count, snap)
    prov.append(p)
    inputs["price"] = p
    return LayerCost(est.gpu_hours * (p["usd_effective"] * scenario.runs), inputs)


def _price_hosted_route(scenario: Scenario, catalogue: Catalogue, spec: RouteSpec, snap: PriceSnapshot,
                        reasons: list[str], prov: list[dict[str, Any]]) -> LayerCost:
    params = catalogue.params(scenario)
    provider = spec.provider or ""
    price = find_token_price(snap, provider, spec.model, params, _training_methods(scenario.method, provider),
                             "training_per_1m_tokens")
    billed = billed_tokens(scenario.tokens_per_epoch, scenario.epochs)
    inputs: dict[str, Any] = {"method": scenario.method, "runs": scenario.runs, "epochs": scenario.epochs,
                              "billed_tokens_per_run": billed, "params": params}
    if price is None:
        label = spec.model or f"{params / 1e9:g}B"
        reasons.append(f"no training price for {provider} {label} ({scenario.method}) at or before {snap.as_of}")
        return LayerCost(None, inputs)
    minimum = find_token_price(snap, provider, spec.model, params, [price.method], "min_charge")
    p = token_provenance(price, snap)
    prov.append(p)
    inputs["price"] = p
    if price.method == "sft_full" and scenario.method != "full":
        inputs["note"] = f"{provider} publishes no LoRA price; its managed SFT price is used"
    if minimum is not None:
        prov.append(token_provenance(minimum, snap))
        inputs["min_charge"] = minimum.usd
    per_run = hosted_training_cost(billed, price.usd, minimum.usd if minimum else None)
    inputs["usd_per_run"] = round(per_run, 6)
    return LayerCost(Band.point(per_run * scenario.runs), inputs)


def _inference(scenario: Scenario, catalogue: Catalogue, spec: RouteSpec, snap: PriceSnapshot,
               layers: dict[str, LayerCost], reasons: list[str], prov: list[dict[str, Any]]) -> LayerCost:
    """Hosted inference of the tuned model, and the break-even against the base model.

    Break-even (notes §6.4): months = one-off / monthly saving, where the one-off is compute +
    data + engineering (``break_even_months``); ``break_even_months_training_only`` uses the
    training compute alone. Mid values of each band.
    """
    inf = scenario.inference
    assert inf is not None
    params = catalogue.params(scenario)
    provider = spec.provider or ""
    found = {kind: find_token_price(snap, provider, spec.model, params, ["inference"], kind)
             for kind in ("ft_input_per_1m", "ft_output_per_1m", "base_input_per_1m", "base_output_per_1m")}
    inputs: dict[str, Any] = {"requests_per_month": inf.requests_per_month, "input_tokens": inf.input_tokens,
                              "output_tokens": inf.output_tokens,
                              "base_prompt_overhead_tokens": inf.base_prompt_overhead_tokens, "months": inf.months}
    missing = [k for k in ("ft_input_per_1m", "ft_output_per_1m") if found[k] is None]
    at_base = catalogue.ft_inference_at_base_price.get(provider)
    if missing and at_base and found["base_input_per_1m"] and found["base_output_per_1m"]:
        found["ft_input_per_1m"], found["ft_output_per_1m"] = found["base_input_per_1m"], found["base_output_per_1m"]
        inputs["ft_price_basis"] = f"base-model price ({at_base})"
        missing = []
    if missing:
        reasons.append(f"no fine-tuned inference price ({', '.join(missing)}) for {provider} "
                       f"{spec.model or f'{params / 1e9:g}B'} at or before {snap.as_of}")
        return LayerCost(None, inputs)
    for obs in {id(o): o for o in found.values() if o is not None}.values():
        prov.append(token_provenance(obs, snap))
    ft_in, ft_out = found["ft_input_per_1m"], found["ft_output_per_1m"]
    ft_month = monthly_token_spend(inf.requests_per_month, inf.input_tokens, inf.output_tokens, ft_in.usd, ft_out.usd)  # type: ignore[union-attr]
    inputs["ft_usd_per_month"] = round(ft_month, 4)
    b_in, b_out = found["base_input_per_1m"], found["base_output_per_1m"]
    if b_in is None or b_out is None:
        inputs["break_even_months"] = None
        inputs["break_even_reason"] = "no base-model inference price to compare with"
    else:
        base_month = monthly_token_spend(inf.requests_per_month, inf.input_tokens + inf.base_prompt_overhead_tokens,
                                         inf.output_tokens, b_in.usd, b_out.usd)
        inputs["base_usd_per_month"] = round(base_month, 4)
        one_off_parts = [layers[n].usd for n in ("compute", "data", "engineering")]
        if any(part is None for part in one_off_parts):
            inputs["break_even_months"] = inputs["break_even_months_training_only"] = None
            inputs["break_even_reason"] = "no training cost"
        else:
            training = one_off_parts[0].mid  # type: ignore[union-attr]
            one_off = sum(part.mid for part in one_off_parts)  # type: ignore[union-attr]
            months, why = break_even_months(one_off, base_month, ft_month)
            months_training, _ = break_even_months(training, base_month, ft_month)
            inputs["one_off_usd"] = round(one_off, 4)
            inputs["one_off_basis"] = "compute + data + engineering (mid)"
            inputs["break_even_months"] = None if months is None else round(months, 3)
            inputs["break_even_months_training_only"] = None if months_training is None else round(months_training, 3)
            inputs["break_even_reason"] = why
    return LayerCost(Band.point(ft_month * inf.months), inputs)


def price_route(scenario: Scenario, catalogue: Catalogue, spec: RouteSpec, snap: PriceSnapshot,
                work: _ScenarioWork | None = None) -> RouteEstimate:
    """Price one route; ``work`` carries what the scenario's routes share (see ``price_scenario``)."""
    work = work if work is not None else _ScenarioWork()
    reasons: list[str] = []
    prov: list[dict[str, Any]] = []
    layers: dict[str, LayerCost] = {}
    blockers: list[str] = []
    notices: list[dict[str, Any]] = []
    if spec.kind == "gpu":
        layers["compute"] = _price_gpu_route(scenario, catalogue, spec, snap, reasons, prov, work)
    else:
        needs_inference = scenario.inference is not None
        blockers = availability.route_blockers(snap.events, spec, snap.as_of, needs_inference=needs_inference,
                                               profile=catalogue.customer_profile)
        notices = availability.route_notices(snap.events, spec, snap.as_of, needs_inference=needs_inference,
                                             profile=catalogue.customer_profile)
        layers["compute"] = _price_hosted_route(scenario, catalogue, spec, snap, reasons, prov)
    if notices:
        layers["compute"].inputs["lifecycle_notices"] = notices
    data = scenario.data.band()
    layers["data"] = LayerCost(data, scenario.data.model_dump(exclude_none=True))
    compute = layers["compute"].usd
    failed = Band.of(scenario.engineering.failed_share)
    labour = Band.of(scenario.engineering.labour_usd)
    layers["engineering"] = LayerCost(
        None if compute is None else labour + compute * failed,
        {"labour_usd": labour.as_list(), "failed_share": failed.as_list(),
         "note": "labour + failed_share × compute"})
    if spec.kind == "hosted" and scenario.inference is not None:
        layers["inference"] = _inference(scenario, catalogue, spec, snap, layers, reasons, prov)
    elif scenario.serving is not None and (spec.kind == "gpu" or spec.provider in OPEN_WEIGHT_PROVIDERS):
        if work.serving is None:
            work.serving = _serving(scenario, snap)
        layers["serving"] = work.serving.cost
        reasons.extend(work.serving.reasons)
        prov.extend(work.serving.provenance)
    parts = [layers[name].usd for name in LAYERS if name in layers]
    total = None if any(p is None for p in parts) else sum(parts[1:], parts[0])  # type: ignore[arg-type]
    reasons = blockers + reasons
    available = not blockers and total is not None
    reasons += _stale_notes(prov)
    layers["total"] = LayerCost(total, {"layers": [n for n in LAYERS[:-1] if n in layers], "provenance": prov,
                                        "catalogue_version": catalogue.version,
                                        "customer_profile": catalogue.customer_profile,
                                        "staleness_days": snap.staleness_days})
    return RouteEstimate(scenario.name, spec.name, available, reasons, layers, prov)


def price_scenario(scenario: Scenario, catalogue: Catalogue, snap: PriceSnapshot) -> list[RouteEstimate]:
    routes: list[RouteEstimate] = []
    seen: set[str] = set()
    work = _ScenarioWork()   # serving and GPU-hours per (GPU, count): once per scenario, not per route
    for spec in scenario.route_specs():
        for expanded in expand_routes(spec, snap):
            if expanded.name in seen:
                continue
            seen.add(expanded.name)
            routes.append(price_route(scenario, catalogue, expanded, snap, work))
    candidates = [r for r in routes if r.available and r.total is not None]
    if candidates:
        # Fresh prices beat stale ones, as for the cheapest offer; then the lowest total mid.
        best = min(candidates, key=lambda r: (any(p.get("stale") for p in r.provenance),
                                              r.total.mid, r.route))  # type: ignore[union-attr]
        best.cheapest = True
    for r in routes:
        r.layers["total"].inputs["cheapest_in_scenario"] = r.cheapest
    return routes


def price_catalogue(catalogue: Catalogue, snap: PriceSnapshot) -> list[RouteEstimate]:
    out: list[RouteEstimate] = []
    for scenario in catalogue.scenarios:
        out.extend(price_scenario(scenario, catalogue, snap))
    return out
