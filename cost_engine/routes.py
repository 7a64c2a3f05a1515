"""Route strings: parsing, friendly GPU aliases, and one-line errors with close matches (pure).

Concrete routes:
  gpu:<GPU>:<count>[:<provider>[:<tier>]]   e.g. "gpu:A100 SXM 80GB:1", "gpu:H100 SXM 80GB:8:lambda:on_demand"
  hosted:<provider>[:<model>]                e.g. "hosted:openai:gpt-4o-mini", "hosted:together"
Patterns, expanded against a snapshot by ``cost_engine.pricing.expand``:
  gpu:any:<count>           every GPU with an offering that hosts <count> GPUs and fits the job in memory
  gpu:<alias>:<count>[:…]   every canonical GPU the alias names: H100 (SXM, PCIe, NVL), A100-80G
                            (SXM and PCIe 80GB), 4090, L40S... An alias matches a canonical name when
                            each of its words is a word of the name (A10 is not A100); a size may be
                            shortened (80G → 80GB)
  hosted:any                every hosted provider (by size bucket) and every priced hosted model
  all                       gpu:any at the smallest GPU count that fits each GPU, plus hosted:any
A hosted model on a size-bucket provider (Together, Fireworks) is a label; the bucket comes from
the scenario's parameter count unless the label is itself a priced model id.
Commitment tiers (reserved terms, clusters) are priced only by a route that names the tier.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Literal

from cost_engine.gpus import GPU_SPECS
from scrapers.records import GPU_TIERS

HOSTED_PROVIDERS = ("openai", "together", "fireworks", "vertex")
OPEN_WEIGHT_PROVIDERS = ("together", "fireworks")  # tuned weights can be served on your own GPUs
MAX_GPUS = 64
VALID_FORMS = ("gpu:<GPU or alias>:<count>[:<provider>[:<tier>]], gpu:any:<count>, "
               "hosted:<provider>[:<model>], hosted:any, all")


class RouteError(ValueError):
    """A route string that cannot be read; the message is one line with valid forms and close matches."""


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


@dataclass(frozen=True)
class RoutePattern:
    """A parsed route string: one concrete route, or a pattern to expand."""
    text: str
    kind: Literal["route", "gpus", "hosted_any", "all"]
    spec: RouteSpec | None = None            # kind "route"
    gpus: tuple[str, ...] = ()                 # kind "gpus": canonical names (every GPU for gpu:any)
    count: int = 1
    provider: str | None = None
    tier: str | None = None

    @property
    def is_pattern(self) -> bool:
        return self.kind != "route"


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", text.lower()) if w]


def resolve_gpu(text: str) -> tuple[str, ...]:
    """Canonical GPU names for a name or alias (see the module docstring); () when none."""
    if text in GPU_SPECS:
        return (text,)
    words = _words(text)
    if not words:
        return ()
    names = sorted(GPU_SPECS)
    exact = tuple(n for n in names if all(w in _words(n) for w in words))
    if exact:
        return exact
    # A size may be shortened (80G → 80GB): a word starting with a digit may be the start of a word.
    return tuple(n for n in names if all(any(nw == w or (w[0].isdigit() and nw.startswith(w)) for nw in _words(n))
                                         for w in words))


def _close(word: str, options: list[str]) -> list[str]:
    """Up to three options most like ``word``, comparing with each option and each of its words."""
    def score(option: str) -> float:
        return max(difflib.SequenceMatcher(None, word.lower(), w).ratio() for w in [option.lower(), *_words(option)])
    ranked = sorted(options, key=lambda o: (-score(o), o))
    return [o for o in ranked[:3] if score(o) >= 0.6]


def _error(text: str, why: str, suggestions: list[str] | None = None) -> RouteError:
    close = f"; close matches: {', '.join(suggestions)}" if suggestions else ""
    return RouteError(f"route {text!r}: {why}; valid forms: {VALID_FORMS}{close}")


def _count(text: str, value: str) -> int:
    try:
        count = int(value)
    except ValueError:
        raise _error(text, f"GPU count {value!r} must be a whole number from 1 to {MAX_GPUS}") from None
    if not 1 <= count <= MAX_GPUS:
        raise _error(text, f"GPU count {count} must be from 1 to {MAX_GPUS}")
    return count


def _gpu(text: str, parts: list[str], aliases: bool, patterns: bool) -> RoutePattern:
    if len(parts) < 3 or len(parts) > 5:
        raise _error(text, "a GPU route is gpu:<GPU>:<count>[:<provider>[:<tier>]]")
    name, count = parts[1], _count(text, parts[2])
    provider = parts[3] or None if len(parts) > 3 else None
    tier = parts[4] or None if len(parts) > 4 else None
    if tier is not None and tier not in GPU_TIERS:
        raise _error(text, f"tier {tier!r} is not one of {', '.join(GPU_TIERS)}",
                     [":".join([*parts[:4], t]) for t in _close(tier, list(GPU_TIERS))])
    if name.lower() == "any":
        if not patterns:
            raise _error(text, "gpu:any is a pattern; name one canonical GPU here")
        return RoutePattern(text, "gpus", gpus=tuple(sorted(GPU_SPECS)), count=count, provider=provider, tier=tier)
    if name in GPU_SPECS:
        return RoutePattern(text, "route", RouteSpec("gpu", gpu=name, count=count, provider=provider, tier=tier),
                            count=count)
    matches = resolve_gpu(name) if aliases else ()
    if not matches:
        why = (f"unknown GPU {name!r} (use a canonical name)" if not aliases
               else f"unknown GPU {name!r} (a canonical name or an alias such as H100, A100-80G, 4090)")
        suggestions = [f"gpu:{n}:{count}" for n in _close(name, sorted(GPU_SPECS))]
        raise _error(text, why, suggestions)
    if len(matches) == 1:
        spec = RouteSpec("gpu", gpu=matches[0], count=count, provider=provider, tier=tier)
        return RoutePattern(text, "route", spec, count=count)
    return RoutePattern(text, "gpus", gpus=matches, count=count, provider=provider, tier=tier)


def _hosted(text: str, parts: list[str], patterns: bool) -> RoutePattern:
    if len(parts) < 2 or len(parts) > 3 or not parts[1]:
        raise _error(text, "a hosted route is hosted:<provider>[:<model>]")
    provider = parts[1].lower()
    if provider == "any" and patterns and len(parts) == 2:
        return RoutePattern(text, "hosted_any")
    if provider not in HOSTED_PROVIDERS:
        raise _error(text, f"hosted provider {parts[1]!r} is not one of {', '.join(HOSTED_PROVIDERS)}",
                     [f"hosted:{p}" for p in _close(provider, list(HOSTED_PROVIDERS))])
    model = parts[2] if len(parts) > 2 and parts[2] else None
    return RoutePattern(text, "route", RouteSpec("hosted", provider=provider, model=model))


def parse_pattern(text: str, *, aliases: bool = True, patterns: bool = True) -> RoutePattern:
    """Parse a route string. ``aliases=False`` accepts canonical GPU names only (the catalogue);
    ``patterns=False`` refuses gpu:any, hosted:any and all."""
    raw = (text or "").strip()
    if raw.lower() == "all" and patterns:
        return RoutePattern(raw, "all")
    parts = [p.strip() for p in raw.split(":")]
    head = parts[0].lower()
    if head == "gpu":
        return _gpu(raw, parts, aliases, patterns)
    if head == "hosted":
        return _hosted(raw, parts, patterns)
    suggestions = [f for f in ("gpu", "hosted", "all") if _close(head, [f])]
    raise _error(raw, "a route starts with gpu:, hosted: or is all", [f"{s}:..." for s in suggestions])


def parse_route(text: str) -> RouteSpec:
    """One concrete route (canonical GPU names only)."""
    pattern = parse_pattern(text, aliases=False, patterns=False)
    assert pattern.spec is not None
    return pattern.spec
