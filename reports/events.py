"""Enforcement waves as events: episodes of one topic on one marketplace across days. Pure.

The rules (the README's "How an event is followed"):
1. An event **starts** on a day the brief's own surge test (crackdown.surge_stats, with the false-
   alarm budget shared among the marketplaces the topic named that day, as in the brief) fires for
   a topic × marketplace that has no open event. Its usual level is frozen at that moment: the
   baseline window's mean, so the wave's own days never become "usual".
2. The **usual range** is up to mean + sqrt(mean) posts a day (one Poisson standard deviation;
   none at all on a topic under one post a day). The **run-up** is the days above it just
   before the start, across gaps shorter than `quiet_days`, at most `baseline_days` back and never into the
   previous event: the quiet start a reader wants to see, and where its first post comes from.
3. A day is **quiet** when its count is back in the usual range (one post is always quiet). The
   event is **over** on its `quiet_days`-th quiet day in a row.
4. Status on a day: `rising` (a new high, or the first day), `peak` (at least half the high),
   `fading` (below half), `over`.
Days are the brief's local calendar days, as YYYY-MM-DD strings.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date as Date
from datetime import timedelta

from crackdown.surge_stats import surge_test

Key = tuple[str, str]                                   # (topic, marketplace)
# key → day → (posts, source ids): what the tracker reads
Series = dict[Key, dict[str, tuple[int, tuple[str, ...]]]]
DayRow = tuple[str, int, tuple[str, ...]]               # (day, posts, source ids)


@dataclass(frozen=True)
class TrackParams:
    baseline_days: int = 14
    min_count: int = 3
    p_value: float = 0.01
    quiet_days: int = 3
    min_posts: int = 5        # backtest: a flag with fewer posts that lasted one day is a false alarm


@dataclass
class Episode:
    topic: str
    marketplace: str
    start_day: str                    # the day the surge test first fired: the flag
    baseline_mean: float              # posts/day before the start, frozen
    daily: list[DayRow]               # the run-up days, then every day tracked since the start
    last_active_day: str
    end_day: str | None = None        # the day it was declared over
    id: int | None = None             # its row in the archive, once stored
    info: dict = field(default_factory=dict)   # first posts, parties, stories (archive details)

    @property
    def key(self) -> Key:
        return (self.topic, self.marketplace)

    @property
    def first_day(self) -> str:
        return self.daily[0][0]

    @property
    def last_day(self) -> str:
        return self.daily[-1][0]

    def rows(self, until: str | None = None, from_start: bool = False) -> list[DayRow]:
        return [r for r in self.daily
                if (until is None or r[0] <= until) and (not from_start or r[0] >= self.start_day)]

    def quiet_streak(self) -> int:
        return sum(1 for r in self.daily if r[0] > self.last_active_day)

    def peak(self, until: str | None = None) -> tuple[str, int]:
        """(day, posts) of the highest day since the start (the earliest on a tie)."""
        best = (self.start_day, -1)
        for day, posts, _ in self.rows(until, from_start=True):
            if posts > best[1]:
                best = (day, posts)
        return best

    def posts(self, until: str | None = None, from_start: bool = False) -> int:
        return sum(r[1] for r in self.rows(until, from_start))

    def sources(self, until: str | None = None) -> int:
        return len({s for r in self.rows(until) for s in r[2]})

    def status(self, day: str | None = None) -> str:
        """The event's status as it stood on `day` (default: the last day tracked)."""
        day = day or self.last_day
        if self.end_day and day >= self.end_day:
            return "over"
        today = next((r[1] for r in self.daily if r[0] == day), 0)
        high = self.peak(day)[1]
        if today >= high and today > 0:
            return "rising"
        return "peak" if 2 * today >= high else "fading"

    def active_days(self) -> int:
        """Days from the flag to the last day above the usual level, both included."""
        return (Date.fromisoformat(self.last_active_day) - Date.fromisoformat(self.start_day)).days + 1

    def is_false_alarm(self, params: TrackParams) -> bool:
        """A flag that never became an event: one active day and fewer than `min_posts` posts."""
        return self.active_days() < 2 and self.posts(from_start=True) < params.min_posts


def usual_ceiling(baseline_mean: float) -> float:
    """The top of the usual range: the mean plus one Poisson standard deviation; on a topic that
    usually has less than a post a day, nothing (any post stands out)."""
    return baseline_mean + math.sqrt(baseline_mean) if baseline_mean >= 1 else 0.0


def quiet_level(baseline_mean: float) -> int:
    """The most posts a day can have and still be quiet: within the usual range, and one post
    always."""
    return max(1, math.floor(usual_ceiling(baseline_mean) + 1e-9))


def _day(d: Date, n: int = 0) -> str:
    return (d + timedelta(days=n)).isoformat()


def step_day(open_events: dict[Key, Episode], series: Series, day: Date, params: TrackParams,
             floor: dict[Key, str] | None = None, testable: bool = True) -> list[Episode]:
    """Advance every open event by `day` and start the new ones; return those touched.

    `floor[key]`: the last day of the key's previous event (a run-up never reaches into it);
    updated when an event ends. `testable=False` (not enough history for a baseline yet): open
    events go on, none starts.
    """
    floor = floor if floor is not None else {}
    today = day.isoformat()
    touched: list[Episode] = []
    for key, ep in list(open_events.items()):
        posts, srcs = series.get(key, {}).get(today, (0, ()))
        ep.daily.append((today, posts, tuple(srcs)))
        if posts > quiet_level(ep.baseline_mean):
            ep.last_active_day = today
        elif ep.quiet_streak() >= params.quiet_days:
            ep.end_day = today
            floor[key] = today
            del open_events[key]
        touched.append(ep)
    if not testable:
        return touched
    # the brief's Bonferroni share: one test per marketplace the topic named today
    markets = Counter(t for (t, _), days in series.items() if days.get(today, (0,))[0] > 0)
    baseline_days = [_day(day, -n) for n in range(params.baseline_days, 0, -1)]
    for key, days in series.items():
        posts, srcs = days.get(today, (0, ()))
        if key in open_events or posts < params.min_count:
            continue
        base = [days.get(d, (0,))[0] for d in baseline_days]
        test = surge_test(posts, base, params.min_count, params.p_value / max(markets[key[0]], 1))
        if not test.is_surge:
            continue
        runup = _runup(days, day, params, floor.get(key), usual_ceiling(test.baseline_mean))
        ep = Episode(key[0], key[1], today, test.baseline_mean, runup + [(today, posts, tuple(srcs))],
                     today)
        open_events[key] = ep
        touched.append(ep)
    return touched


def _runup(days: dict, day: Date, params: TrackParams, floor: str | None,
           ceiling: float) -> list[DayRow]:
    """The days before the flag that belong to the event: walking back over days above the usual
    range (any post, on a topic that is usually silent), across gaps shorter than `quiet_days`
    (the rule that ends an event), at most `baseline_days` back and never into the previous
    event; days within the usual range at its start dropped."""
    runup: list[DayRow] = []
    gap = 0
    for n in range(1, params.baseline_days + 1):
        d = _day(day, -n)
        count, srcs = days.get(d, (0, ()))
        if floor is not None and d <= floor:
            break
        gap = gap + 1 if count <= ceiling else 0
        if gap >= params.quiet_days:
            break
        runup.insert(0, (d, count, tuple(srcs)))
    while runup and runup[0][1] <= ceiling:
        runup.pop(0)
    return runup


def replay(series: Series, first: Date, last: Date, params: TrackParams,
           testable_from: Date | None = None) -> list[Episode]:
    """Every event the tracker finds stepping day by day from `first` to `last` (the backtest,
    and a first update of an archive): ended ones and those still open, by start day."""
    open_events: dict[Key, Episode] = {}
    floor: dict[Key, str] = {}
    found: dict[int, Episode] = {}
    day = first
    while day <= last:
        for ep in step_day(open_events, series, day, params, floor,
                           testable=testable_from is None or day >= testable_from):
            found[id(ep)] = ep
        day += timedelta(days=1)
    return sorted(found.values(), key=lambda e: (e.start_day, e.topic, e.marketplace))


def lead_days(flag_day: str, other: str | None) -> int | None:
    """Days from the flag to `other`'s day: positive = flagged that many days before it."""
    if not other:
        return None
    return (Date.fromisoformat(other[:10]) - Date.fromisoformat(flag_day)).days


def episode_from_row(row: dict) -> Episode:
    """An `events` row (crackdown.archive.events) → the Episode it stores."""
    ep = Episode(row["topic"], row["marketplace"], row["start_day"], row["baseline_mean"],
                 [(d, n, tuple(s)) for d, n, s in row["daily"]], row["last_active_day"],
                 row["end_day"], row.get("id"))
    ep.info = {"parties": row.get("parties") or [], "stories": row.get("stories") or []}
    for kind in ("post", "media", "official"):
        if row.get(f"first_{kind}_at"):
            ep.info[f"first_{kind}"] = {
                "dated_at": row[f"first_{kind}_at"], "source_name": row[f"first_{kind}_source"],
                "tier": row.get(f"first_{kind}_tier") or kind, "title": row[f"first_{kind}_title"],
                "url": row[f"first_{kind}_url"]}
    return ep


def episode_to_row(ep: Episode) -> dict:
    """The `events` row for an Episode (its `info` filled in by the tracker)."""
    peak_day, peak_count = ep.peak()
    row = {"topic": ep.topic, "marketplace": ep.marketplace, "start_day": ep.start_day,
           "first_day": ep.first_day, "last_day": ep.last_day,
           "last_active_day": ep.last_active_day, "end_day": ep.end_day, "status": ep.status(),
           "baseline_mean": ep.baseline_mean, "peak_day": peak_day, "peak_count": peak_count,
           "posts": ep.posts(), "sources": ep.sources(),
           "parties": ep.info.get("parties", []),
           "daily": [[d, n, list(s)] for d, n, s in ep.daily]}
    for kind in ("post", "media", "official"):
        first = ep.info.get(f"first_{kind}") or {}
        row[f"first_{kind}_at"] = first.get("dated_at")
        row[f"first_{kind}_source"] = first.get("source_name")
        row[f"first_{kind}_title"] = first.get("title")
        row[f"first_{kind}_url"] = first.get("url")
        if kind == "post":
            row["first_post_tier"] = first.get("tier")
    return row
