"""Price drift: offering price changes, cheapest price per GPU model, suspect jumps, and
new/vanished offerings, computed from the append-only observation tables.

Each GPU provider and each token price line is a state machine (``ProviderState``,
``TokenLineState``) fed its loads in time order. A full evaluation feeds a fresh machine the
whole history; an incremental one restores the machine saved by the last evaluation
(``to_json``/``from_json``) and feeds it only the loads since, so both give the same alerts.
A machine reports the alerts it created or changed while being fed (``touched``) and carries
the ones still open (``open_alerts``) so the next evaluation can update or resolve them.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from itertools import groupby
from typing import Any

import duckdb

from drift.model import Alert, iso, money, pct_text, pct_value
from drift.rules import Rule, RuleSet
from drift.series import (
    Change,
    Feed,
    FeedPresence,
    Point,
    PresenceEvent,
    SuspectEpisode,
    SuspectFilter,
    ThresholdTracker,
    feed_label,
    pct_change,
)

# GPU rows are read through the public history view, whose ``source`` (the collector) and
# ``catalog`` name an offering's feed exactly as gpu_prices_latest's is_current does
# (drift.series.FeedPresence). A row: (provider, observed_at, offering_key, gpu_model, tier, usd,
# source, feed).
GPU_RELATION = "gpu_price_history"
GPU_COLUMNS = ("provider, observed_at, offering_key, gpu_model, tier, usd_per_gpu_hour, source, "
               "coalesce(catalog, '') AS feed")
GPU_ORDER = "provider, observed_at, offering_key"
GPU_SQL = f"SELECT {GPU_COLUMNS} FROM {GPU_RELATION} ORDER BY {GPU_ORDER}"
TOKEN_COLUMNS = "source, provider, model, method, price_kind, observed_at, usd"
TOKEN_SQL = (f"SELECT {TOKEN_COLUMNS} FROM token_observations "
             "ORDER BY source, provider, model, method, price_kind, observed_at")

# ---------------------------------------------------------------- alert records


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
        end_suspect(alert, rule, ep)
    return alert


def end_suspect(alert: Alert, rule: Rule, ep: SuspectEpisode) -> None:
    why = ("price returned to normal" if ep.ended == "returned"
           else f"seen {rule.confirm_after} times in a row: accepted as the new price")
    alert.resolve(ep.ended_at, why)  # type: ignore[arg-type]


def change_alert(rule: Rule, key: str, label: str, unit: str, ch: Change, evidence: dict[str, Any]) -> Alert:
    word = "dropped" if ch.new < ch.old else "rose"
    return Alert(
        rule=rule.name, key=key, severity=rule.severity, first_seen_at=ch.at, trigger=iso(ch.at),
        message=f"{label} {word} {money(ch.old)} → {money(ch.new)}{unit} ({pct_text(ch.pct)})",
        evidence={**evidence, "old": ch.old, "new": ch.new, "pct": pct_value(ch.pct),
                  "old_since": iso(ch.old_since)},
    )


def alert_to_json(alert: Alert) -> dict[str, Any]:
    return {"rule": alert.rule, "key": alert.key, "severity": alert.severity,
            "first_seen_at": alert.first_seen_at.isoformat(), "message": alert.message, "trigger": alert.trigger,
            "kind": alert.kind, "evidence": alert.evidence,
            "last_seen_at": alert.last_seen_at and alert.last_seen_at.isoformat(), "state": alert.state,
            "resolved_at": alert.resolved_at and alert.resolved_at.isoformat(), "resolution": alert.resolution}


def alert_from_json(data: dict[str, Any]) -> Alert:
    def when(text: str | None) -> datetime | None:
        return None if text is None else datetime.fromisoformat(text)

    return Alert(rule=data["rule"], key=data["key"], severity=data["severity"],
                 first_seen_at=datetime.fromisoformat(data["first_seen_at"]), message=data["message"],
                 trigger=data["trigger"], kind=data["kind"], evidence=data["evidence"],
                 last_seen_at=when(data["last_seen_at"]), state=data["state"], resolved_at=when(data["resolved_at"]),
                 resolution=data["resolution"])


class Touched:
    """The alerts a machine created or changed since it was restored, each once, in order."""

    def __init__(self) -> None:
        self._alerts: dict[int, Alert] = {}

    def add(self, alert: Alert) -> Alert:
        self._alerts.setdefault(id(alert), alert)
        return alert

    def __iter__(self) -> Iterator[Alert]:
        return iter(self._alerts.values())


class StaleState(Exception):
    """The saved state cannot continue with these rows (an offering changed model or tier): the
    group is evaluated again from its whole history."""


# ---------------------------------------------------------------- GPU offerings of one provider


def _gpu_label(provider: str, offering_key: str, gpu_model: str | None, tier: str) -> str:
    return f"{provider} {gpu_model or offering_key.split('|')[0]} ({tier})"


class ProviderState:
    """Every GPU alert of one provider, fed one load time at a time (the loads of its feeds at
    that time). Prices, price changes and the cheapest price are the provider's; presence (new /
    vanished offerings) is judged per feed (``drift.series.FeedPresence``, the rule of
    gpu_prices_latest.is_current), so a catalogue listing the provider at another time than the
    provider's own collector never makes the other's offerings vanish.

    ``attrs`` (each offering's GPU model and tier) are the offering's latest ones over the whole
    history, as a full evaluation sees them: a full evaluation passes them up front
    (``final_attrs``), and a restored machine stops with ``StaleState`` when a new load changes
    an offering's.
    """

    def __init__(self, provider: str, rules: RuleSet, final_attrs: dict[str, tuple[str | None, str]] | None = None
                 ) -> None:
        self.provider = provider
        self.rules = rules
        self.check_attrs = final_attrs is None
        self.attrs: dict[str, tuple[str | None, str]] = dict(final_attrs or {})
        self.filters: dict[str, SuspectFilter] = {}
        self.suspects: dict[str, Alert] = {}  # open suspect alert of each offering's open episode
        self.gone_since: dict[str, datetime] = {}  # first vanish after that episode began
        self.changes: dict[str, dict[str, ThresholdTracker]] = {}  # rule -> offering -> tracker
        self.presence = FeedPresence(rules.persist_observations)
        self.last_price: dict[str, float] = {}
        self.open_gone: dict[str, dict[str, Alert]] = {}  # rule -> offering -> open vanished alert
        self.cheapest: dict[str, dict[str, ThresholdTracker]] = {}  # rule -> gpu model -> tracker
        self.cheapest_ref: dict[str, dict[str, str]] = {}  # rule -> gpu model -> offering of the reference
        self.last_load: datetime | None = None
        self.touched = Touched()

    def fields(self, key: str) -> dict[str, Any]:
        gpu_model, tier = self.attrs[key]
        return {"provider": self.provider, "offering_key": key, "gpu_model": gpu_model, "tier": tier}

    def _label(self, key: str) -> str:
        return _gpu_label(self.provider, key, *self.attrs[key])

    def _start(self, key: str) -> None:
        suspect = self.rules.suspect
        if suspect is not None and suspect.matches(**self.fields(key)):
            self.filters[key] = SuspectFilter(suspect.max_drop_pct, suspect.max_rise_pct, suspect.confirm_after)
        else:
            self.filters[key] = SuspectFilter(None, None)
        for rule in self.rules.of_type("gpu_offering_price_change"):
            if rule.matches(**self.fields(key)):
                self.changes.setdefault(rule.name, {})[key] = ThresholdTracker(rule.threshold_pct, rule.direction)

    def feed(self, at: datetime, rows: Sequence[tuple]) -> None:
        """The loads of the provider's feeds at ``at``: rows of (provider, observed_at,
        offering_key, gpu_model, tier, usd, source, feed)."""
        for _, _, key, gpu_model, tier, *_ in rows:
            known = self.attrs.setdefault(key, (gpu_model, tier))
            if self.check_attrs and known != (gpu_model, tier):
                raise StaleState(f"{self.provider} {key} changed from {known} to {(gpu_model, tier)}")
        by_feed: dict[Feed, list[str]] = {}
        for _, _, key, _, _, price, source, feed in rows:
            if key not in self.filters:
                self._start(key)
            self._price(key, Point(at, float(price)))
            by_feed.setdefault((source, feed), []).append(key)
        for feed_key, keys in sorted(by_feed.items()):
            self._presence(at, feed_key, keys)
        self._cheapest(at)
        self.last_load = at

    def _price(self, key: str, point: Point) -> None:
        suspect = self.rules.suspect
        accepted, opened, ended = self.filters[key].feed(point)
        if opened is not None and suspect is not None:
            alert = suspect_alert(suspect, f"{self.provider}|{key}", self._label(key), "/GPU-h", opened,
                                  self.fields(key))
            self.suspects[key] = self.touched.add(alert)
            self.gone_since.pop(key, None)
        elif key in self.suspects and suspect is not None:
            alert = self.touched.add(self.suspects[key])
            episode = self.filters[key].episode or ended
            alert.last_seen_at = episode.last_at if episode else alert.last_seen_at
            if ended is not None:
                end_suspect(alert, suspect, ended)
                del self.suspects[key]
                self.gone_since.pop(key, None)
        if not accepted:
            return
        self.last_price[key] = point.price
        for rule in self.rules.of_type("gpu_offering_price_change"):
            tracker = self.changes.get(rule.name, {}).get(key)
            if tracker is None:
                continue
            _, change = tracker.feed(point)
            if change is not None:
                self.touched.add(change_alert(rule, f"{self.provider}|{key}", self._label(key), "/GPU-h", change,
                                              self.fields(key)))

    def _presence(self, at: datetime, feed: Feed, keys: list[str]) -> None:
        """One load of one feed: presence is judged per feed (``FeedPresence``)."""
        for ev in self.presence.observe(at, feed, keys):
            if ev.kind == "new":
                self._new(at, ev.key, ev.since)
            elif ev.kind == "vanished":
                self._vanished(at, ev, feed)
            else:
                self._returned(at, ev.key, ev.since)

    def _new(self, at: datetime, key: str, since: datetime) -> None:
        fields = self.fields(key)
        for rule in self.rules.of_type("offering_new"):
            if rule.matches(**fields):
                self.touched.add(Alert(
                    rule=rule.name, key=f"{self.provider}|{key}", severity=rule.severity, first_seen_at=at,
                    trigger=iso(at), message=(f"new offering {self._label(key)} at "
                                              f"{money(self.last_price.get(key, float('nan')))}/GPU-h"),
                    evidence={**fields, "first_seen_at": iso(since), "price": self.last_price.get(key)}))

    def _vanished(self, at: datetime, ev: PresenceEvent, feed: Feed) -> None:
        key = ev.key
        if key in self.suspects:
            self.gone_since.setdefault(key, at)
        fields = self.fields(key)
        for rule in self.rules.of_type("offering_vanished"):
            if rule.matches(**fields):
                alert = Alert(
                    rule=rule.name, key=f"{self.provider}|{key}", severity=rule.severity, first_seen_at=at,
                    trigger=iso(at), kind="condition", last_seen_at=at,
                    message=(f"offering {self._label(key)} is no longer listed (missing from "
                             f"{self.rules.persist_observations} loads of {feed_label(feed)} since {iso(ev.since)})"),
                    evidence={**fields, "missing_since": iso(ev.since), "last_price": self.last_price.get(key),
                              "source": feed[0], "catalog": feed[1] or None})
                self.open_gone.setdefault(rule.name, {})[key] = self.touched.add(alert)

    def _returned(self, at: datetime, key: str, since: datetime) -> None:
        for rule in self.rules.of_type("offering_vanished"):
            alert = self.open_gone.get(rule.name, {}).pop(key, None)
            if alert is not None:
                self.touched.add(alert).resolve(at, f"listed again since {iso(since)}")

    def _cheapest(self, at: datetime) -> None:
        present = self.presence.present()
        for rule in self.rules.of_type("gpu_model_cheapest_change"):
            best: dict[str, tuple[float, str]] = {}
            for key in present:
                gpu_model, tier = self.attrs[key]
                if gpu_model is None or key not in self.last_price:
                    continue
                if rule.tiers is not None and tier not in rule.tiers:
                    continue
                if not rule.matches(provider=self.provider, gpu_model=gpu_model):
                    continue
                cand = (self.last_price[key], key)
                if gpu_model not in best or cand < best[gpu_model]:
                    best[gpu_model] = cand
            trackers = self.cheapest.setdefault(rule.name, {})
            refs = self.cheapest_ref.setdefault(rule.name, {})
            for gpu_model, (price, key) in sorted(best.items()):
                tracker = trackers.setdefault(gpu_model, ThresholdTracker(rule.threshold_pct, rule.direction))
                old_offering = refs.get(gpu_model)
                moved, change = tracker.feed(Point(at, price))
                if moved:
                    refs[gpu_model] = key
                if change is not None:
                    evidence = {"provider": self.provider, "gpu_model": gpu_model, "tiers": rule.tiers,
                                "old_offering": old_offering, "new_offering": key}
                    self.touched.add(change_alert(rule, f"{self.provider}|{gpu_model}",
                                                  f"cheapest {gpu_model} at {self.provider}", "/GPU-h", change,
                                                  evidence))

    def finish(self) -> None:
        """End of an evaluation: a suspect episode still open when its offering vanished can never
        return or be confirmed (its alert is resolved at the first vanish after it began)."""
        for key, gone in sorted(self.gone_since.items()):
            alert = self.suspects.pop(key, None)
            if alert is not None and alert.state == "open":
                self.touched.add(alert).resolve(gone, f"offering no longer listed (since {iso(gone)})")
        self.gone_since.clear()

    def open_alerts(self) -> list[Alert]:
        return list(self.suspects.values()) + [a for by_key in self.open_gone.values() for a in by_key.values()]

    def to_json(self) -> dict[str, Any]:
        return {
            "attrs": {k: list(v) for k, v in self.attrs.items()},
            "filters": {k: f.to_json() for k, f in self.filters.items()},
            "suspects": {k: alert_to_json(a) for k, a in self.suspects.items()},
            "changes": {r: {k: t.to_json() for k, t in by.items()} for r, by in self.changes.items()},
            "presence": self.presence.to_json(),
            "last_price": self.last_price,
            "open_gone": {r: {k: alert_to_json(a) for k, a in by.items()} for r, by in self.open_gone.items()},
            "cheapest": {r: {m: t.to_json() for m, t in by.items()} for r, by in self.cheapest.items()},
            "cheapest_ref": self.cheapest_ref,
            "last_load": self.last_load and self.last_load.isoformat(),
        }

    @classmethod
    def from_json(cls, provider: str, rules: RuleSet, data: dict[str, Any]) -> ProviderState:
        state = cls(provider, rules)
        state.attrs = {k: (v[0], v[1]) for k, v in data["attrs"].items()}
        state.filters = {k: SuspectFilter.from_json(f) for k, f in data["filters"].items()}
        state.suspects = {k: alert_from_json(a) for k, a in data["suspects"].items()}
        state.changes = {r: {k: ThresholdTracker.from_json(t) for k, t in by.items()}
                         for r, by in data["changes"].items()}
        state.presence = FeedPresence.from_json(data["presence"])
        state.last_price = dict(data["last_price"])
        state.open_gone = {r: {k: alert_from_json(a) for k, a in by.items()} for r, by in data["open_gone"].items()}
        state.cheapest = {r: {m: ThresholdTracker.from_json(t) for m, t in by.items()}
                          for r, by in data["cheapest"].items()}
        state.cheapest_ref = {r: dict(by) for r, by in data["cheapest_ref"].items()}
        state.last_load = data["last_load"] and datetime.fromisoformat(data["last_load"])
        return state


def latest_attrs(rows: Iterable[tuple]) -> dict[str, tuple[str | None, str]]:
    attrs: dict[str, tuple[str | None, str]] = {}
    for _, _, key, gpu_model, tier, *_ in rows:
        attrs[key] = (gpu_model, tier)
    return attrs


def replay_provider(provider: str, rows: Sequence[tuple], rules: RuleSet) -> ProviderState:
    """A fresh machine fed the provider's whole history (rows ordered by time, then offering)."""
    state = ProviderState(provider, rules, latest_attrs(rows))
    for at, load in groupby(rows, key=lambda r: r[1]):
        state.feed(at, list(load))
    state.finish()
    return state


def provider_alerts(provider: str, rows: Sequence[tuple], rules: RuleSet) -> list[Alert]:
    """All GPU alerts of one provider. rows: (provider, observed_at, offering_key, gpu_model, tier, usd,
    source, feed), ordered by time."""
    return list(replay_provider(provider, rows, rules).touched)


def provider_states(con: duckdb.DuckDBPyConnection, rules: RuleSet) -> dict[str, ProviderState]:
    """Every provider's machine fed its whole history."""
    rows = con.execute(GPU_SQL).fetchall()
    return {provider: replay_provider(provider, list(group), rules)
            for provider, group in groupby(rows, key=lambda r: r[0])}


def gpu_alerts(con: duckdb.DuckDBPyConnection, rules: RuleSet) -> list[Alert]:
    return [alert for state in provider_states(con, rules).values() for alert in state.touched]


# ---------------------------------------------------------------- token price lines


class TokenLineState:
    """The alerts of one token price line (source, provider, model, method, price kind)."""

    def __init__(self, ident: tuple[str, ...], rules: RuleSet) -> None:
        self.ident = ident
        self.rules = rules
        source, provider, model, method, price_kind = ident
        self.fields = {"source": source, "provider": provider, "model": model, "method": method,
                       "price_kind": price_kind}
        self.key = "|".join(ident)
        self.label = f"{provider} {model} {method} {price_kind} ({source})"
        suspect = rules.suspect
        self.applies = suspect if suspect and suspect.matches(**self.fields) else None
        self.filter = SuspectFilter(self.applies.max_drop_pct if self.applies else None,
                                    self.applies.max_rise_pct if self.applies else None,
                                    self.applies.confirm_after if self.applies else 3)
        self.suspect: Alert | None = None
        self.changes = {r.name: ThresholdTracker(r.threshold_pct, r.direction)
                        for r in rules.of_type("token_price_change") if r.matches(**self.fields)}
        self.last_at: datetime | None = None
        self.touched = Touched()

    def feed(self, point: Point) -> None:
        accepted, opened, ended = self.filter.feed(point)
        self.last_at = point.at
        if opened is not None and self.applies is not None:
            self.suspect = self.touched.add(suspect_alert(self.applies, self.key, self.label, "", opened, self.fields))
        elif self.suspect is not None and self.applies is not None:
            self.touched.add(self.suspect)
            episode = self.filter.episode or ended
            self.suspect.last_seen_at = episode.last_at if episode else self.suspect.last_seen_at
            if ended is not None:
                end_suspect(self.suspect, self.applies, ended)
                self.suspect = None
        if not accepted:
            return
        for rule in self.rules.of_type("token_price_change"):
            tracker = self.changes.get(rule.name)
            if tracker is None:
                continue
            _, change = tracker.feed(point)
            if change is not None:
                self.touched.add(change_alert(rule, self.key, self.label, "", change, self.fields))

    def open_alerts(self) -> list[Alert]:
        return [] if self.suspect is None else [self.suspect]

    def to_json(self) -> dict[str, Any]:
        return {"filter": self.filter.to_json(), "suspect": self.suspect and alert_to_json(self.suspect),
                "changes": {r: t.to_json() for r, t in self.changes.items()},
                "last_at": self.last_at and self.last_at.isoformat()}

    @classmethod
    def from_json(cls, ident: tuple[str, ...], rules: RuleSet, data: dict[str, Any]) -> TokenLineState:
        state = cls(ident, rules)
        state.filter = SuspectFilter.from_json(data["filter"])
        state.suspect = data["suspect"] and alert_from_json(data["suspect"])
        state.changes = {r: ThresholdTracker.from_json(t) for r, t in data["changes"].items()}
        state.last_at = data["last_at"] and datetime.fromisoformat(data["last_at"])
        return state


def token_lines(rows: Iterable[tuple], rules: RuleSet,
                states: dict[tuple[str, ...], TokenLineState] | None = None) -> dict[tuple[str, ...], TokenLineState]:
    """Feed rows (ordered by line, then time) to each line's machine (new ones start fresh)."""
    states = {} if states is None else states
    for ident, group in groupby(rows, key=lambda r: tuple(r[:5])):
        state = states.get(ident) or states.setdefault(ident, TokenLineState(ident, rules))
        for row in group:
            state.feed(Point(row[5], float(row[6])))
    return states


def token_rules_apply(rules: RuleSet) -> bool:
    return bool(rules.of_type("token_price_change")) or rules.suspect is not None


def token_alerts(con: duckdb.DuckDBPyConnection, rules: RuleSet) -> list[Alert]:
    if not token_rules_apply(rules):
        return []
    alerts: list[Alert] = []
    for state in token_lines(con.execute(TOKEN_SQL).fetchall(), rules).values():
        alerts += list(state.touched)
    return alerts
