"""Events in the brief stage: step the tracker (reports/events.py) through the archive's days
and store what it decides; replay it for `crackdown backtest` without storing anything.

`update_events` is idempotent per day: the days it stepped through are recorded
(`event_days`), a rerun of one changes nothing, and days missed since the last one are caught
up in order.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date as Date
from datetime import timedelta
from zoneinfo import ZoneInfo

from crackdown.archive import events as store
from crackdown.config import Config
from reports.brief import day_bounds, local_day
from reports.events import (
    Episode,
    Series,
    TrackParams,
    episode_from_row,
    episode_to_row,
    lead_days,
    replay,
    step_day,
)
from reports.parties import extract_parties

log = logging.getLogger(__name__)
# A first update of an archive (or one after a long stop) starts at most this far back.
FIRST_LOOKBACK_DAYS = 60


def track_params(config: Config) -> TrackParams:
    b, e = config.brief, config.events
    return TrackParams(b.baseline_days, b.min_surge_count, b.surge_p_value, e.quiet_days, e.min_posts)


def load_series(db, config: Config, first: Date, last: Date) -> Series:
    """Distinct posts and sources per (topic, marketplace) per local day, first..last."""
    tz_name = config.brief.timezone
    start, _ = day_bounds(first, tz_name)
    _, end = day_bounds(last, tz_name)
    wanted = set(config.brief.marketplaces)
    if tz_name in ("UTC", "Etc/UTC"):   # the archive's own days: let SQLite count
        out: Series = defaultdict(dict)
        for day, topic, market, count, source_ids in store.tagged_market_day_counts(db, start, end):
            if not wanted or market in wanted:
                out[(topic, market)][day] = (count, tuple(sorted(source_ids.split(","))))
        return dict(out)
    tz = ZoneInfo(tz_name)
    posts: dict = defaultdict(lambda: defaultdict(set))
    sources: dict = defaultdict(lambda: defaultdict(set))
    for dated_at, topic, market, source_id, post_id in store.tagged_market_rows(db, start, end):
        if wanted and market not in wanted:
            continue
        day = local_day(dated_at, tz)
        posts[(topic, market)][day].add(post_id)
        sources[(topic, market)][day].add(source_id)
    return {key: {d: (len(ids), tuple(sorted(sources[key][d]))) for d, ids in days.items()}
            for key, days in posts.items()}


def _history_start(db, config: Config) -> Date | None:
    oldest = store.first_post_at(db)
    return Date.fromisoformat(local_day(oldest, ZoneInfo(config.brief.timezone))) if oldest else None


def _testable_from(history: Date, params: TrackParams) -> Date:
    """No surge is tested before half a baseline of history exists: a new archive's first
    days would otherwise be "waves" against an empty past."""
    return history + timedelta(days=math.ceil(params.baseline_days / 2))


def update_events(db, config: Config, day: Date) -> list[int]:
    """Step the tracker through every untracked day up to `day` and store the events it touched
    (ids returned). A day already tracked is left alone."""
    params = track_params(config)
    _, last_tracked = store.tracked_days(db)
    if last_tracked and day.isoformat() <= last_tracked:
        return []
    history = _history_start(db, config)
    if history is None:
        return []
    first = (Date.fromisoformat(last_tracked) + timedelta(days=1) if last_tracked
             else max(history, day - timedelta(days=FIRST_LOOKBACK_DAYS)))
    open_events = {ep.key: ep for ep in map(episode_from_row, store.open_events(db))}
    floor = store.last_end_days(db)
    load_from = min([first - timedelta(days=params.baseline_days)]
                    + [Date.fromisoformat(ep.first_day) for ep in open_events.values()])
    series = load_series(db, config, load_from, day)
    testable = _testable_from(history, params)
    touched: dict[int, Episode] = {}
    d = first
    while d <= day:
        for ep in step_day(open_events, series, d, params, floor, testable=d >= testable):
            touched[id(ep)] = ep
        d += timedelta(days=1)
    ids = [_store_episode(db, config, ep) for ep in touched.values()]
    store.mark_tracked(db, [(first + timedelta(days=n)).isoformat()
                            for n in range((day - first).days + 1)])
    log.info("events: tracked %s..%s, %d event(s) updated", first, day, len(ids))
    return ids


def describe(db, config: Config, ep: Episode) -> dict:
    """First posts by tier, named parties and stories of an episode, from its posts still in
    the archive (earlier values stored for it win when its oldest posts were pruned)."""
    tz = config.brief.timezone
    start, _ = day_bounds(Date.fromisoformat(ep.first_day), tz)
    _, end = day_bounds(Date.fromisoformat(ep.last_day), tz)
    posts = store.episode_posts(db, ep.topic, ep.marketplace, start, end)
    info = dict(ep.info)
    for kind, tiers in (("post", None), ("media", {"media"}), ("official", {"official"})):
        found = next((p for p in posts if tiers is None or p["tier"] in tiers), None)
        old = info.get(f"first_{kind}")
        if found and (not old or found["dated_at"] < old["dated_at"]):
            info[f"first_{kind}"] = {k: found[k] for k in ("dated_at", "source_name", "tier",
                                                            "title", "url")}
    parties = {p["name"]: p for p in info.get("parties", [])}
    for party in extract_parties(posts, config.events.known_names):
        old = parties.get(party.name)
        new = party.as_dict()
        if old:
            new["sources"] = max(new["sources"], old["sources"])
            new["first_day"] = min(new["first_day"], old["first_day"])
        parties[party.name] = new
    info["parties"] = sorted(parties.values(),
                             key=lambda p: (-p["sources"], p["first_day"], p["name"].lower()))[:10]
    stories = {s["story_id"]: s for s in info.get("stories", [])}
    counts: dict[int, int] = defaultdict(int)
    for p in posts:
        if p["story_id"] is not None and p["story_title"] is not None:
            counts[p["story_id"]] += 1
            stories[p["story_id"]] = {"story_id": p["story_id"], "title": p["story_title"],
                                      "first_seen": p["story_first_seen"], "posts": 0}
    for sid, n in counts.items():
        stories[sid]["posts"] = n
    info["stories"] = sorted(stories.values(), key=lambda s: (s["first_seen"] or "", s["story_id"]))
    return info


def _store_episode(db, config: Config, ep: Episode) -> int:
    ep.info = describe(db, config, ep)
    ep.id = store.save_event(db, episode_to_row(ep), ep.info["stories"])
    return ep.id


@dataclass
class Backtest:
    first: Date
    last: Date
    events: list[Episode]          # real events (described), by flag day
    false_alarms: list[Episode]    # flags that stayed one day and under min_posts posts


def backtest(db, config: Config, first: Date, last: Date) -> Backtest:
    """Replay the surge test and the tracker day by day over [first, last] from what the archive
    holds. Reads only: nothing is stored, no brief is touched, no mail is sent."""
    params = track_params(config)
    history = _history_start(db, config)
    if history is None:
        return Backtest(first, last, [], [])
    series = load_series(db, config, first - timedelta(days=params.baseline_days), last)
    found = replay(series, first, last, params, _testable_from(history, params))
    real = [ep for ep in found if not ep.is_false_alarm(params)]
    for ep in found:
        ep.info = describe(db, config, ep)
    return Backtest(first, last, real, [ep for ep in found if ep.is_false_alarm(params)])


def lead_row(ep: Episode) -> dict:
    """One backtest line: when it began, when it was flagged, and the flag's lead over the first
    media and official posts (days; negative = flagged after them)."""
    info = ep.info
    first = info.get("first_post") or {}
    media = info.get("first_media") or {}
    official = info.get("first_official") or {}
    return {
        "topic": ep.topic, "marketplace": ep.marketplace,
        "first_post_day": (first.get("dated_at") or "")[:10], "first_post_source": first.get("source_name"),
        "first_post_tier": first.get("tier"), "flagged": ep.start_day,
        "first_media_day": (media.get("dated_at") or "")[:10] or None,
        "lead_over_media": lead_days(ep.start_day, media.get("dated_at")),
        "first_official_day": (official.get("dated_at") or "")[:10] or None,
        "lead_over_official": lead_days(ep.start_day, official.get("dated_at")),
        "peak_day": ep.peak()[0], "peak_posts": ep.peak()[1], "posts": ep.posts(),
        "sources": ep.sources(), "end_day": ep.end_day, "status": ep.status(),
    }


def format_backtest(result: Backtest, names: dict[str, str], min_posts: int) -> str:
    """The backtest as a plain-text table (also what `crackdown demo` writes to backtest.txt)."""
    def lead(n):
        return "-" if n is None else f"{n:+d}"

    lines = [f"Backtest {result.first} .. {result.last}: {len(result.events)} event(s), "
             f"{len(result.false_alarms)} false alarm(s) (flagged one day, under {min_posts} posts)",
             ""]
    header = ["event", "first post", "flagged", "first media", "lead", "first official", "lead",
              "peak", "posts", "ended"]
    body = []
    for ep in result.events:
        r = lead_row(ep)
        body.append([f"{names.get(ep.topic, ep.topic)[:30]} / {ep.marketplace}",
                     f"{r['first_post_day']} {r['first_post_source']} ({r['first_post_tier']})",
                     r["flagged"], r["first_media_day"] or "-", lead(r["lead_over_media"]),
                     r["first_official_day"] or "-", lead(r["lead_over_official"]),
                     f"{r['peak_posts']} on {r['peak_day']}", r["posts"], r["end_day"] or "open"])
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body)] if body else []
    for row in ([header, *body] if body else []):
        lines.append("  ".join(str(x).ljust(w) for x, w in zip(row, widths)).rstrip())
    if result.false_alarms:
        lines += ["", "False alarms:"]
        lines += [f"  {ep.start_day} {names.get(ep.topic, ep.topic)} / {ep.marketplace}: "
                  f"{ep.posts(from_start=True)} post(s)" for ep in result.false_alarms]
    lines += ["", "lead = days from the flag to that post (+ = flagged before it, - = after)"]
    return "\n".join(lines)
