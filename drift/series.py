"""Price series logic: suspect filtering, threshold changes, debounced presence per feed.

Each is a small state machine fed one observation at a time (``SuspectFilter``,
``ThresholdTracker``, ``PresenceTracker``, ``FeedPresence``), so drift evaluation can carry its
state from one run to the next and read only what is new; ``to_json``/``from_json`` round-trip
that state. The pure functions over a whole series (``accept_prices``, ``threshold_changes``)
feed the same machines, so a series fed in pieces gives exactly what it gives fed at once.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


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


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _stamp(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def point_to_json(p: Point | None) -> list[Any] | None:
    return None if p is None else [p.at.isoformat(), p.price]


def point_from_json(data: list[Any] | None) -> Point | None:
    return None if data is None else Point(datetime.fromisoformat(data[0]), float(data[1]))


@dataclass
class SuspectFilter:
    """Accepts prices one at a time, holding back suspect jumps (see ``accept_prices``).

    ``max_drop_pct=None`` accepts everything."""

    max_drop_pct: float | None
    max_rise_pct: float | None
    confirm_after: int = 3
    last: Point | None = None  # the last accepted price
    episode: SuspectEpisode | None = None  # the open suspect episode, if any

    def feed(self, point: Point) -> tuple[bool, SuspectEpisode | None, SuspectEpisode | None]:
        """(accepted, episode opened by this point, episode ended by this point)."""
        if self.last is None or self.max_drop_pct is None or self.max_rise_pct is None:
            self.last = point
            return True, None, None
        suspect = is_suspect(self.last.price, point.price, self.max_drop_pct, self.max_rise_pct)
        episode = self.episode
        if episode is not None:
            if not suspect:
                episode.ended_at, episode.ended = point.at, "returned"
                self.episode, self.last = None, point
                return True, None, episode
            episode.seen += 1
            episode.last_at = point.at
            if episode.seen >= self.confirm_after:
                episode.ended_at, episode.ended = point.at, "confirmed"
                self.episode, self.last = None, point
                return True, None, episode
            return False, None, None
        if suspect:
            self.episode = SuspectEpisode(point.at, point.price, self.last.price, last_at=point.at)
            return False, self.episode, None
        self.last = point
        return True, None, None

    def to_json(self) -> dict[str, Any]:
        ep = None if self.episode is None else {
            **asdict(self.episode), "at": _stamp(self.episode.at), "last_at": _stamp(self.episode.last_at),
            "ended_at": _stamp(self.episode.ended_at)}
        return {"max_drop_pct": self.max_drop_pct, "max_rise_pct": self.max_rise_pct,
                "confirm_after": self.confirm_after, "last": point_to_json(self.last), "episode": ep}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SuspectFilter:
        ep = data["episode"]
        episode = None if ep is None else SuspectEpisode(
            at=datetime.fromisoformat(ep["at"]), price=ep["price"], reference=ep["reference"], seen=ep["seen"],
            last_at=_time(ep["last_at"]), ended_at=_time(ep["ended_at"]), ended=ep["ended"])
        return cls(data["max_drop_pct"], data["max_rise_pct"], data["confirm_after"],
                   point_from_json(data["last"]), episode)


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
    machine = SuspectFilter(max_drop_pct, max_rise_pct, confirm_after)
    for point in points:
        ok, opened, _ = machine.feed(point)
        if ok:
            accepted.append(point)
        if opened is not None:
            episodes.append(opened)
    return accepted, episodes


@dataclass
class ThresholdTracker:
    """Moves of at least ``threshold_pct`` from a reference price, one point at a time (see
    ``threshold_changes``)."""

    threshold_pct: float
    direction: str = "any"
    ref: Point | None = None

    def feed(self, point: Point) -> tuple[bool, Change | None]:
        """(the reference moved to this point, the change to report, if any)."""
        if self.ref is None:
            self.ref = point
            return True, None
        pct = pct_change(self.ref.price, point.price)
        if abs(pct) < self.threshold_pct - 1e-9:
            return False, None
        change = None
        if self.direction == "any" or (pct < 0) == (self.direction == "down"):
            change = Change(point.at, self.ref.price, point.price, self.ref.at)
        self.ref = point
        return True, change

    def to_json(self) -> dict[str, Any]:
        return {"threshold_pct": self.threshold_pct, "direction": self.direction, "ref": point_to_json(self.ref)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ThresholdTracker:
        return cls(data["threshold_pct"], data["direction"], point_from_json(data["ref"]))


def threshold_changes(points: Sequence[Point], threshold_pct: float, direction: str = "any") -> list[Change]:
    """Moves of at least ``threshold_pct`` from the reference price, in ``direction``.

    The reference is the first price, then the price of the last move that reached the
    threshold (in either direction), so slow drift adds up and one move alerts once.
    """
    tracker = ThresholdTracker(threshold_pct, direction)
    changes = []
    for point in points:
        _, change = tracker.feed(point)
        if change is not None:
            changes.append(change)
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

    def to_json(self) -> dict[str, Any]:
        return {"persist": self.persist, "loads": self.loads,
                "states": {k: [st.present, st.known, st.streak, _stamp(st.streak_start)]
                           for k, st in self.states.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PresenceTracker:
        states = {k: _Presence(v[0], v[1], v[2], _time(v[3])) for k, v in data["states"].items()}
        return cls(persist=data["persist"], states=states, loads=data["loads"])


# A GPU feed: the collector (gpu_price_history.source, i.e. coalesce(source, provider)) and the
# catalogue folder ('' for a provider's own collector). THE definition of "offering current or
# vanished" is gpu_prices_latest.is_current (warehouse/semantic/10_history.sql): an offering is
# current when its feed's latest load lists it. ``FeedPresence`` applies the same rule, debounced
# over ``persist`` loads OF THE FEED; with persist=1 its present set is exactly the view's current
# set (tests/drift/test_feeds.py checks both on a hand-built multi-feed history).
Feed = tuple[str, str]
_FEED_SEP = "\x1f"


def feed_id(feed: Feed) -> str:
    return _FEED_SEP.join(feed)


def feed_label(feed: Feed) -> str:
    """``lambda`` (a provider's own collector) or ``skypilot_catalog/lambda`` (a catalogue folder)."""
    source, catalog = feed
    return f"{source}/{catalog}" if catalog else source


@dataclass
class FeedPresence:
    """Debounced presence of one provider's offerings, judged per feed: each feed (collector, and
    for a multi-cloud catalogue each catalogue folder) has its own ``PresenceTracker`` fed only
    that feed's loads, so two feeds loading at different times never make each other's
    offerings vanish. A feed's first load is its baseline."""

    persist: int = 2
    feeds: dict[str, PresenceTracker] = field(default_factory=dict)

    def observe(self, at: datetime, feed: Feed, keys: Iterable[str]) -> list[PresenceEvent]:
        """One load of ``feed`` at ``at`` listing ``keys``."""
        tracker = self.feeds.setdefault(feed_id(feed), PresenceTracker(self.persist))
        return tracker.observe(at, keys)

    def present(self) -> set[str]:
        return set().union(*(t.present() for t in self.feeds.values()))

    def to_json(self) -> dict[str, Any]:
        return {"persist": self.persist, "feeds": {f: t.to_json() for f, t in self.feeds.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FeedPresence:
        return cls(data["persist"], {f: PresenceTracker.from_json(t) for f, t in data["feeds"].items()})
