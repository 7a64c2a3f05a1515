"""Evaluate every rule over the warehouse (SQL over the base tables, not the dbt marts, so
alerts work even when dbt has not run) and store the result in ``alerts``.

Evaluation is a pure function of the history: the same data always gives the same alerts with
the same ids, so re-running adds nothing, and a replayed history dates alerts on its days.

The daily run evaluates incrementally (``evaluate_incremental``): the price detectors' state
(``drift.detect_prices``: each GPU provider's and token line's series machines and open alerts)
is saved in ``drift_state`` with the alerts it produced, and the next run restores it and
reads only the GPU and token observations loaded since (their ``source_fetch_id`` above the
last evaluated ``fetch_id``), so its cost follows the day's data, not the history's. It falls
back to the whole history, for one provider or token source, when rows arrive out of order (a
replay of older snapshots) or an offering changes model or tier; and for everything when the
rules changed, the row counts do not add up (rows inserted or deleted behind the loader's back)
or no state was saved. The scenario cost series carry their state the same way and read only
the stored days not yet evaluated (``drift.detect_scenarios``). Lifecycle events and source
health are small tables and are read whole each run. ``tests/drift/test_incremental.py`` checks
that a history evaluated day by day stores exactly the alerts a full evaluation each day stores.
"""
from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from typing import Any

import duckdb

from drift.detect_lifecycle import lifecycle_alerts
from drift.detect_other import stale_source_alerts
from drift.detect_prices import (
    GPU_COLUMNS,
    GPU_ORDER,
    GPU_RELATION,
    TOKEN_COLUMNS,
    ProviderState,
    StaleState,
    TokenLineState,
    alert_from_json,
    alert_to_json,
    replay_provider,
    token_lines,
    token_rules_apply,
)
from drift.detect_scenarios import evaluate_scenarios
from drift.impact import ImpactFinder
from drift.model import Alert
from drift.notify import queue_many
from drift.rules import RuleSet
from warehouse.db import transaction

STATE_NAME = "alerts"
STATE_VERSION = 2  # 2: presence per feed; the scenario series


def apply_deferrals(alerts: list[Alert], rules: RuleSet) -> list[Alert]:
    """Drop an alert when a rule it defers to (``defer_to``) alerted on the same key at the same
    observation: one notification per move."""
    defer = {r.name: r.defer_to for r in rules.rules if r.enabled and r.defer_to}
    if not defer:
        return alerts
    fired = {(a.rule, a.key, a.first_seen_at) for a in alerts}
    return [a for a in alerts
            if not any((other, a.key, a.first_seen_at) in fired for other in defer.get(a.rule, ()))]


def unique_ids(alerts: list[Alert]) -> list[Alert]:
    """One alert per id, the earliest (e.g. two sources announcing the same date)."""
    seen: dict[str, Alert] = {}
    for alert in sorted(alerts, key=lambda a: (a.first_seen_at, a.rule, a.key, a.trigger)):
        seen.setdefault(alert.alert_id, alert)
    return list(seen.values())


def supersede_events(alerts: list[Alert]) -> list[Alert]:
    """An event alert stays open until a newer event of the same rule and key arrives.
    ``alerts`` must have unique ids (see ``unique_ids``)."""
    groups: dict[tuple[str, str], list[Alert]] = defaultdict(list)
    for alert in alerts:
        if alert.kind == "event":
            groups[(alert.rule, alert.key)].append(alert)
    for group in groups.values():
        group.sort(key=lambda a: (a.first_seen_at, a.trigger))
        for older, newer in zip(group, group[1:], strict=False):
            older.resolve(newer.first_seen_at, f"superseded by {newer.alert_id}")
    return alerts


def evaluate(con: duckdb.DuckDBPyConnection, rules: RuleSet, now: datetime,
             impact: ImpactFinder | None = None) -> list[Alert]:
    """Every alert the history supports as of ``now`` (reminders due after ``now`` wait)."""
    return evaluate_incremental(con, rules, now, impact, full=True).alerts


@dataclass
class Evaluation:
    alerts: list[Alert]  # new, changed and still-open alerts (a full evaluation: every alert)
    state: dict[str, Any]  # to save with them (``store_alerts(..., state=...)``)
    full: list[str]  # what was evaluated from the whole history, and why (empty: nothing)


def rules_fingerprint(rules: RuleSet) -> str:
    return hashlib.sha256(rules.model_dump_json().encode()).hexdigest()[:16]


def load_state(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    row = con.execute("SELECT state FROM drift_state WHERE name = ?", [STATE_NAME]).fetchall()
    return json.loads(row[0][0]) if row else None


def save_state(con: duckdb.DuckDBPyConnection, state: dict[str, Any], evaluated_at: datetime) -> None:
    con.execute("INSERT OR REPLACE INTO drift_state (name, evaluated_at, state) VALUES (?, ?, ?)",
                [STATE_NAME, evaluated_at, json.dumps(state, default=str, separators=(",", ":"))])


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])


def _new_rows(con: duckdb.DuckDBPyConnection, columns: str, table: str, order: str, after: int) -> list[tuple]:
    return con.execute(f"SELECT {columns} FROM {table} WHERE source_fetch_id > ? ORDER BY {order}",
                       [after]).fetchall()


TOKEN_ORDER = "source, provider, model, method, price_kind, observed_at"
_SEP = "\x1f"


# Alerts by the group that produced them: "gpu:<provider>", "token:<source>", SCENARIOS (the
# scenario cost series, drift.detect_scenarios), or OTHER for the detectors that read their
# (small) tables whole each run.
Grouped = dict[str, list[Alert]]
OTHER = "other"
SCENARIOS = "scenario"


def _gpu_states(con: duckdb.DuckDBPyConnection, rules: RuleSet, saved: dict[str, Any] | None, rows_now: int,
                full: list[str]) -> tuple[dict[str, ProviderState], Grouped, set[str]]:
    """Each provider's machine, brought up to date; the alerts touched on the way, by group; the
    groups evaluated from their whole history."""
    if saved is not None:
        new = _new_rows(con, GPU_COLUMNS, GPU_RELATION, GPU_ORDER, saved["last_fetch_id"])
        if saved["gpu_rows"] + len(new) != rows_now:
            full.append("gpu: row count does not add up (rows loaded or deleted outside the loader)")
            saved = None
    if saved is None:
        rows = con.execute(f"SELECT {GPU_COLUMNS} FROM {GPU_RELATION} ORDER BY {GPU_ORDER}").fetchall()
        states = {p: replay_provider(p, list(g), rules) for p, g in groupby(rows, key=lambda r: r[0])}
        return states, {f"gpu:{p}": list(st.touched) for p, st in states.items()}, {"gpu:*"}
    states = {p: ProviderState.from_json(p, rules, data) for p, data in saved["providers"].items()}
    touched: Grouped = {}
    replayed: set[str] = set()
    for provider, group in groupby(new, key=lambda r: r[0]):
        rows = list(group)
        state = states.get(provider)
        try:
            if state is not None and state.last_load is not None and rows[0][1] <= state.last_load:
                raise StaleState(f"{provider}: a load at {rows[0][1]} arrived after {state.last_load}")
            if state is None:
                state = states[provider] = replay_provider(provider, rows, rules)
            else:
                for at, load in groupby(rows, key=lambda r: r[1]):
                    state.feed(at, list(load))
                state.finish()
        except StaleState as why:
            full.append(f"gpu {why}")
            history = con.execute(f"SELECT {GPU_COLUMNS} FROM {GPU_RELATION} WHERE provider = ? "
                                  f"ORDER BY {GPU_ORDER}", [provider]).fetchall()
            state = states[provider] = replay_provider(provider, history, rules)
            replayed.add(f"gpu:{provider}")
        touched[f"gpu:{provider}"] = list(state.touched)
    return states, touched, replayed


def _token_states(con: duckdb.DuckDBPyConnection, rules: RuleSet, saved: dict[str, Any] | None, rows_now: int,
                  full: list[str]) -> tuple[dict[tuple[str, ...], TokenLineState], Grouped, set[str]]:
    if not token_rules_apply(rules):
        return {}, {}, {"token:*"}
    if saved is not None:
        new = _new_rows(con, TOKEN_COLUMNS, "token_observations", TOKEN_ORDER, saved["last_fetch_id"])
        if saved["token_rows"] + len(new) != rows_now:
            full.append("tokens: row count does not add up (rows loaded without a fetch or deleted)")
            saved = None
    if saved is None:
        states = token_lines(con.execute(f"SELECT {TOKEN_COLUMNS} FROM token_observations ORDER BY {TOKEN_ORDER}"
                                         ).fetchall(), rules)
        return states, _by_source(states), {"token:*"}
    states = {tuple(k.split(_SEP)): TokenLineState.from_json(tuple(k.split(_SEP)), rules, v)
              for k, v in saved["tokens"].items()}
    late = sorted({r[0] for r in new if (st := states.get(tuple(r[:5]))) and st.last_at and r[5] <= st.last_at})
    for source in late:
        full.append(f"tokens {source}: rows arrived older than the source's last evaluated ones")
        states = {k: v for k, v in states.items() if k[0] != source}
        token_lines(con.execute(f"SELECT {TOKEN_COLUMNS} FROM token_observations WHERE source = ? "
                                f"ORDER BY {TOKEN_ORDER}", [source]).fetchall(), rules, states)
    token_lines([r for r in new if r[0] not in late], rules, states)
    return states, _by_source(states), {f"token:{source}" for source in late}


def _by_source(states: dict[tuple[str, ...], TokenLineState]) -> Grouped:
    grouped: Grouped = defaultdict(list)
    for ident, state in states.items():
        grouped[f"token:{ident[0]}"] += list(state.touched)
    return dict(grouped)


def _latest_open_events(alerts: Iterable[Alert]) -> list[Alert]:
    """The newest event of each rule and key, when still open: what a later event supersedes."""
    newest: dict[tuple[str, str], Alert] = {}
    for alert in alerts:
        if alert.kind != "event":
            continue
        current = newest.get((alert.rule, alert.key))
        if current is None or (alert.first_seen_at, alert.trigger) > (current.first_seen_at, current.trigger):
            newest[(alert.rule, alert.key)] = alert
    return [a for a in newest.values() if a.state == "open"]


def evaluate_incremental(con: duckdb.DuckDBPyConnection, rules: RuleSet, now: datetime,
                         impact: ImpactFinder | None = None, *, full: bool = False) -> Evaluation:
    """The alerts to store as of ``now`` and the state to save with them. With a usable saved
    state only observations loaded since it are read (see the module doc); ``full=True`` (or no
    usable state) evaluates the whole history. Either way ``store_alerts`` ends in the same
    table."""
    why_full: list[str] = []
    saved = None if full else load_state(con)
    if not full and saved is None:
        why_full.append("no saved state")
    elif saved is not None and (saved.get("version"), saved.get("rules")) != (STATE_VERSION, rules_fingerprint(rules)):
        why_full.append("the rules (or the state format) changed")
        saved = None
    if full:
        why_full.append("asked for")
    last_fetch_id = int(con.execute("SELECT coalesce(max(fetch_id), 0) FROM fetch_log").fetchall()[0][0])
    gpu_rows, token_rows = _count(con, "gpu_observations"), _count(con, "token_observations")
    providers, gpu_touched, gpu_replayed = _gpu_states(con, rules, saved, gpu_rows, why_full)
    lines, token_touched, token_replayed = _token_states(con, rules, saved, token_rows, why_full)
    scenarios = evaluate_scenarios(con, rules, (saved or {}).get("scenarios"))
    if scenarios.why_whole:
        why_full.append(scenarios.why_whole)
    others = lifecycle_alerts(con, rules, now, impact) + stale_source_alerts(con, rules)
    group_of: dict[int, str] = {}
    fresh: list[Alert] = []
    for group, produced in [*gpu_touched.items(), *token_touched.items(), (SCENARIOS, scenarios.alerts),
                            (OTHER, others)]:
        for alert in produced:
            group_of[id(alert)] = group
            fresh.append(alert)
    for alert in fresh:
        alert.last_seen_at = alert.last_seen_at or alert.first_seen_at
    fresh = apply_deferrals(fresh, rules)
    carried = [a for st in providers.values() for a in st.open_alerts()]
    carried += [a for st in lines.values() for a in st.open_alerts()]
    # The newest open event of each rule and key, kept for superseding, unless its group was just
    # evaluated whole (then the group's fresh alerts have every event it still supports).
    whole = gpu_replayed | token_replayed | {OTHER} | ({SCENARIOS} if scenarios.whole else set())
    for group, data in (saved or {}).get("events", []):
        if group not in whole and f"{group.split(':')[0]}:*" not in whole:
            alert = alert_from_json(data)
            group_of[id(alert)] = group
            carried.append(alert)
    alerts = sorted(supersede_events(unique_ids(fresh + carried)), key=lambda a: (a.first_seen_at, a.rule, a.key))
    state = {
        "version": STATE_VERSION, "rules": rules_fingerprint(rules), "last_fetch_id": last_fetch_id,
        "gpu_rows": gpu_rows, "token_rows": token_rows,
        "providers": {p: st.to_json() for p, st in providers.items()},
        "tokens": {_SEP.join(k): st.to_json() for k, st in lines.items()},
        "scenarios": scenarios.state,
        "events": [[group_of.get(id(a), OTHER), alert_to_json(a)] for a in _latest_open_events(alerts)],
    }
    return Evaluation(alerts, state, why_full)


@dataclass
class StoreResult:
    new: list[Alert] = field(default_factory=list)
    resolved: list[Alert] = field(default_factory=list)  # conditions that ended (delivered)
    superseded: int = 0  # events resolved silently by a newer one


NO_LONGER_EVALUATED = "no longer evaluated"

# The stored alerts an evaluation can change: the open ones and the ones it produced (not the
# whole, ever-growing table).
_EXISTING = """
SELECT alert_id, state, kind, last_seen_at, rule, key, severity, first_seen_at, message, trigger_ref
FROM alerts WHERE state = 'open' OR alert_id IN (SELECT alert_id FROM _produced)
"""

# A delivery channel as stored in alert_deliveries: (stable id, display label).
ChannelRef = tuple[str, str]


def _insert_alerts(con: duckdb.DuckDBPyConnection, alerts: list[Alert], now: datetime) -> None:
    """Insert new alerts: one INSERT for the lot."""
    import pyarrow as pa

    if not alerts:
        return
    table = pa.table({
        "alert_id": [a.alert_id for a in alerts], "rule": [a.rule for a in alerts], "key": [a.key for a in alerts],
        "severity": [a.severity for a in alerts],
        "first_seen_at": pa.array([a.first_seen_at for a in alerts], pa.timestamp("us")),
        "last_seen_at": pa.array([a.last_seen_at for a in alerts], pa.timestamp("us")),
        "state": [a.state for a in alerts],
        "resolved_at": pa.array([a.resolved_at for a in alerts], pa.timestamp("us")),
        "message": [a.message for a in alerts],
        "evidence": [json.dumps(a.evidence, default=str) for a in alerts],
        "kind": [a.kind for a in alerts], "trigger_ref": [a.trigger for a in alerts],
        "resolution": pa.array([a.resolution for a in alerts], pa.string()),
    })
    con.register("_new_alerts", table)
    try:
        con.execute("INSERT INTO alerts (alert_id, rule, key, severity, first_seen_at, last_seen_at, state, "
                    "resolved_at, message, evidence, created_at, kind, trigger_ref, resolution) "
                    "SELECT alert_id, rule, key, severity, first_seen_at, last_seen_at, state, resolved_at, message, "
                    "evidence::JSON, ?, kind, trigger_ref, resolution FROM _new_alerts", [now])
    finally:
        con.unregister("_new_alerts")


def _existing(con: duckdb.DuckDBPyConnection, alerts: list[Alert]) -> dict[str, tuple]:
    import pyarrow as pa

    con.register("_produced", pa.table({"alert_id": pa.array([a.alert_id for a in alerts], pa.string())}))
    try:
        return {row[0]: row for row in con.execute(_EXISTING).fetchall()}
    finally:
        con.unregister("_produced")


def store_alerts(con: duckdb.DuckDBPyConnection, alerts: list[Alert], channels: list[ChannelRef],
                 now: datetime, evaluated_at: datetime | None = None,
                 state: dict[str, Any] | None = None) -> StoreResult:
    """Insert new alerts, resolve ended ones, queue their notifications on ``channels``; save the
    evaluation ``state`` (``evaluate_incremental``) in the same transaction.

    An alert id already stored is never inserted again; an open alert is resolved once. An open
    condition whose id the evaluation no longer produces (its rule was disabled, renamed or
    changed, or its data is gone) is resolved at ``evaluated_at`` as "no longer evaluated", and
    that resolution is delivered like any other.
    """
    existing = _existing(con, alerts)
    result = StoreResult()
    with transaction(con):
        if state is not None:
            save_state(con, state, evaluated_at or now)
        inserted: list[Alert] = []
        queued: list[tuple[str, str]] = []
        for alert in alerts:
            aid = alert.alert_id
            row = existing.get(aid)
            if row is None:
                inserted.append(alert)
                existing[aid] = (aid, alert.state, alert.kind, alert.last_seen_at)
                result.new.append(alert)
                queued.append((aid, "opened"))
                if alert.state == "resolved":
                    if alert.kind == "condition":
                        result.resolved.append(alert)
                        queued.append((aid, "resolved"))
                    else:
                        result.superseded += 1
                continue
            state, stored_last_seen = row[1], row[3]
            if state == "open" and alert.state == "resolved":
                con.execute(
                    "UPDATE alerts SET state = 'resolved', resolved_at = ?, resolution = ?, last_seen_at = ? "
                    "WHERE alert_id = ?", [alert.resolved_at, alert.resolution, alert.last_seen_at, aid])
                if alert.kind == "condition":
                    result.resolved.append(alert)
                    queued.append((aid, "resolved"))
                else:
                    result.superseded += 1
            elif state == "open" and alert.last_seen_at and (stored_last_seen is None
                                                             or alert.last_seen_at > stored_last_seen):
                con.execute("UPDATE alerts SET last_seen_at = ? WHERE alert_id = ?", [alert.last_seen_at, aid])
        _insert_alerts(con, inserted, now)
        ended = _resolve_unevaluated(con, existing, {a.alert_id for a in alerts}, evaluated_at or now)
        result.resolved += ended
        queue_many(con, queued + [(a.alert_id, "resolved") for a in ended], channels, now)
    return result


def _resolve_unevaluated(con: duckdb.DuckDBPyConnection, existing: dict[str, tuple], produced: set[str],
                         at: datetime) -> list[Alert]:
    ended: list[Alert] = []
    for aid, row in existing.items():
        if aid in produced or row[1] != "open" or row[2] != "condition":
            continue
        _, _, kind, last_seen, rule, key, severity, first_seen, message, trigger = row
        resolved_at = max(at, last_seen or at)
        con.execute("UPDATE alerts SET state = 'resolved', resolved_at = ?, resolution = ? WHERE alert_id = ?",
                    [resolved_at, NO_LONGER_EVALUATED, aid])
        alert = Alert(rule=rule, key=key, severity=severity, first_seen_at=first_seen, message=message,
                      trigger=trigger or "", kind=kind, last_seen_at=last_seen)
        alert.resolve(resolved_at, NO_LONGER_EVALUATED)
        ended.append(alert)
    return ended
