"""The brief stage: read a day from the archive, build and render the brief, store it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date as Date
from datetime import timedelta

import numpy as np

from crackdown.archive import events as event_rows
from crackdown.archive import open_archive, queries, runs, sources
from crackdown.archive.stories import save_stories
from crackdown.config import Config
from reports.brief import Brief, BriefInputs, build_brief, day_bounds
from reports.event_cards import EventCard, event_cards, label_stories
from reports.event_tracking import update_events
from reports.events import episode_from_row
from reports.i18n import localized_topics
from reports.render import render_html, render_text

log = logging.getLogger(__name__)
# Coverage of one event spreads over a news cycle: today's posts are grouped together with the
# previous day's, so a story that broke yesterday is recognised (and keeps its story id).
STORY_LOOKBACK_DAYS = 1


@dataclass
class RenderedBrief:
    brief: Brief
    subject: str
    html: str
    text: str


def load_inputs(db, config: Config, day: Date) -> BriefInputs:
    tz = config.brief.timezone
    start, end = day_bounds(day, tz)
    base_start, _ = day_bounds(day - timedelta(days=config.brief.baseline_days), tz)
    earlier_start, _ = day_bounds(day - timedelta(days=STORY_LOOKBACK_DAYS), tz)
    posts = queries.posts_between(db, start, end)
    earlier = queries.posts_between(db, earlier_start, start)
    ids = [p["id"] for p in posts + earlier]
    vectors = {pid: np.frombuffer(blob, dtype=np.float32)
               for pid, blob in queries.embeddings_for(db, ids)}
    ml_vectors = {pid: np.frombuffer(blob, dtype=np.float32)
                  for pid, blob in queries.embeddings_for(db, ids, table="ml_embeddings")}
    return BriefInputs(
        date=day, posts=posts,
        history=queries.tagged_dates_between(db, base_start, end),
        market_history=queries.marketplace_dates_between(db, base_start, end),
        health=sources.source_health(db), vectors=vectors, ml_vectors=ml_vectors,
        earlier_posts=earlier,
        activity=queries.source_activity(db, base_start, end), day_end=end,
    )


def render_brief(config: Config, day: Date, language: str) -> RenderedBrief:
    """The brief for `day` in `language`, built from the archive without storing anything
    (the demo's second language)."""
    db = open_archive(config.archive.path)
    try:
        brief = build_brief(load_inputs(db, config, day), list(config.topics), config.brief,
                            language=language)
        # the events as tracked so far (make_brief tracks them; this only reads)
        brief.events = load_cards(db, config, day, language)
        label_stories(brief.sections, brief.events)
    finally:
        db.close()
    return RenderedBrief(brief, brief.subject, render_html(brief), render_text(brief))


def make_brief(config: Config, day: Date) -> RenderedBrief:
    """Build, render and store the brief for `day` (stories grouped and saved, and events
    tracked through `day`, on the way)."""
    db = open_archive(config.archive.path)
    try:
        brief = build_brief(load_inputs(db, config, day), list(config.topics), config.brief)
        with db.atomic():
            save_stories(db, brief.stories)
            update_events(db, config, day)
            brief.events = load_cards(db, config, day, brief.language)
            label_stories(brief.sections, brief.events)
            rendered = RenderedBrief(brief, brief.subject, render_html(brief), render_text(brief))
            runs.save_brief(db, brief.date, rendered.subject, rendered.html, rendered.text)
        return rendered
    finally:
        db.close()


def load_cards(db, config: Config, day: Date, language: str | None = None) -> list[EventCard]:
    """The event cards of the brief for `day`: events under way that day, and those that ended
    since the previous brief (or the day before, when there is none). Topic names in
    `language` (default `[brief] language`)."""
    since = event_rows.previous_brief_date(db, day.isoformat()) or (day - timedelta(days=1)).isoformat()
    rows = event_rows.events_around(db, day.isoformat(), since)
    episodes = [episode_from_row(row) for row in rows]
    topics = localized_topics(config.topics, language or config.brief.language)
    return event_cards(episodes, day.isoformat(), since, {t.id: t.name for t in topics})
