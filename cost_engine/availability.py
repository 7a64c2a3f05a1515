"""Which lifecycle events stop which routes (pure).

* ``training_unavailable`` and ``retired`` stop hosted training of the model; ``retired`` and
  ``inference_shutdown`` also stop serving the fine-tuned model (routes with an inference layer).
  ``deprecated`` and ``announced`` only annotate. Events apply from their effective_date.
* Model matching: ``*`` is every model of the provider; ``ft:<base>`` is the fine-tuned snapshot of
  ``<base>`` (an inference event); otherwise ids match as in ``snapshot.model_matches``.
* Scope: '' applies to everyone. Otherwise the catalogue's ``customer_profile`` decides:
  ``new`` (never fine-tuned: the default, the most restricted), ``inactive`` (fine-tuned before, no
  fine-tuned inference in the past 60 days) or ``active``. A scope that says "never fine-tuned" /
  "new" applies to ``new``; one about "no fine-tuned model inference" / "inactive" applies to ``new``
  and ``inactive``; a scope we cannot read applies to ``new`` only and the reason says so.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from cost_engine.catalogue import Catalogue, RouteSpec
from cost_engine.snapshot import Event, model_matches

TRAINING_BLOCKERS = ("training_unavailable", "retired")
INFERENCE_BLOCKERS = ("inference_shutdown", "retired")
_NEW_SCOPE = re.compile(r"never fine-?tuned|new (users|customers|organi[sz]ations)", re.I)
_INACTIVE_SCOPE = re.compile(r"no fine-?tuned model inference|inactive", re.I)


def scope_applies(scope: str, profile: str) -> tuple[bool, str]:
    scope = (scope or "").strip()
    if not scope:
        return True, ""
    if _NEW_SCOPE.search(scope):
        return profile == "new", ""
    if _INACTIVE_SCOPE.search(scope):
        return profile in ("new", "inactive"), ""
    return profile == "new", " (scope not recognised; applied to new customers)"


def _as_event(event: Any) -> Event:
    if isinstance(event, Event):
        return event
    get = event.get if isinstance(event, Mapping) else (lambda k, d=None: getattr(event, k, d))
    return Event(provider=get("provider"), model=get("model"), event=get("event"),
                 effective_date=get("effective_date"), scope=get("scope") or "",
                 event_id=get("event_id"), source=get("source") or "", source_url=get("source_url"),
                 replacement=get("replacement"))


def _touches(ev: Event, route: RouteSpec) -> tuple[bool, bool]:
    """(matches the base model, is about the fine-tuned snapshot)."""
    if route.kind != "hosted" or ev.provider != route.provider:
        return False, False
    if ev.model == "*":
        return True, False
    if ev.model.startswith("ft:"):
        return bool(route.model) and model_matches(route.model, ev.model[3:]), True
    return bool(route.model) and model_matches(route.model, ev.model), False


def blocks(event: Any, route: RouteSpec, *, needs_inference: bool, profile: str) -> str | None:
    """What this event stops on this route ('training' / 'inference'), ignoring its date; None if nothing."""
    ev = _as_event(event)
    matches, ft_only = _touches(ev, route)
    if not matches or not scope_applies(ev.scope, profile)[0]:
        return None
    if ev.event in TRAINING_BLOCKERS and not ft_only:
        return "training"
    if ev.event in INFERENCE_BLOCKERS and needs_inference:
        return "inference"
    return None


def describe(ev: Event, what: str, profile: str) -> str:
    when = ev.effective_date.isoformat() if ev.effective_date else "an unknown date"
    scope = f" for {ev.scope}" if ev.scope else ""
    note = scope_applies(ev.scope, profile)[1]
    return (f"{ev.event} ({ev.provider} {ev.model}{scope}) since {when} stops {what}"
            f" [customer_profile={profile}]{note}")


def route_blockers(events: list[Event], route: RouteSpec, as_of: date, *, needs_inference: bool,
                   profile: str) -> list[str]:
    """Reasons, one per event in effect on as_of that stops this route."""
    reasons = []
    for ev in events:
        if ev.effective_date is None or ev.effective_date > as_of:
            continue
        what = blocks(ev, route, needs_inference=needs_inference, profile=profile)
        if what:
            reasons.append(describe(ev, what, profile))
    return reasons


def route_notices(events: list[Event], route: RouteSpec, as_of: date, *, needs_inference: bool,
                  profile: str) -> list[dict[str, Any]]:
    """Events that touch the route but do not stop it today: upcoming stops, deprecations."""
    out = []
    for ev in events:
        matches, _ = _touches(ev, route)
        if not matches:
            continue
        in_effect = ev.effective_date is not None and ev.effective_date <= as_of
        stopping = blocks(ev, route, needs_inference=needs_inference, profile=profile)
        if in_effect and stopping:
            continue
        out.append({"event": ev.event, "model": ev.model, "scope": ev.scope,
                    "effective_date": ev.effective_date.isoformat() if ev.effective_date else None,
                    "would_stop": stopping, "event_id": ev.event_id, "source": ev.source})
    return out


def scenarios_affected(event: Any, catalogue: Catalogue) -> list[str]:
    """Names of catalogue scenarios with a route this event makes unavailable (once in effect)."""
    names = []
    for scenario in catalogue.scenarios:
        needs_inference = scenario.inference is not None
        if any(blocks(event, route, needs_inference=needs_inference, profile=catalogue.customer_profile)
               for route in scenario.route_specs()):
            names.append(scenario.name)
    return names
