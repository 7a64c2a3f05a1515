"""The scenario catalogue: versioned YAML (cost_engine/catalogue.yaml), validated at load.

Route strings:
  gpu:<canonical GPU>:<count>[:<provider>[:<tier>]]   e.g. "gpu:A100 SXM 80GB:1", "gpu:H100 SXM 80GB:8:lambda"
  hosted:<provider>[:<model>]                          e.g. "hosted:openai:gpt-4o-mini", "hosted:together"
A hosted model on a size-bucket provider (Together, Fireworks) is a label; the bucket comes from
the scenario's parameter count unless the label is itself a priced model id.
Commitment tiers (reserved terms, clusters) are priced only by a route that names the tier, e.g.
"gpu:H100 SXM 80GB:8:runpod:reserved_1m", never as a plain route's cheapest offer.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cost_engine.bands import Band
from cost_engine.compute import METHODS, ModelArch, TrainingSetup, guess_arch
from cost_engine.gpus import gpu_spec

DEFAULT_CATALOGUE = Path(__file__).resolve().parent / "catalogue.yaml"
CUSTOMER_PROFILES = ("new", "inactive", "active")
HOSTED_PROVIDERS = ("openai", "together", "fireworks", "vertex")
OPEN_WEIGHT_PROVIDERS = ("together", "fireworks")  # tuned weights can be served on your own GPUs


class CatalogueError(ValueError):
    pass


@dataclass(frozen=True)
class RouteSpec:
    kind: Literal["gpu", "hosted"]
    provider: str | None = None
    tier: str | None = None
    gpu: str | None = None
    count: int = 1
    model: str | None = None

    @property
    def name(self) -> str:
        if self.kind == "gpu":
            parts = ["gpu", str(self.gpu), str(self.count)]
            if self.provider:
                parts.append(self.provider)
                if self.tier:
                    parts.append(self.tier)
            return ":".join(parts)
        return ":".join(["hosted", str(self.provider)] + ([self.model] if self.model else []))


def parse_route(text: str) -> RouteSpec:
    parts = [p.strip() for p in text.split(":")]
    if parts[0] == "gpu" and 3 <= len(parts) <= 5:
        gpu_spec(parts[1])  # raises with the list of canonical names
        try:
            count = int(parts[2])
        except ValueError:
            raise CatalogueError(f"route {text!r}: GPU count must be a whole number") from None
        if count < 1:
            raise CatalogueError(f"route {text!r}: GPU count must be at least 1")
        return RouteSpec("gpu", gpu=parts[1], count=count,
                         provider=parts[3] if len(parts) > 3 else None,
                         tier=parts[4] if len(parts) > 4 else None)
    if parts[0] == "hosted" and 2 <= len(parts) <= 3:
        if parts[1] not in HOSTED_PROVIDERS:
            raise CatalogueError(f"route {text!r}: hosted provider must be one of {', '.join(HOSTED_PROVIDERS)}")
        return RouteSpec("hosted", provider=parts[1], model=parts[2] if len(parts) > 2 and parts[2] else None)
    raise CatalogueError(
        f"route {text!r} not understood; write gpu:<GPU name>:<count>[:<provider>[:<tier>]] "
        f"or hosted:<provider>[:<model>], e.g. 'gpu:H100 SXM 80GB:1' or 'hosted:openai:gpt-4o-mini'")


Range = float | list[float]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataCost(_Strict):
    """pairs × $/example × (1 + QA overhead), or a fixed usd range, or person-hours × rate."""
    pairs: int | None = None
    usd_per_example: Range | None = None
    qa_overhead: Range = 0.0
    usd: Range | None = None
    person_hours: Range | None = None
    usd_per_hour: Range | None = None

    def band(self) -> Band:
        total = Band.point(0.0)
        if self.usd is not None:
            total = total + Band.of(self.usd)
        if self.pairs is not None and self.usd_per_example is not None:
            total = total + Band.of(self.usd_per_example) * (Band.of(self.qa_overhead) + Band.point(1.0)) * self.pairs
        if self.person_hours is not None and self.usd_per_hour is not None:
            total = total + Band.of(self.person_hours) * Band.of(self.usd_per_hour)
        return total


class Engineering(_Strict):
    """Labour in dollars, plus failed runs as a share of the planned training compute."""
    labour_usd: Range = 0.0
    failed_share: Range = 0.0


class Serving(_Strict):
    gpu: str
    gpu_count: int = 1
    hours_per_month: float = 730.0
    months: float = 1.0
    tiers: list[str] | None = None  # default: every tier except interruptible and commitment ones

    @field_validator("gpu")
    @classmethod
    def _known(cls, v: str) -> str:
        gpu_spec(v)
        return v


class Inference(_Strict):
    requests_per_month: float
    input_tokens: float
    output_tokens: float
    base_prompt_overhead_tokens: float = 0.0   # few-shot / system prompt the base model needs
    months: float = 1.0


class Scenario(_Strict):
    name: str
    title: str = ""
    source: str = ""                 # seed article the numbers come from
    model: str | None = None         # a key of the catalogue's models
    params: float | None = None
    method: str
    examples: int | None = None
    tokens_per_example: float | None = None
    dataset_tokens: float | None = None   # tokens per epoch, instead of examples × tokens_per_example
    epochs: float = 1
    runs: int = 1
    seq_len: int = 2048
    micro_batch: int = 1
    packing_eff: float = 0.96
    lora_rank: int = 16
    routes: list[str]
    data: DataCost = Field(default_factory=DataCost)
    engineering: Engineering = Field(default_factory=Engineering)
    serving: Serving | None = None
    inference: Inference | None = None

    @field_validator("method")
    @classmethod
    def _method(cls, v: str) -> str:
        if v not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}")
        return v

    @field_validator("routes")
    @classmethod
    def _routes(cls, v: list[str]) -> list[str]:
        for r in v:
            parse_route(r)
        return v

    @model_validator(mode="after")
    def _tokens(self) -> Scenario:
        if self.dataset_tokens is None and (self.examples is None or self.tokens_per_example is None):
            raise ValueError("give dataset_tokens, or examples and tokens_per_example")
        if self.model is None and self.params is None:
            raise ValueError("give model (a catalogue model key) or params")
        return self

    @property
    def tokens_per_epoch(self) -> float:
        if self.dataset_tokens is not None:
            return float(self.dataset_tokens)
        return float(self.examples) * float(self.tokens_per_example)  # type: ignore[arg-type]

    @property
    def training_tokens(self) -> float:
        return self.tokens_per_epoch * self.epochs

    def route_specs(self) -> list[RouteSpec]:
        return [parse_route(r) for r in self.routes]

    def setup(self) -> TrainingSetup:
        return TrainingSetup(method=self.method, tokens=self.training_tokens, seq_len=self.seq_len,
                             micro_batch=self.micro_batch, packing_eff=self.packing_eff, lora_rank=self.lora_rank)


class ModelPreset(_Strict):
    params: float
    layers: int
    hidden: int
    vocab: int


class Catalogue(_Strict):
    version: int | str
    customer_profile: str = "new"
    staleness_days: int = 45
    # provider -> evidence: providers that document serving fine-tuned models at the base model's
    # serverless price. Used only when no fine-tuned inference price is published.
    ft_inference_at_base_price: dict[str, str] = Field(default_factory=dict)
    models: dict[str, ModelPreset] = Field(default_factory=dict)
    scenarios: list[Scenario]

    @field_validator("customer_profile")
    @classmethod
    def _profile(cls, v: str) -> str:
        if v not in CUSTOMER_PROFILES:
            raise ValueError(f"customer_profile must be one of {', '.join(CUSTOMER_PROFILES)}")
        return v

    @model_validator(mode="after")
    def _check(self) -> Catalogue:
        names = [s.name for s in self.scenarios]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate scenario names: {', '.join(dupes)}")
        for s in self.scenarios:
            if s.model is not None and s.model not in self.models:
                raise ValueError(f"scenario {s.name}: unknown model {s.model!r}; add it under models:")
        return self

    def arch(self, scenario: Scenario) -> ModelArch:
        if scenario.model is not None:
            p = self.models[scenario.model]
            return ModelArch(params=p.params, layers=p.layers, hidden=p.hidden, vocab=p.vocab, name=scenario.model)
        return guess_arch(float(scenario.params), name=f"{scenario.params:g} params")  # type: ignore[arg-type]

    def params(self, scenario: Scenario) -> float:
        return self.arch(scenario).params

    def scenario(self, name: str) -> Scenario:
        for s in self.scenarios:
            if s.name == name:
                return s
        raise KeyError(f"no scenario {name!r}; known: {', '.join(s.name for s in self.scenarios)}")


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    path = Path(path) if path else DEFAULT_CATALOGUE
    try:
        raw = yaml.safe_load(path.read_text())
        return Catalogue.model_validate(raw)
    except (OSError, yaml.YAMLError, ValueError) as exc:
        raise CatalogueError(f"cannot load the scenario catalogue {path}: {exc}") from exc
