"""Price every route of a scenario against a snapshot (pure).

Layers per route: compute (training runs), data, engineering (labour + failed runs), serving
(dedicated GPUs for the tuned model: gpu routes, and hosted open-weight routes when the scenario
has no inference block), inference (hosted per-token inference of the tuned model), total.

Status of a route (``STATUSES``, most severe first):
  unavailable  the provider does not offer it: a lifecycle event in effect stops it, or the job
               does not fit in the GPUs' memory
  unpriced     a price it needs is missing from the snapshot (we lack it, the provider may not)
  stale        every price is there, but at least one is older than the policy's maximum age for
               its source kind: shown, with its cost, and never chosen as the cheapest
  available    every price is usable
Which route is the cheapest is not decided here: that rule has one home, the SQL macro
``scenario_cheapest_of`` (warehouse/semantic/50_costs.sql), read through ``cost_engine.service``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core import money
from cost_engine import availability
from cost_engine.bands import Band
from cost_engine.catalogue import Catalogue, Scenario
from cost_engine.compute import (
    GpuTimeEstimate,
    billed_tokens,
    break_even_months,
    gpu_training_time,
    hosted_training_cost,
    memory_plan,
    monthly_token_spend,
)
from cost_engine.gpus import GPU_SPECS, gpu_spec
from cost_engine.routes import HOSTED_PROVIDERS, OPEN_WEIGHT_PROVIDERS, RoutePattern, RouteSpec
from cost_engine.snapshot import (
    Offer,
    PriceSnapshot,
    TokenObs,
    bucket_range,
    choose_offer,
    find_token_price,
    gpu_groups,
    gpu_offers,
    gpu_provenance,
    token_provenance,
    undated,
)
from scrapers.records import COMMITTED_TIERS, INTERRUPTIBLE_TIERS
from scrapers.registry import AGGREGATOR_SOURCES

LAYERS = ("compute", "data", "engineering", "serving", "inference", "total")
STATUSES = ("unavailable", "unpriced", "stale", "available")
GPU_COUNTS = (1, 2, 4, 8)


@dataclass
class LayerCost:
    usd: Band | None
    inputs: dict[str, Any] = field(default_factory=dict)


@dataclass
class RouteEstimate:
    scenario: str
    route: str
    status: str
    reasons: list[str]
    layers: dict[str, LayerCost]
    provenance: list[dict[str, Any]]
    summary: dict[str, Any] = field(default_factory=dict)
    cheapest: bool = False

    @property
    def available(self) -> bool:
        return self.status == "available"

    @property
    def reason(self) -> str | None:
        return "; ".join(self.reasons) or None

    @property
    def total(self) -> Band | None:
        return self.layers["total"].usd


# ---------------------------------------------------------------- route expansion


def _fits(scenario: Scenario, catalogue: Catalogue, gpu: str, count: int) -> bool:
    return memory_plan(catalogue.arch(scenario), scenario.setup(), gpu_spec(gpu), count).fits


def _gpu_routes(gpu: str, count: int, snap: PriceSnapshot, provider: str | None, tier: str | None,
                mode: str) -> list[RouteSpec]:
    """``best``: the best offer's route; ``groups``: one route per provider/tier; ``both``."""
    base = RouteSpec("gpu", gpu=gpu, count=count, provider=provider, tier=tier)
    if tier is not None or mode == "best":
        return [base]
    groups = [RouteSpec("gpu", provider=p, tier=t, gpu=gpu, count=count)
              for p, t in gpu_groups(snap, gpu, count, provider=provider)]
    return groups if mode == "groups" else [base, *groups]


def _hosted_any(snap: PriceSnapshot) -> list[RouteSpec]:
    """Bucket providers by parameter count; every other provider once per priced model (undated id)."""
    specs = [RouteSpec("hosted", provider=p) for p in OPEN_WEIGHT_PROVIDERS]
    named: set[tuple[str, str]] = set()
    for t in snap.tokens:
        if (t.provider in HOSTED_PROVIDERS and t.provider not in OPEN_WEIGHT_PROVIDERS
                and t.price_kind == "training_per_1m_tokens" and t.source not in AGGREGATOR_SOURCES):
            named.add((t.provider, undated(t.model)[0]))
    return specs + [RouteSpec("hosted", provider=p, model=m) for p, m in sorted(named)]


def expand(pattern: RoutePattern, scenario: Scenario, catalogue: Catalogue, snap: PriceSnapshot,
           *, detail: bool = False) -> list[RouteSpec]:
    """Concrete routes of a route string.

    A plain ``gpu:<GPU>:<n>`` is its best offer plus one route per provider/tier that can host
    the job (on-demand and spot side by side). Patterns keep only GPUs that fit the job in memory
    and have an offering for it: ``detail=False`` (the catalogue) gives one route per GPU model,
    ``detail=True`` (estimate) one per GPU model, provider and tier. ``all`` takes each GPU at the
    smallest count in ``GPU_COUNTS`` that fits.
    """
    if pattern.kind == "route":
        spec = pattern.spec
        assert spec is not None
        if spec.kind == "hosted":
            return [spec]
        return _gpu_routes(spec.gpu or "", spec.count, snap, spec.provider, spec.tier, "both")
    if pattern.kind == "hosted_any":
        return _hosted_any(snap)
    if pattern.kind == "all":
        out: list[RouteSpec] = []
        for gpu in sorted(GPU_SPECS):
            count = next((n for n in GPU_COUNTS if _fits(scenario, catalogue, gpu, n)
                          and gpu_offers(snap, gpu, n)), None)
            if count is not None:
                out += _gpu_routes(gpu, count, snap, None, None, "groups")
        return out + _hosted_any(snap)
    out = []
    named = len(pattern.gpus) < len(GPU_SPECS)   # an alias lists its GPUs even when nobody offers them
    for gpu in pattern.gpus:
        offered = bool(gpu_offers(snap, gpu, pattern.count, provider=pattern.provider))
        if (offered or named) and _fits(scenario, catalogue, gpu, pattern.count):
            mode = ("groups" if detail else "best") if offered else "best"
            out += _gpu_routes(gpu, pattern.count, snap, pattern.provider, pattern.tier, mode)
    return out


# ---------------------------------------------------------------- shared per scenario


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


@dataclass
class _ScenarioWork:
    """What every route of one scenario shares on one day: computed once, not per route."""
    serving: _Serving | None = None
    times: dict[tuple[str, int], GpuTimeEstimate] = field(default_factory=dict)


def _stale_reason(p: dict[str, Any]) -> str:
    what = p.get("offering") or f"{p.get('model')} {p.get('price_kind')}"
    return (f"stale price: {p['provider']} {what} {money.usd_price(p['usd'])} observed {p['observed_at'][:10]}, "
            f"{p['age_days']} days before the priced day (limit for {p['source_kind']}: {p['max_age_days']} days)")


def _offer_note(offer: Offer, gpu: str) -> str | None:
    if not offer.oversized:
        return None
    return (f"priced on {offer.price.provider}'s {offer.gpus_rented}-GPU {gpu} instance "
            f"({money.usd(offer.instance_usd_per_hour)}/h, paid in full) for a {offer.gpus_needed}-GPU job: "
            f"no usable instance of {offer.gpus_needed} GPU(s)")


def _serving_offer(snap: PriceSnapshot, gpus: list[str], count: int, tiers: list[str] | None) -> Offer | None:
    offers = [o for g in gpus for o in gpu_offers(snap, g, count, tiers=tiers,
                                                  exclude_tiers=COMMITTED_TIERS + INTERRUPTIBLE_TIERS)]
    return min(offers, key=Offer.sort_key) if offers else None


def _serving(scenario: Scenario, snap: PriceSnapshot) -> _Serving:
    s = scenario.serving
    assert s is not None
    inputs: dict[str, Any] = {"gpus": s.gpus, "gpu_count": s.gpu_count, "hours_per_month": s.hours_per_month,
                              "months": s.months,
                              "tiers": s.tiers or "all but spot/interruptible and reserved/cluster commitments"}
    offer = _serving_offer(snap, s.gpus, s.gpu_count, s.tiers)
    if offer is None:
        return _Serving(LayerCost(None, inputs), [f"no serving price for {s.gpu_count} × {' or '.join(s.gpus)} "
                                                  f"on one instance at or before {snap.as_of}"], [])
    p = gpu_provenance(offer, snap)
    inputs["price"] = p
    inputs["usd_per_hour"] = p["instance_usd_per_hour"]
    reasons = [note for note in [_offer_note(offer, offer.price.gpu_model)] if note]
    usd = offer.instance_usd_per_hour * s.hours_per_month * s.months
    return _Serving(LayerCost(Band.point(usd), inputs), reasons, [p])


# ---------------------------------------------------------------- compute layers


def _gpu_compute(scenario: Scenario, catalogue: Catalogue, spec: RouteSpec, snap: PriceSnapshot,
                 route: _RouteWork, work: _ScenarioWork) -> LayerCost:
    gpu = gpu_spec(spec.gpu or "")
    key = (gpu.name, spec.count)
    if key not in work.times:
        work.times[key] = gpu_training_time(catalogue.arch(scenario), scenario.setup(), gpu, spec.count)
    est = work.times[key]
    inputs: dict[str, Any] = {"method": scenario.method, "runs": scenario.runs,
                              "training_tokens": scenario.training_tokens, **est.inputs,
                              "gpu_hours_per_run": est.gpu_hours.rounded(3)}
    if not est.memory.fits:
        route.blockers.append(est.memory.note)
        return LayerCost(None, inputs)
    if est.memory.mode == "offload":
        route.notes.append(est.memory.note)
    if not gpu.verified:
        route.notes.append(f"{gpu.name} peak throughput is an unverified datasheet value")
    needs = scenario.needs
    offer = choose_offer(snap, gpu.name, spec.count, provider=spec.provider, tier=spec.tier, needs=needs)
    if offer is None:
        where = ":".join(x for x in (spec.provider, spec.tier) if x) or "any provider"
        shape = f" with {needs.describe()}" if needs else ""
        route.missing.append(f"no offer of {spec.count} or more {gpu.name} GPUs on one instance{shape} ({where}) "
                             f"at or before {snap.as_of}")
        return LayerCost(None, inputs)
    if needs:
        inputs["instance_needs"] = {"min_ram_gb": needs.min_ram_gb, "min_disk_gb": needs.min_disk_gb}
    if offer.shape_unknown:
        unstated = " and ".join(f.removesuffix("_gb").upper() if f == "ram_gb" else f.removesuffix("_gb")
                                for f in offer.shape_unknown)
        route.notes.append(f"{offer.price.provider} does not state the instance's {unstated}; the job needs "
                           f"{needs.describe()}: check before renting")
    p = gpu_provenance(offer, snap)
    route.provenance.append(p)
    allowance = snap.policy.spot_interruption_allowance if offer.interruptible else 0.0
    wall = est.wall_hours * (1 + allowance)
    inputs.update(price=p, interruption_allowance=allowance, billed_wall_hours_per_run=wall.rounded(3))
    note = _offer_note(offer, gpu.name)
    if note:
        route.notes.append(note)
    usd = wall * (offer.instance_usd_per_hour * scenario.runs)
    route.summary.update(
        provider=offer.price.provider, tier=offer.price.tier, spot=offer.interruptible,
        interruption_allowance=allowance, gpus_needed=spec.count, gpus_rented=offer.gpus_rented,
        oversized=offer.oversized, instance_usd_per_hour=p["instance_usd_per_hour"],
        effective_usd_per_gpu_hour=p["usd_effective"], usd_per_hour=p["instance_usd_per_hour"],
        wall_hours_per_run=wall.rounded(3), gpu_hours_per_run=(wall * spec.count).rounded(3),
        cost_per_epoch=(usd * (1 / (scenario.runs * scenario.epochs))).rounded(4),
        basis=p["basis"], observed_at=p["observed_at"][:10])
    return LayerCost(usd, inputs)


def _min_charge(snap: PriceSnapshot, provider: str, model: str | None, params: float, price: TokenObs,
                inputs: dict[str, Any], route: _RouteWork) -> float | None:
    minimum = find_token_price(snap, provider, model, params, [price.method], "min_charge")
    if minimum is None:
        return None
    p = token_provenance(minimum, snap)
    if not p["usable"]:
        inputs["min_charge_not_applied"] = (f"{money.usd_price(minimum.usd)} minimum charge ({p['basis']}, observed "
                                            f"{p['observed_at'][:10]}) is older than the {p['max_age_days']}-day "
                                            f"limit for {p['source_kind']} and is not applied")
        return None
    route.provenance.append(p)
    inputs["min_charge"] = minimum.usd
    return minimum.usd


def _hosted_compute(scenario: Scenario, catalogue: Catalogue, spec: RouteSpec, snap: PriceSnapshot,
                    route: _RouteWork) -> LayerCost:
    params = catalogue.params(scenario)
    provider = spec.provider or ""
    price = find_token_price(snap, provider, spec.model, params, _training_methods(scenario.method, provider),
                             "training_per_1m_tokens")
    billed = billed_tokens(scenario.tokens_per_epoch, scenario.epochs)
    inputs: dict[str, Any] = {"method": scenario.method, "runs": scenario.runs, "epochs": scenario.epochs,
                              "billed_tokens_per_run": billed, "params": params}
    if price is not None and bucket_range(price.model) is None:
        route.priced_model = price.model
    if price is None:
        label = spec.model or f"{params / 1e9:g}B"
        route.missing.append(f"no training price for {provider} {label} ({scenario.method}) at or before {snap.as_of}")
        return LayerCost(None, inputs)
    p = token_provenance(price, snap)
    route.provenance.append(p)
    inputs["price"] = p
    if price.method == "sft_full" and scenario.method != "full":
        inputs["note"] = f"{provider} publishes no LoRA price; its managed SFT price is used"
    minimum = _min_charge(snap, provider, spec.model, params, price, inputs, route)
    per_run = hosted_training_cost(billed, price.usd, minimum)
    inputs["usd_per_run"] = round(per_run, 6)
    route.summary.update(provider=provider, model=route.priced_model or price.model, spot=False,
                         usd_per_1m_tokens=price.usd, cost_per_epoch=round(per_run / scenario.epochs, 6),
                         basis=p["basis"], observed_at=p["observed_at"][:10])
    return LayerCost(Band.point(per_run * scenario.runs), inputs)


def _inference(scenario: Scenario, catalogue: Catalogue, spec: RouteSpec, snap: PriceSnapshot,
               layers: dict[str, LayerCost], route: _RouteWork) -> LayerCost:
    """Hosted inference of the tuned model, and the break-even against the base model.

    Break-even (docs/cost_engine.md): months = one-off / monthly saving, where the one-off is
    compute + data + engineering (``break_even_months``); ``break_even_months_training_only`` uses
    the training compute alone. Mid values of each band.
    """
    inf = scenario.inference
    assert inf is not None
    params = catalogue.params(scenario)
    provider = spec.provider or ""
    model = route.priced_model or spec.model
    found = {kind: find_token_price(snap, provider, model, params, ["inference"], kind)
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
        route.missing.append(f"no fine-tuned inference price ({', '.join(missing)}) for {provider} "
                             f"{model or f'{params / 1e9:g}B'} at or before {snap.as_of}")
        return LayerCost(None, inputs)
    for obs in {id(o): o for o in found.values() if o is not None}.values():
        route.provenance.append(token_provenance(obs, snap))
    ft_in, ft_out = found["ft_input_per_1m"], found["ft_output_per_1m"]
    assert ft_in is not None and ft_out is not None
    ft_month = monthly_token_spend(inf.requests_per_month, inf.input_tokens, inf.output_tokens, ft_in.usd, ft_out.usd)
    inputs["ft_usd_per_month"] = round(ft_month, 4)
    _break_even(inf, found, ft_month, layers, inputs)
    return LayerCost(Band.point(ft_month * inf.months), inputs)


def _break_even(inf: Any, found: dict[str, TokenObs | None], ft_month: float, layers: dict[str, LayerCost],
                inputs: dict[str, Any]) -> None:
    b_in, b_out = found["base_input_per_1m"], found["base_output_per_1m"]
    if b_in is None or b_out is None:
        inputs["break_even_months"] = None
        inputs["break_even_reason"] = "no base-model inference price to compare with"
        return
    base_month = monthly_token_spend(inf.requests_per_month, inf.input_tokens + inf.base_prompt_overhead_tokens,
                                     inf.output_tokens, b_in.usd, b_out.usd)
    inputs["base_usd_per_month"] = round(base_month, 4)
    parts = [band for n in ("compute", "data", "engineering") if (band := layers[n].usd) is not None]
    if len(parts) < 3:
        inputs["break_even_months"] = inputs["break_even_months_training_only"] = None
        inputs["break_even_reason"] = "no training cost"
        return
    training = parts[0].mid
    one_off = sum(part.mid for part in parts)
    months, why = break_even_months(one_off, base_month, ft_month)
    months_training, _ = break_even_months(training, base_month, ft_month)
    inputs["one_off_usd"] = round(one_off, 4)
    inputs["one_off_basis"] = "compute + data + engineering (mid)"
    inputs["break_even_months"] = None if months is None else round(months, 3)
    inputs["break_even_months_training_only"] = None if months_training is None else round(months_training, 3)
    inputs["break_even_reason"] = why


# ---------------------------------------------------------------- one route


@dataclass
class _RouteWork:
    """What pricing one route collects on the way: why it cannot run, what it lacks, notes."""
    blockers: list[str] = field(default_factory=list)     # unavailable
    missing: list[str] = field(default_factory=list)      # unpriced
    notes: list[str] = field(default_factory=list)
    provenance: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    priced_model: str | None = None


def _sum(parts: list[Band | None]) -> Band | None:
    total = Band.point(0.0)
    for part in parts:
        if part is None:
            return None
        total = total + part
    return total


def _status(route: _RouteWork) -> str:
    if route.blockers:
        return "unavailable"
    if route.missing:
        return "unpriced"
    if any(not p["usable"] for p in route.provenance):
        return "stale"
    return "available"


def _lifecycle(scenario: Scenario, spec: RouteSpec, snap: PriceSnapshot, route: _RouteWork,
               compute: LayerCost) -> None:
    needs_inference = scenario.inference is not None
    profile = snap.policy.customer_profile
    on = snap.lifecycle_day
    route.blockers += availability.route_blockers(snap.events, spec, on, needs_inference=needs_inference,
                                                  profile=profile, priced_model=route.priced_model,
                                                  priced_day=snap.as_of)
    notices = availability.route_notices(snap.events, spec, on, needs_inference=needs_inference, profile=profile,
                                         priced_model=route.priced_model)
    if notices:
        compute.inputs["lifecycle_notices"] = notices


def price_route(scenario: Scenario, catalogue: Catalogue, spec: RouteSpec, snap: PriceSnapshot,
                work: _ScenarioWork | None = None) -> RouteEstimate:
    """Price one route; ``work`` carries what the scenario's routes share (see ``price_scenario``)."""
    work = work if work is not None else _ScenarioWork()
    route = _RouteWork()
    layers: dict[str, LayerCost] = {}
    if spec.kind == "gpu":
        layers["compute"] = _gpu_compute(scenario, catalogue, spec, snap, route, work)
    else:
        layers["compute"] = _hosted_compute(scenario, catalogue, spec, snap, route)
        _lifecycle(scenario, spec, snap, route, layers["compute"])
    layers["data"] = LayerCost(scenario.data.band(), scenario.data.model_dump(exclude_none=True))
    compute = layers["compute"].usd
    failed = Band.of(scenario.engineering.failed_share)
    labour = Band.of(scenario.engineering.labour_usd)
    layers["engineering"] = LayerCost(
        None if compute is None else labour + compute * failed,
        {"labour_usd": labour.as_list(), "failed_share": failed.as_list(),
         "note": "labour + failed_share × compute"})
    if spec.kind == "hosted" and scenario.inference is not None:
        layers["inference"] = _inference(scenario, catalogue, spec, snap, layers, route)
    elif scenario.serving is not None and (spec.kind == "gpu" or spec.provider in OPEN_WEIGHT_PROVIDERS):
        if work.serving is None:
            work.serving = _serving(scenario, snap)
        layers["serving"] = work.serving.cost
        route.notes.extend(work.serving.reasons)
        if work.serving.cost.usd is None:
            route.missing.extend(work.serving.reasons)
        route.provenance.extend(work.serving.provenance)
    total = _sum([layers[name].usd for name in LAYERS if name in layers])
    status = _status(route)
    stale = [_stale_reason(p) for p in route.provenance if not p["usable"]]
    reasons = route.blockers + route.missing + stale + [n for n in route.notes if n not in route.missing]
    route.summary.setdefault("basis", ", ".join(sorted({p["basis"] for p in route.provenance})) or None)
    layers["total"] = LayerCost(total, {
        "layers": [n for n in LAYERS[:-1] if n in layers], "provenance": route.provenance, "status": status,
        "summary": route.summary, "catalogue_version": catalogue.version,
        "customer_profile": snap.policy.customer_profile, "lifecycle_date": snap.lifecycle_day.isoformat(),
        "events_known_at": snap.events_known_at.isoformat() if snap.events_known_at else None,
        "max_price_age_days": dict(snap.policy.max_age_days)})
    return RouteEstimate(scenario.name, spec.name, status, reasons, layers, route.provenance, route.summary)


def price_scenario(scenario: Scenario, catalogue: Catalogue, snap: PriceSnapshot, *,
                   patterns: list[RoutePattern] | None = None, detail: bool = False) -> list[RouteEstimate]:
    """Every route of the scenario (or of ``patterns``), each concrete route once, in the order
    the routes expand."""
    routes: list[RouteEstimate] = []
    seen: set[str] = set()
    work = _ScenarioWork()   # serving and GPU-hours per (GPU, count): once per scenario, not per route
    for pattern in patterns if patterns is not None else scenario.route_patterns():
        for spec in expand(pattern, scenario, catalogue, snap, detail=detail):
            if spec.name in seen:
                continue
            seen.add(spec.name)
            routes.append(price_route(scenario, catalogue, spec, snap, work))
    return routes


def price_catalogue(catalogue: Catalogue, snap: PriceSnapshot) -> list[RouteEstimate]:
    out: list[RouteEstimate] = []
    for scenario in catalogue.scenarios:
        out.extend(price_scenario(scenario, catalogue, snap))
    return out
