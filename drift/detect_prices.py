"""Price drift: offering price changes, cheapest price per GPU model, suspect jumps, and
new/vanished offerings, computed from the append-only observation tables."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from itertools import groupby
from typing import Any

import duckdb

from drift.model import Alert, iso, money, pct_text, pct_value
from drift.rules import Rule, RuleSet
from drift.series import Change, Point, PresenceTracker, SuspectEpisode, accept_prices, pct_change, threshold_changes

GPU_SQL = """
SELECT provider, observed_at, offering_key, gpu_model, tier, usd_per_gpu_hour
FROM gpu_observations ORDER BY provider, observed_at, offering_key
"""
TOKEN_SQL = """
SELECT source, provider, model, method, price_kind, observed_at, usd
FROM token_observations ORDER BY source, provider, model, method, price_kind, observed_at
"""


def _accept(points: Sequence[Point], suspect: Rule | None) -> tuple[list[Point], list[SuspectEpisode]]:
    """Accepted prices and suspect episodes; ``suspect`` is None when no suspect rule applies to
    this series (then every price is accepted)."""
    if suspect is None:
        return list(points), []
    return accept_prices(points, max_drop_pct=suspect.max_drop_pct, max_rise_pct=suspect.max_rise_pct,
                         confirm_after=suspect.confirm_after)


def suspect_alert(rule: Rule, key: str, label: str, unit: str, ep: SuspectEpisode,
                  evidence: dict[str, Any]) -> Alert:
    pct = pct_change(ep.reference, ep.price)
    alert = Alert(
        rule=rule.name, key=key, severity=rule.severity, first_seen_at=ep.at, trigger=iso(ep.at),
        kind="condition", last_seen_at=ep.last_at,
        message=(f"suspect price for {label}: {money(ep.reference)} → {money(ep.price)}{unit} ({pct_text(pct)}) "
                 f"in one observation; treated as a probable data error, not a price change"),
        evidence={**evidence, "reference": ep.reference, "price": ep.price, "pct": pct_value(pct)},
    )
    if ep.ended:
        why = ("price returned to normal" if ep.ended == "returned"
               else f"seen {rule.confirm_after} times in a row: accepted as the new price")
        alert.resolve(ep.ended_at, why)  # type: ignore[arg-type]
    return alert


def change_alert(rule: Rule, key: str, label: str, unit: str, ch: Change, evidence: dict[str, Any]) -> Alert:
    word = "dropped" if ch.new < ch.old else "rose"
    return Alert(
        rule=rule.name, key=key, severity=rule.severity, first_seen_at=ch.at, trigger=iso(ch.at),
        message=f"{label} {word} {money(ch.old)} → {money(ch.new)}{unit} ({pct_text(ch.pct)})",
        evidence={**evidence, "old": ch.old, "new": ch.new, "pct": pct_value(ch.pct),
                  "old_since": iso(ch.old_since)},
    )


def _gpu_label(provider: str, offering_key: str, gpu_model: str | None, tier: str) -> str:
    return f"{provider} {gpu_model or offering_key.split('|')[0]} ({tier})"


def provider_alerts(provider: str, rows: Sequence[tuple], rules: RuleSet) -> list[Alert]:
    """All GPU alerts of one provider. rows: (provider, observed_at, offering_key, gpu_model, tier, usd)."""
    alerts: list[Alert] = []
    attrs: dict[str, tuple[str | None, str]] = {}
    points: dict[str, list[Point]] = defaultdict(list)
    for _, at, key, gpu_model, tier, price in rows:
        attrs[key] = (gpu_model, tier)
        points[key].append(Point(at, float(price)))

    def fields(key: str) -> dict[str, Any]:
        gpu_model, tier = attrs[key]
        return {"provider": provider, "offering_key": key, "gpu_model": gpu_model, "tier": tier}

    suspect = rules.suspect
    accepted: dict[str, list[Point]] = {}
    suspects: dict[str, list[Alert]] = {}
    for key, series in points.items():
        applies = suspect if suspect and suspect.matches(**fields(key)) else None
        accepted[key], episodes = _accept(series, applies)
        if applies is not None:
            label = _gpu_label(provider, key, *attrs[key])
            suspects[key] = [suspect_alert(applies, f"{provider}|{key}", label, "/GPU-h", ep, fields(key))
                             for ep in episodes]
            alerts += suspects[key]

    for rule in rules.of_type("gpu_offering_price_change"):
        for key, series in accepted.items():
            if rule.matches(**fields(key)):
                label = _gpu_label(provider, key, *attrs[key])
                alerts += [change_alert(rule, f"{provider}|{key}", label, "/GPU-h", ch, fields(key))
                           for ch in threshold_changes(series, rule.threshold_pct, rule.direction)]

    presence_alerts, vanished_at = _presence_and_cheapest(provider, rows, rules, attrs, accepted, fields)
    alerts += presence_alerts
    # A suspect episode still open when its offering vanishes can never return or be confirmed.
    for key, found in suspects.items():
        for alert in found:
            gone = [at for at in vanished_at.get(key, []) if at > alert.first_seen_at]
            if alert.state == "open" and gone:
                alert.resolve(gone[0], f"offering no longer listed (since {iso(gone[0])})")
    return alerts


def _presence_and_cheapest(provider, rows, rules, attrs, accepted, fields):  # noqa: ANN001, ANN202
    """(new/vanished/cheapest alerts, {offering key: times it was confirmed vanished})."""
    alerts: list[Alert] = []
    vanished_at: dict[str, list[datetime]] = defaultdict(list)
    accepted_at = {(key, p.at): p.price for key, series in accepted.items() for p in series}
    new_rules = rules.of_type("offering_new")
    gone_rules = rules.of_type("offering_vanished")
    cheap_rules = rules.of_type("gpu_model_cheapest_change")
    tracker = PresenceTracker(rules.persist_observations)
    last_price: dict[str, float] = {}
    open_gone: dict[tuple[str, str], Alert] = {}
    cheapest: dict[str, dict[str, list[Point]]] = {r.name: defaultdict(list) for r in cheap_rules}
    cheapest_by: dict[tuple[str, str, datetime], str] = {}

    for at, batch in groupby(rows, key=lambda r: r[1]):
        batch = list(batch)
        for _, _, key, *_ in batch:
            if (key, at) in accepted_at:
                last_price[key] = accepted_at[(key, at)]
        for ev in tracker.observe(at, [r[2] for r in batch]):
            label = _gpu_label(provider, ev.key, *attrs[ev.key])
            akey = f"{provider}|{ev.key}"
            if ev.kind == "new":
                for rule in new_rules:
                    if rule.matches(**fields(ev.key)):
                        alerts.append(Alert(
                            rule=rule.name, key=akey, severity=rule.severity, first_seen_at=at,
                            trigger=iso(at), message=(f"new offering {label} at "
                                                       f"{money(last_price.get(ev.key, float('nan')))}/GPU-h"),
                            evidence={**fields(ev.key), "first_seen_at": iso(ev.since),
                                      "price": last_price.get(ev.key)}))
            elif ev.kind == "vanished":
                vanished_at[ev.key].append(at)
                for rule in gone_rules:
                    if rule.matches(**fields(ev.key)):
                        alert = Alert(
                            rule=rule.name, key=akey, severity=rule.severity, first_seen_at=at,
                            trigger=iso(at), kind="condition", last_seen_at=at,
                            message=(f"offering {label} is no longer listed "
                                     f"(missing from {rules.persist_observations} loads since {iso(ev.since)})"),
                            evidence={**fields(ev.key), "missing_since": iso(ev.since),
                                      "last_price": last_price.get(ev.key)})
                        open_gone[(rule.name, ev.key)] = alert
                        alerts.append(alert)
            else:  # returned
                for rule in gone_rules:
                    alert = open_gone.pop((rule.name, ev.key), None)
                    if alert is not None:
                        alert.resolve(at, f"listed again since {iso(ev.since)}")
        present = tracker.present()
        for rule in cheap_rules:
            best: dict[str, tuple[float, str]] = {}
            for key in present:
                gpu_model, tier = attrs[key]
                if gpu_model is None or key not in last_price:
                    continue
                if rule.tiers is not None and tier not in rule.tiers:
                    continue
                if not rule.matches(provider=provider, gpu_model=gpu_model):
                    continue
                cand = (last_price[key], key)
                if gpu_model not in best or cand < best[gpu_model]:
                    best[gpu_model] = cand
            for gpu_model, (price, key) in best.items():
                cheapest[rule.name][gpu_model].append(Point(at, price))
                cheapest_by[(rule.name, gpu_model, at)] = key

    for rule in cheap_rules:
        for gpu_model, series in cheapest[rule.name].items():
            for ch in threshold_changes(series, rule.threshold_pct, rule.direction):
                evidence = {"provider": provider, "gpu_model": gpu_model, "tiers": rule.tiers,
                            "old_offering": cheapest_by[(rule.name, gpu_model, ch.old_since)],
                            "new_offering": cheapest_by[(rule.name, gpu_model, ch.at)]}
                alerts.append(change_alert(rule, f"{provider}|{gpu_model}",
                                           f"cheapest {gpu_model} at {provider}", "/GPU-h", ch, evidence))
    return alerts, vanished_at


def gpu_alerts(con: duckdb.DuckDBPyConnection, rules: RuleSet) -> list[Alert]:
    rows = con.execute(GPU_SQL).fetchall()
    alerts: list[Alert] = []
    for provider, group in groupby(rows, key=lambda r: r[0]):
        alerts += provider_alerts(provider, list(group), rules)
    return alerts


def token_alerts(con: duckdb.DuckDBPyConnection, rules: RuleSet) -> list[Alert]:
    change_rules = rules.of_type("token_price_change")
    suspect = rules.suspect
    if not change_rules and suspect is None:
        return []
    alerts: list[Alert] = []
    rows = con.execute(TOKEN_SQL).fetchall()
    for ident, group in groupby(rows, key=lambda r: r[:5]):
        source, provider, model, method, price_kind = ident
        fields = {"source": source, "provider": provider, "model": model, "method": method,
                  "price_kind": price_kind}
        key = "|".join(ident)
        label = f"{provider} {model} {method} {price_kind} ({source})"
        applies = suspect if suspect and suspect.matches(**fields) else None
        accepted, episodes = _accept([Point(r[5], float(r[6])) for r in group], applies)
        if applies is not None:
            alerts += [suspect_alert(applies, key, label, "", ep, fields) for ep in episodes]
        for rule in change_rules:
            if rule.matches(**fields):
                alerts += [change_alert(rule, key, label, "", ch, fields)
                           for ch in threshold_changes(accepted, rule.threshold_pct, rule.direction)]
    return alerts
