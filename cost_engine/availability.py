"""Which lifecycle events stop which routes (pure).

* ``training_unavailable`` and ``retired`` stop hosted training of the model; ``retired`` and
  ``inference_shutdown`` also stop serving the fine-tuned model (routes with an inference layer).
  ``deprecated`` and ``announced`` only annotate. Events apply from their effective_date.
* Exact model matching: an event is matched against the snapshot actually priced (the training
  price's model id, e.g. ``gpt-4o-2024-08-06``), else the route's model. ``*`` is every model of
  the provider; ``ft:<base>`` is the fine-tuned snapshot of ``<base>`` (an inference event). An
  event on a dated or numbered snapshot (``gpt-4o-2024-05-13``) applies to that snapshot only; an
  event on an undated id (``gpt-4o``) applies to the id and its snapshots. A bucket-priced route
  (Together, Fireworks) is matched by its route model.
* Scope: '' applies to everyone. Otherwise the customer profile decides (``policy.customer_profile``
  or ``--customer-profile``): ``new`` (never fine-tuned), ``inactive`` (fine-tuned before, no
  fine-tuned inference in the past 60 days) or ``active``. A scope that says "never fine-tuned" /
  "new" applies to ``new``; one about "no fine-tuned model inference" / "inactive" applies to
  ``new`` and ``inactive``; a scope we cannot read applies to ``new`` only and the reason says so.
* Every reason names the event's date, when it was first seen (flagged when that is after the
  priced day: pricing a past day applies every event known now) and the provider's replacement.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from cost_engine.catalogue import Catalogue
from cost_engine.routes import RouteSpec
from cost_engine.snapshot import Event, undated
from warehouse.policy import load_policy

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


def event_covers(event_model: str, model: str) -> bool:
    """Does an event on ``event_model`` concern ``model``? Dated events name one snapshot only."""
    if event_model == model:
        return True
    e_base, e_dated = undated(event_model)
    m_base, _ = undated(model)
    return not e_dated and e_base == m_base


def _as_event(event: Any) -> Event:
    if isinstance(event, Event):
        return event
    get = event.get if isinstance(event, Mapping) else (lambda k, d=None: getattr(event, k, d))
    return Event(provider=str(get("provider")), model=str(get("model")), event=str(get("event")),
                 effective_date=get("effective_date"), scope=get("scope") or "",
                 event_id=get("event_id"), source=get("source") or "", source_url=get("source_url"),
                 replacement=get("replacement"), first_seen_at=get("first_seen_at"))


def _covers(event_model: str, model: str | None, loose: bool) -> bool:
    if not model:
        return False
    if loose and undated(event_model)[0] == undated(model)[0] and not undated(model)[1]:
        return True   # an undated route model may be priced on any of its snapshots
    return event_covers(event_model, model)


def _touches(ev: Event, route: RouteSpec, priced_model: str | None, loose: bool = False) -> tuple[bool, bool]:
    """(the event concerns the model priced on this route, it is about the fine-tuned snapshot)."""
    if route.kind != "hosted" or ev.provider != route.provider:
        return False, False
    if ev.model == "*":
        return True, False
    model = priced_model or route.model
    if ev.model.startswith("ft:"):
        return _covers(ev.model[3:], model, loose), True
    return _covers(ev.model, model, loose), False


def blocks(event: Any, route: RouteSpec, *, needs_inference: bool, profile: str,
           priced_model: str | None = None, loose: bool = False) -> str | None:
    """What this event stops on this route ('training' / 'inference'), ignoring its date; None if
    nothing. ``loose``: without a priced snapshot, an event on any snapshot of an undated route model
    may stop it (impact analysis, before anything is priced)."""
    ev = _as_event(event)
    matches, ft_only = _touches(ev, route, priced_model, loose)
    if not matches or not scope_applies(ev.scope, profile)[0]:
        return None
    if ev.event in TRAINING_BLOCKERS and not ft_only:
        return "training"
    if ev.event in INFERENCE_BLOCKERS and needs_inference:
        return "inference"
    return None


def describe(ev: Event, what: str, profile: str, priced_day: date | None = None) -> str:
    when = ev.effective_date.isoformat() if ev.effective_date else "an unknown date"
    scope = f" for {ev.scope}" if ev.scope else ""
    note = scope_applies(ev.scope, profile)[1]
    seen = ""
    if ev.first_seen_at is not None:
        later = priced_day is not None and ev.first_seen_at.date() > priced_day
        seen = f"; first seen {ev.first_seen_at.date().isoformat()}" + (", after the priced day" if later else "")
    replacement = f"; {ev.provider} names {ev.replacement} as the replacement" if ev.replacement else ""
    return (f"{ev.event} ({ev.provider} {ev.model}{scope}) since {when} stops {what}"
            f" [customer_profile={profile}]{note}{seen}{replacement}")


def route_blockers(events: list[Event], route: RouteSpec, on: date, *, needs_inference: bool, profile: str,
                   priced_model: str | None = None, priced_day: date | None = None) -> list[str]:
    """Reasons, one per event in effect on ``on`` that stops this route."""
    reasons = []
    for ev in events:
        if ev.effective_date is None or ev.effective_date > on:
            continue
        what = blocks(ev, route, needs_inference=needs_inference, profile=profile, priced_model=priced_model)
        if what:
            reasons.append(describe(ev, what, profile, priced_day))
    return reasons


def route_notices(events: list[Event], route: RouteSpec, on: date, *, needs_inference: bool, profile: str,
                  priced_model: str | None = None) -> list[dict[str, Any]]:
    """Events that touch the route but do not stop it on ``on``: upcoming stops, deprecations."""
    out = []
    for ev in events:
        matches, _ = _touches(ev, route, priced_model)
        if not matches:
            continue
        in_effect = ev.effective_date is not None and ev.effective_date <= on
        stopping = blocks(ev, route, needs_inference=needs_inference, profile=profile, priced_model=priced_model)
        if in_effect and stopping:
            continue
        out.append({"event": ev.event, "model": ev.model, "scope": ev.scope,
                    "effective_date": ev.effective_date.isoformat() if ev.effective_date else None,
                    "first_seen": ev.first_seen_at.date().isoformat() if ev.first_seen_at else None,
                    "replacement": ev.replacement,
                    "would_stop": stopping, "event_id": ev.event_id, "source": ev.source})
    return out


def scenarios_affected(event: Any, catalogue: Catalogue, profile: str | None = None) -> list[str]:
    """Names of catalogue scenarios with a route this event may make unavailable (once in effect);
    a dated event counts for a route on its undated model, which may be priced on that snapshot."""
    profile = profile or load_policy().customer_profile
    names = []
    for scenario in catalogue.scenarios:
        needs_inference = scenario.inference is not None
        if any(blocks(event, route, needs_inference=needs_inference, profile=profile, loose=True)
               for route in scenario.route_specs()):
            names.append(scenario.name)
    return names
