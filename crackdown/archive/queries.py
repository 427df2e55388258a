"""Read queries for the brief, search and reports. Times are ISO-8601 UTC strings."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from sqlite_utils import Database

DAY_EXPR = "COALESCE(p.published_at, p.fetched_at)"


class SearchSyntaxError(ValueError):
    """The full-text query could not be parsed by FTS5."""


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


def tagged_dates_between(db: Database, start: str, end: str) -> list[tuple[str, str, str]]:
    """(dated_at, topic, source_id) for every tag on posts dated in [start, end): surge baselines."""
    return db.execute(
        f"""SELECT {DAY_EXPR}, t.topic, p.source_id FROM posts p JOIN tags t ON t.post_id = p.id
            WHERE {DAY_EXPR} >= ? AND {DAY_EXPR} < ?""", [start, end]).fetchall()


def marketplace_dates_between(db: Database, start: str, end: str) -> list[tuple[str, str, str]]:
    """(dated_at, topic, marketplace) for tagged posts dated in [start, end)."""
    return db.execute(
        f"""SELECT {DAY_EXPR}, t.topic, m.marketplace FROM posts p
            JOIN tags t ON t.post_id = p.id JOIN marketplaces m ON m.post_id = p.id
            WHERE {DAY_EXPR} >= ? AND {DAY_EXPR} < ?""", [start, end]).fetchall()


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


def search(db: Database, query: str, *, topics: Sequence[str] = (), marketplaces: Sequence[str] = (),
           sources: Sequence[str] = (), since: str | None = None, until: str | None = None,
           limit: int = 20, sort: str = "relevance") -> list[dict]:
    """Full-text search (FTS5 syntax) with filters; ranked by bm25 or by date, newest first."""
    where, params = ["posts_fts MATCH ?"], [query]
    if topics:
        where.append(f"p.id IN (SELECT post_id FROM tags WHERE topic IN ({','.join('?' * len(topics))}))")
        params += list(topics)
    if marketplaces:
        where.append("p.id IN (SELECT post_id FROM marketplaces WHERE marketplace IN "
                     f"({','.join('?' * len(marketplaces))}))")
        params += list(marketplaces)
    if sources:
        where.append(f"p.source_id IN ({','.join('?' * len(sources))})")
        params += list(sources)
    if since:
        where.append(f"{DAY_EXPR} >= ?")
        params.append(since)
    if until:
        where.append(f"{DAY_EXPR} < ?")
        params.append(until)
    order = f"{DAY_EXPR} DESC" if sort == "date" else "rank"
    sql = f"""SELECT p.id, p.url, p.title, {DAY_EXPR} AS dated_at, p.source_id, p.lang,
                     snippet(posts_fts, -1, '[', ']', ' … ', 12) AS snippet,
                     (SELECT group_concat(topic, ',') FROM tags WHERE post_id = p.id) AS topics,
                     (SELECT group_concat(marketplace, ',') FROM marketplaces
                        WHERE post_id = p.id) AS marketplaces,
                     posts_fts.rank AS rank
              FROM posts_fts JOIN posts p ON p.rowid = posts_fts.rowid
              WHERE {' AND '.join(where)}
              ORDER BY {order} LIMIT ?"""
    try:
        return _dicts(db.execute(sql, [*params, limit]))
    except sqlite3.OperationalError as exc:
        message = str(exc)
        if any(word in message for word in ("locked", "disk", "readonly", "no such table")):
            raise
        raise SearchSyntaxError(message) from exc  # fts5 syntax, unterminated string, bad column


def embeddings_for(db: Database, post_ids: Sequence[int]) -> list[tuple[int, bytes]]:
    out: list[tuple[int, bytes]] = []
    ids = list(post_ids)
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        out += db.execute(f"SELECT post_id, vector FROM embeddings WHERE post_id IN "
                          f"({','.join('?' * len(chunk))})", chunk).fetchall()
    return out
