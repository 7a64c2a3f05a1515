"""The scenario catalogue: versioned YAML (cost_engine/catalogue.yaml), validated at load.

Route strings are described in ``cost_engine.routes``: concrete routes with canonical GPU names,
plus the ``gpu:any:<count>`` pattern (every GPU that fits the job, one route per GPU model).
Who we price for (customer profile) and how old a price may be are the policy's
(``warehouse.policy``), not the catalogue's.
"""
from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cost_engine.bands import Band
from cost_engine.compute import METHODS, ModelArch, TrainingSetup, guess_arch
from cost_engine.gpus import gpu_spec
from cost_engine.routes import (
    HOSTED_PROVIDERS,
    OPEN_WEIGHT_PROVIDERS,
    RoutePattern,
    RouteSpec,
    parse_pattern,
    parse_route,
)
from cost_engine.snapshot import ShapeNeeds

DEFAULT_CATALOGUE = Path(__file__).resolve().parent / "catalogue.yaml"
__all__ = ["HOSTED_PROVIDERS", "OPEN_WEIGHT_PROVIDERS", "RouteSpec", "parse_route", "Catalogue", "Scenario",
           "CatalogueError", "load_catalogue"]


class CatalogueError(ValueError):
    pass


def parse_catalogue_route(text: str) -> RoutePattern:
    """A catalogue route: canonical GPU names only (no aliases), ``gpu:any:<count>`` allowed."""
    pattern = parse_pattern(text, aliases=False)
    if pattern.kind in ("all", "hosted_any"):
        raise CatalogueError(f"route {text!r}: 'all' and 'hosted:any' are for estimate; list the routes")
    return pattern


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
    """A dedicated endpoint: ``gpu_count`` GPUs of one of ``gpu`` (a name or a list of
    alternatives), on one instance, ``hours_per_month`` × ``months``."""
    gpu: str | list[str]
    gpu_count: int = 1
    hours_per_month: float = 730.0
    months: float = 1.0
    tiers: list[str] | None = None  # default: every tier except interruptible and commitment ones

    @field_validator("gpu")
    @classmethod
    def _known(cls, v: str | list[str]) -> str | list[str]:
        for name in [v] if isinstance(v, str) else v:
            gpu_spec(name)
        return v

    @property
    def gpus(self) -> list[str]:
        return [self.gpu] if isinstance(self.gpu, str) else list(self.gpu)


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
    # What the training instance needs beyond its GPUs (issue #12): an offer whose source states
    # less is not used; one whose source does not say is used and flagged. Unset: no need stated.
    min_ram_gb: float | None = Field(default=None, gt=0)
    min_disk_gb: float | None = Field(default=None, gt=0)
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
            parse_catalogue_route(r)
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
        examples, per_example = self.examples, self.tokens_per_example
        if examples is None or per_example is None:  # ruled out by the validator above
            raise ValueError("give dataset_tokens, or examples and tokens_per_example")
        return float(examples) * float(per_example)

    @property
    def training_tokens(self) -> float:
        return self.tokens_per_epoch * self.epochs

    def route_patterns(self) -> list[RoutePattern]:
        return [parse_catalogue_route(r) for r in self.routes]

    def route_specs(self) -> list[RouteSpec]:
        """The concrete routes (patterns left out)."""
        return [p.spec for p in self.route_patterns() if p.spec is not None]

    @property
    def needs(self) -> ShapeNeeds:
        return ShapeNeeds(self.min_ram_gb, self.min_disk_gb)

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
    # provider -> evidence: providers that document serving fine-tuned models at the base model's
    # serverless price. Used only when no fine-tuned inference price is published.
    ft_inference_at_base_price: dict[str, str] = Field(default_factory=dict)
    models: dict[str, ModelPreset] = Field(default_factory=dict)
    scenarios: list[Scenario]

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
        if scenario.params is None:  # ruled out by the scenario's validator
            raise ValueError(f"scenario {scenario.name}: give model (a catalogue model key) or params")
        return guess_arch(float(scenario.params), name=f"{scenario.params:g} params")

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
