"""Pure functions over price series: suspect filtering, threshold changes, debounced presence."""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Point:
    at: datetime
    price: float


@dataclass(frozen=True)
class Change:
    at: datetime
    old: float
    new: float
    old_since: datetime

    @property
    def pct(self) -> float:
        return pct_change(self.old, self.new)


@dataclass
class SuspectEpisode:
    at: datetime  # first suspect observation
    price: float
    reference: float  # the accepted price it jumped from
    seen: int = 1
    last_at: datetime | None = None
    ended_at: datetime | None = None
    ended: str | None = None  # "returned" | "confirmed"


def pct_change(old: float, new: float) -> float:
    """Percent move from ``old`` to ``new``. Zero prices are real (a free tier, "no minimum"):
    0 → 0 is 0%, and a move away from 0 is ±inf (larger than any threshold, so it is a change;
    ``is_suspect`` never flags it)."""
    if old == 0:
        return 0.0 if new == 0 else math.copysign(math.inf, new)
    return 100.0 * (new - old) / old


def is_suspect(old: float, new: float, max_drop_pct: float, max_rise_pct: float) -> bool:
    """A jump large enough to be a probable data error. A move away from 0 has no ratio to
    judge by and is a plain change, never suspect."""
    if old == 0:
        return False
    pct = pct_change(old, new)
    return pct <= -max_drop_pct or pct >= max_rise_pct


def accept_prices(points: Sequence[Point], *, max_drop_pct: float | None, max_rise_pct: float | None,
                  confirm_after: int = 3) -> tuple[list[Point], list[SuspectEpisode]]:
    """Split a series into accepted prices and suspect episodes.

    A jump of at least ``max_drop_pct`` down or ``max_rise_pct`` up from the last accepted price
    opens a suspect episode; its observations are not accepted. The episode ends when the
    price is back within bounds of the reference ("returned", that price is accepted) or after
    ``confirm_after`` suspect observations in a row ("confirmed", that price is accepted).
    ``max_drop_pct=None`` accepts everything.
    """
    accepted: list[Point] = []
    episodes: list[SuspectEpisode] = []
    open_episode: SuspectEpisode | None = None
    for point in points:
        if not accepted or max_drop_pct is None or max_rise_pct is None:
            accepted.append(point)
            continue
        reference = accepted[-1].price
        suspect = is_suspect(reference, point.price, max_drop_pct, max_rise_pct)
        if open_episode is not None:
            if not suspect:
                open_episode.ended_at, open_episode.ended = point.at, "returned"
                open_episode = None
                accepted.append(point)
            else:
                open_episode.seen += 1
                open_episode.last_at = point.at
                if open_episode.seen >= confirm_after:
                    open_episode.ended_at, open_episode.ended = point.at, "confirmed"
                    open_episode = None
                    accepted.append(point)
            continue
        if suspect:
            open_episode = SuspectEpisode(point.at, point.price, reference, last_at=point.at)
            episodes.append(open_episode)
            continue
        accepted.append(point)
    return accepted, episodes


def threshold_changes(points: Sequence[Point], threshold_pct: float, direction: str = "any") -> list[Change]:
    """Moves of at least ``threshold_pct`` from the reference price, in ``direction``.

    The reference is the first price, then the price of the last move that reached the
    threshold (in either direction), so slow drift adds up and one move alerts once.
    """
    changes: list[Change] = []
    if not points:
        return changes
    ref = points[0]
    for point in points[1:]:
        pct = pct_change(ref.price, point.price)
        if abs(pct) < threshold_pct - 1e-9:
            continue
        if direction == "any" or (pct < 0) == (direction == "down"):
            changes.append(Change(point.at, ref.price, point.price, ref.at))
        ref = point
    return changes


@dataclass
class PresenceEvent:
    key: str
    kind: str  # "new" | "vanished" | "returned"
    at: datetime  # the load that confirmed it
    since: datetime  # the first load of the streak


@dataclass
class _Presence:
    present: bool
    known: bool
    streak: int = 0
    streak_start: datetime | None = None


@dataclass
class PresenceTracker:
    """Debounced presence of keys over successive loads (batches) of one provider.

    The first load is the baseline. A key changes state only after ``persist`` consecutive
    loads contrary to its state; one missing load and back changes nothing.
    """

    persist: int = 2
    states: dict[str, _Presence] = field(default_factory=dict)
    loads: int = 0

    def observe(self, at: datetime, keys: Iterable[str]) -> list[PresenceEvent]:
        seen = set(keys)
        self.loads += 1
        if self.loads == 1:
            self.states = {k: _Presence(True, True) for k in seen}
            return []
        events: list[PresenceEvent] = []
        for key in seen - self.states.keys():
            self.states[key] = _Presence(False, False)
        for key, st in self.states.items():
            observed = key in seen
            if observed == st.present:
                st.streak, st.streak_start = 0, None
                continue
            st.streak += 1
            st.streak_start = st.streak_start or at
            if st.streak < self.persist:
                continue
            since = st.streak_start
            st.present, st.streak, st.streak_start = observed, 0, None
            if not observed:
                events.append(PresenceEvent(key, "vanished", at, since))
            elif st.known:
                events.append(PresenceEvent(key, "returned", at, since))
            else:
                st.known = True
                events.append(PresenceEvent(key, "new", at, since))
        return sorted(events, key=lambda e: e.key)

    def present(self) -> set[str]:
        return {k for k, st in self.states.items() if st.present}
