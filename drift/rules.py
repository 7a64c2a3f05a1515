"""Drift rules: the YAML file (drift/rules.yaml, or $PRICEWATCH_RULES) as validated records."""
from __future__ import annotations

import fnmatch
import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

DEFAULT_RULES_PATH = Path(__file__).with_name("rules.yaml")

RuleType = Literal[
    "gpu_offering_price_change", "gpu_model_cheapest_change", "token_price_change", "suspect_price_jump",
    "offering_new", "offering_vanished", "lifecycle_announced", "lifecycle_reminder",
    "scenario_cost_change", "scenario_route_change", "source_stale",
]
Severity = Literal["info", "warning", "critical"]


class RulesError(ValueError):
    pass


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    type: RuleType
    severity: Severity = "info"
    enabled: bool = True
    match: dict[str, str | list[str]] = Field(default_factory=dict)
    # price rules
    threshold_pct: float = Field(10.0, gt=0)
    direction: Literal["any", "up", "down"] = "any"
    tiers: list[str] | None = None
    # an alert of this rule is dropped when one of these rules alerts on the same key at the
    # same observation (one notification per move: a general rule defers to a specific one)
    defer_to: list[str] = Field(default_factory=list)
    # suspect_price_jump
    max_drop_pct: float = Field(70.0, gt=0, lt=100)
    max_rise_pct: float = Field(300.0, gt=0)
    confirm_after: int = Field(3, ge=2)
    # lifecycle
    days_before: list[int] = Field(default_factory=lambda: [90, 30, 7])
    skip_past: bool = True
    # lifecycle_announced: severity when the event ends a catalogue route (default: `severity`)
    route_ending_severity: Severity | None = None
    # source_stale: a run (batch) fails when none of its fetches has an outcome outside these
    # (an all-empty run fails too: `empty` is a warning on its own)
    failures: int = Field(3, ge=1)
    failure_outcomes: list[str] = Field(
        default_factory=lambda: ["http_error", "network_error", "parse_error"])

    def matches(self, **fields: Any) -> bool:
        """True when every `match` field's value fits one of its glob patterns (None is '')."""
        for name, patterns in self.match.items():
            if name not in fields:
                return False
            value = "" if fields[name] is None else str(fields[name])
            options = [patterns] if isinstance(patterns, str) else patterns
            if not any(fnmatch.fnmatchcase(value, p) for p in options):
                return False
        return True


class RuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    persist_observations: int = Field(2, ge=1)
    rules: list[Rule]

    @model_validator(mode="after")
    def _unique_names(self) -> RuleSet:
        names = [r.name for r in self.rules]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"rule names must be unique; repeated: {', '.join(dupes)}")
        if sum(r.type == "suspect_price_jump" and r.enabled for r in self.rules) > 1:
            raise ValueError("at most one enabled suspect_price_jump rule")
        unknown = sorted({d for r in self.rules for d in r.defer_to if d not in names or d == r.name})
        if unknown:
            raise ValueError(f"defer_to must name other rules of the file; unknown: {', '.join(unknown)}")
        return self

    def of_type(self, *types: str) -> list[Rule]:
        return [r for r in self.rules if r.enabled and r.type in types]

    @property
    def suspect(self) -> Rule | None:
        found = self.of_type("suspect_price_jump")
        return found[0] if found else None


def rules_path(env: dict[str, str] | None = None) -> Path:
    env = dict(os.environ if env is None else env)
    return Path(env["PRICEWATCH_RULES"]) if env.get("PRICEWATCH_RULES") else DEFAULT_RULES_PATH


def parse_rules(text: str, origin: str = "<rules>") -> RuleSet:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RulesError(f"{origin}: not valid YAML: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list):
        raise RulesError(f"{origin}: expected a mapping with a `rules:` list (see drift/rules.yaml)")
    try:
        return RuleSet.model_validate(doc)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise RulesError(f"{origin}: invalid drift rules ({problems}). Compare with drift/rules.yaml.") from exc


def load_rules(path: str | Path | None = None) -> RuleSet:
    path = Path(path) if path else rules_path()
    if not path.exists():
        raise RulesError(f"rules file {path} does not exist (PRICEWATCH_RULES points at it?)")
    return parse_rules(path.read_text(), str(path))
