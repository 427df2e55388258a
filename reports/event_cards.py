"""Event cards for the brief: each event as it stood on the brief's day. Pure; no I/O.

A card is built from the stored event (reports/events.py's Episode) cut at the brief's day, so
rebuilding an old brief shows that day's numbers, not today's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date as Date

from reports.events import Episode

STATUS_ORDER = {"rising": 0, "peak": 1, "fading": 2, "over": 3}
NAMED_ON_CARD = 3


@dataclass
class EventCard:
    id: int | None
    topic: str
    topic_name: str
    marketplace: str
    day_no: int                       # day N of the event, the flag being day 1
    start_day: str
    posts: int
    sources: int
    status: str                       # rising | peak | fading | over (as of the brief's day)
    named: list[str]                  # top named parties by sources, "Aukey (傲基)"
    bars: list[tuple[str, int, str]]  # (day, posts, "runup" | "event" | "today")
    peak_posts: int
    official_since: str | None = None
    media_since: str | None = None
    first_post: dict | None = None    # {"dated_at", "source_name", "tier", "title", "url"}
    closing: bool = False             # ended since the last brief: one closing line
    end_day: str | None = None
    active_days: int = 0


def event_cards(episodes: list[Episode], day: str, since_end: str,
                topic_names: dict[str, str]) -> list[EventCard]:
    """Cards for the brief of `day`: events flagged by then and not over (most alive first), then
    one closing card per event that ended in (since_end, day]."""
    active, closing = [], []
    for ep in episodes:
        if ep.end_day and ep.end_day <= day:
            if ep.end_day > since_end:
                closing.append(_card(ep, ep.end_day, topic_names, closing=True))
        elif ep.start_day <= day:
            active.append(_card(ep, day, topic_names))
    active.sort(key=lambda c: (STATUS_ORDER[c.status], -c.posts, c.topic, c.marketplace))
    closing.sort(key=lambda c: (-c.posts, c.topic, c.marketplace))
    return active + closing


def _card(ep: Episode, day: str, names: dict[str, str], closing: bool = False) -> EventCard:
    info = ep.info
    official = (info.get("first_official") or {}).get("dated_at", "")[:10]
    media = (info.get("first_media") or {}).get("dated_at", "")[:10]
    named = [_label(p) for p in info.get("parties", []) if p["first_day"] <= day][:NAMED_ON_CARD]
    rows = ep.rows(until=day)
    bars = [(d, n, "runup" if d < ep.start_day else ("today" if d == day else "event"))
            for d, n, _ in rows]
    day_no = (Date.fromisoformat(day) - Date.fromisoformat(ep.start_day)).days + 1
    return EventCard(ep.id, ep.topic, names.get(ep.topic, ep.topic), ep.marketplace, day_no,
                     ep.start_day, ep.posts(day), ep.sources(day), ep.status(day), named, bars,
                     ep.peak(day)[1], official if official and official <= day else None,
                     media if media and media <= day else None, info.get("first_post"),
                     closing, ep.end_day, ep.active_days())


def _label(party: dict) -> str:
    cjk = [a for a in party.get("aliases", []) if any("\u3400" <= ch <= "\u9fff" for ch in a)]
    return f"{party['name']} ({cjk[0]})" if cjk else party["name"]


def label_stories(sections, cards: list[EventCard]) -> None:
    """Mark each story with the event it belongs to: an active event whose topic the story
    carries and whose marketplace it names (its own section's topic first)."""
    active = [c for c in cards if not c.closing]
    for sec in sections:
        for story in sec.stories:
            fits = [c for c in active if c.topic in story.topics and c.marketplace in story.marketplaces]
            fits.sort(key=lambda c: (c.topic != sec.topic, -c.posts))
            if fits:
                c = fits[0]
                story.event = {"id": c.id, "topic_name": c.topic_name, "marketplace": c.marketplace,
                               "day_no": c.day_no}
