"""Datasette metadata for the archive: titles, descriptions and canned queries.

Datasette reads metadata from a file, never from inside the database, so plain
`datasette archive.db` gets full-text search (it finds `posts_fts` by itself) but not these
titles and queries. `crackdown datasette-metadata` writes them to `metadata.json` beside the
archive, which `datasette DIR` (configuration-directory mode) or `datasette archive.db -m
metadata.json` picks up.
"""

from __future__ import annotations

import json
from pathlib import Path

from crackdown.archive.days import DAY_EXPR as DAY

LATEST_BRIEF = """SELECT date, subject, generated_at, sent_at, recipients, text
FROM briefs
WHERE date = COALESCE(NULLIF(:date, ''), (SELECT MAX(date) FROM briefs))"""

# The brief's own surge test is a Poisson tail (crackdown/surge_stats.py); SQL has no Poisson, so this
# query flags the same shape by ratio: >= 3 posts and >= 3x the previous 14 days' mean.
SURGES = f"""WITH daily AS (
  SELECT substr({DAY}, 1, 10) AS day, t.topic, COUNT(*) AS posts,
         COUNT(DISTINCT p.source_id) AS sources
  FROM posts p JOIN tags t ON t.post_id = p.id
  WHERE {DAY} >= date(COALESCE(NULLIF(:since, ''), date('now', '-90 days')), '-14 days')
  GROUP BY day, t.topic
), scored AS (
  SELECT day, topic, posts, sources,
         COALESCE(SUM(posts) OVER (PARTITION BY topic ORDER BY julianday(day)
                  RANGE BETWEEN 14 PRECEDING AND 1 PRECEDING), 0) / 14.0 AS baseline_mean
  FROM daily
)
SELECT day, topic, posts, sources, round(baseline_mean, 2) AS baseline_mean,
       round(posts / max(baseline_mean, 1 / 14.0), 1) AS ratio
FROM scored
WHERE day >= COALESCE(NULLIF(:since, ''), date('now', '-90 days'))
  AND posts >= 3 AND posts >= 3 * baseline_mean
ORDER BY day DESC, posts DESC"""

TOPIC_HISTORY = f"""SELECT substr({DAY}, 1, 10) AS day, COUNT(*) AS posts,
       COUNT(DISTINCT p.source_id) AS sources, group_concat(DISTINCT p.source_id) AS source_ids
FROM tags t JOIN posts p ON p.id = t.post_id
WHERE t.topic = :topic
GROUP BY day ORDER BY day DESC"""

FIRST_REPORTS = f"""SELECT {DAY} AS dated_at, s.name AS source, s.tier, p.title, p.url
FROM tags t JOIN posts p ON p.id = t.post_id JOIN sources s ON s.id = p.source_id
WHERE t.topic = :topic AND {DAY} >= :since
ORDER BY {DAY} LIMIT 20"""

EVENTS = """SELECT id, topic, marketplace, start_day AS flagged, first_day, end_day, status, posts,
       sources, peak_day, peak_count, first_post_at, first_post_source, first_post_tier,
       first_media_at, first_official_at, first_official_source, parties
FROM events
WHERE (COALESCE(:topic, '') = '' OR topic = :topic)
  AND (COALESCE(:since, '') = '' OR end_day IS NULL OR end_day >= :since)
ORDER BY start_day DESC, posts DESC"""

TABLES = {
    "posts": ("Posts", "Every crawled item: canonical URL, title, text, source, dates (ISO-8601 "
              "UTC). The search box uses posts_fts (FTS5: \"phrase\", OR, NOT, prefix*)."),
    "tags": ("Topics", "One row per enforcement topic a post carries, with the classifier's score."),
    "sources": ("Sources", "Configured feeds and forums with their health."),
    "marketplaces": ("Marketplaces", "Which marketplaces each post is about."),
    "stories": ("Stories", "Posts about the same event, grouped."),
    "briefs": ("Briefs", "Every daily brief built, as HTML and text, with when it was sent."),
    "labels": ("Corrections", "Topic corrections made with `crackdown label`; the latest wins."),
    "classifications": ("Classifications", "All topic scores of every classified post."),
    "runs": ("Runs", "Each `crackdown run`: status, stats and error."),
    "embeddings": ("Embeddings", "384-d float32 sentence embeddings (English posts)."),
    "ml_embeddings": ("Multilingual embeddings", "384-d float32 multilingual-e5-small embeddings of "
                      "a post's title and body start, for the posts a cross-language story link "
                      "can reach."),
    "posts_trigram": ("Chinese text index", "Trigram FTS5 over posts with Chinese characters."),
    "tagged_posts": ("Tagged posts", "Posts joined with their topics and source."),
    "daily_topic_counts": ("Daily topic counts", "Posts and sources per UTC day and topic."),
    "events": ("Events", "Enforcement waves followed across days: a topic on a marketplace from its "
               "first surge to its end, with first posts by tier, per-day counts and named parties."),
    "event_stories": ("Event stories", "The stories each event contains (titles kept as history)."),
}
HIDDEN = ("embedding_index", "_sqlite_migrations", "event_days")


def metadata(database: str = "archive") -> dict:
    """Datasette metadata for an archive served under the name `database` (its file stem)."""
    tables = {name: {"title": title, "description": text} for name, (title, text) in TABLES.items()}
    tables["posts"].update({"sort_desc": "published_at", "searchmode": "raw"})
    tables.update({name: {"hidden": True} for name in HIDDEN})
    return {
        "title": "Crackdown archive",
        "description": "Marketplace-enforcement news: posts, topics, surges and daily briefs.",
        "databases": {database: {
            "tables": tables,
            "queries": {
                "latest_brief": {"title": "Today's brief", "sql": LATEST_BRIEF,
                                 "description": "The brief for :date (blank: the latest one)."},
                "surges": {"title": "Surges", "sql": SURGES,
                           "description": "Days a topic had >= 3 posts and >= 3x its previous "
                                          "14-day mean, since :since (blank: the last 90 days). "
                                          "`crackdown timeline` applies the brief's exact test."},
                "topic_history": {"title": "A topic's history", "sql": TOPIC_HISTORY,
                                  "description": "Posts per UTC day for :topic (e.g. verification)."},
                "first_reports": {"title": "Who reported it first", "sql": FIRST_REPORTS,
                                  "description": "The first 20 posts on :topic since :since "
                                                 "(YYYY-MM-DD)."},
                "events": {"title": "Events", "sql": EVENTS,
                           "description": "Enforcement waves, newest first: for :topic (blank: "
                                          "all), under way on or after :since (blank: any)."},
            },
        }},
    }


def write_metadata(archive: Path, out: Path | None = None) -> Path:
    """Write metadata.json beside the archive (or to `out`); return its path."""
    out = out or Path(archive).with_name("metadata.json")
    out.write_text(json.dumps(metadata(Path(archive).stem), indent=2, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    return out
