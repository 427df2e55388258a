"""Read queries for the brief, search and reports. Times are ISO-8601 UTC strings."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from sqlite_utils import Database

from crackdown.archive.days import DAY_EXPR
from crackdown.archive.search import SearchSyntaxError, search  # noqa: F401  (re-exported: callers)
from crackdown.archive.tags import EMBEDDING_TABLES


def _dicts(cursor: sqlite3.Cursor) -> list[dict]:
    cols = [c[0] for c in cursor.description]
    return [dict(zip(cols, row)) for row in cursor.fetchall()]


def posts_between(db: Database, start: str, end: str) -> list[dict]:
    """Posts dated in [start, end) with their source, topics (with scores) and marketplaces."""
    posts = _dicts(db.execute(
        f"""SELECT p.id, p.url, p.title, p.body, p.author, p.published_at, p.fetched_at,
                   {DAY_EXPR} AS dated_at, p.lang, p.content_hash, p.story_id, p.origin,
                   p.source_id, s.name AS source_name, s.tier
            FROM posts p JOIN sources s ON s.id = p.source_id
            WHERE {DAY_EXPR} >= ? AND {DAY_EXPR} < ?
            ORDER BY {DAY_EXPR}""", [start, end]))
    _attach_tags_and_marketplaces(db, posts)
    return posts


def tagged_dates_between(db: Database, start: str, end: str) -> list[tuple[str, str, str, int]]:
    """(dated_at, topic, source_id, post_id) for every tag on posts dated in [start, end):
    surge baselines."""
    return db.execute(
        f"""SELECT {DAY_EXPR}, t.topic, p.source_id, p.id FROM posts p JOIN tags t ON t.post_id = p.id
            WHERE {DAY_EXPR} >= ? AND {DAY_EXPR} < ?""", [start, end]).fetchall()


def marketplace_dates_between(db: Database, start: str, end: str) -> list[tuple[str, str, str, int]]:
    """(dated_at, topic, marketplace, post_id) for tagged posts dated in [start, end)."""
    return db.execute(
        f"""SELECT {DAY_EXPR}, t.topic, m.marketplace, p.id FROM posts p
            JOIN tags t ON t.post_id = p.id JOIN marketplaces m ON m.post_id = p.id
            WHERE {DAY_EXPR} >= ? AND {DAY_EXPR} < ?""", [start, end]).fetchall()


def source_activity(db: Database, since: str, end: str) -> dict[str, dict]:
    """Per source: its newest post dated before `end` and how many it has in [since, end) —
    for "went silent" in the brief (index seeks on idx_posts_source_day, no scan)."""
    out = {}
    for (source_id,) in db.execute("SELECT id FROM sources").fetchall():
        last, recent = db.execute(
            f"""SELECT (SELECT MAX({DAY_EXPR}) FROM posts p WHERE p.source_id = ? AND {DAY_EXPR} < ?),
                       (SELECT COUNT(*) FROM posts p WHERE p.source_id = ?
                          AND {DAY_EXPR} >= ? AND {DAY_EXPR} < ?)""",
            [source_id, end, source_id, since, end]).fetchone()
        out[source_id] = {"last_post": last, "recent": recent}
    return out


def _attach_tags_and_marketplaces(db: Database, posts: list[dict]) -> None:
    by_id = {p["id"]: p for p in posts}
    for p in posts:
        p["topics"], p["marketplaces"] = {}, []
    ids = list(by_id)
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        marks = ",".join("?" * len(chunk))
        for post_id, topic, score in db.execute(
                f"SELECT post_id, topic, score FROM tags WHERE post_id IN ({marks})", chunk):
            by_id[post_id]["topics"][topic] = score
        for post_id, market in db.execute(
                f"SELECT post_id, marketplace FROM marketplaces WHERE post_id IN ({marks})", chunk):
            by_id[post_id]["marketplaces"].append(market)


def embeddings_for(db: Database, post_ids: Sequence[int],
                   table: str = "embeddings") -> list[tuple[int, bytes]]:
    """(post id, float32 vector blob) from `embeddings` (English encoder) or `ml_embeddings`."""
    if table not in EMBEDDING_TABLES:
        raise ValueError(f"no embedding table {table!r}")
    out: list[tuple[int, bytes]] = []
    ids = list(post_ids)
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        out += db.execute(f"SELECT post_id, vector FROM {table} WHERE post_id IN "
                          f"({','.join('?' * len(chunk))})", chunk).fetchall()
    return out
