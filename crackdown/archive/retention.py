"""Retention: export posts as JSON lines, and prune old ones (briefs are kept).

A post carries its source, topics (with scores), marketplaces and the user's corrections, so an
export taken before `prune` keeps everything a person decided about a post.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from sqlite_utils import Database

from crackdown.archive.days import DAY_EXPR, day_window

log = logging.getLogger(__name__)

BATCH = 1000


def _window(since: str | None, until: str | None) -> tuple[str, list[str]]:
    clauses, params = day_window(since, until)
    return " AND ".join(["1", *clauses]), params


def export_posts(db: Database, *, since: str | None = None,
                 until: str | None = None) -> Iterator[dict]:
    """Posts dated in [since, until), oldest id first, one dict per post (streams in batches)."""
    where, params = _window(since, until)
    last = 0
    while True:
        cursor = db.execute(
            f"""SELECT p.id, p.url, p.source_id, s.name AS source_name, s.tier, p.title, p.body,
                       p.author, p.published_at, p.fetched_at, {DAY_EXPR} AS dated_at, p.lang,
                       p.content_hash, p.story_id, p.guid, p.origin
                FROM posts p LEFT JOIN sources s ON s.id = p.source_id
                WHERE {where} AND p.id > ? ORDER BY p.id LIMIT ?""", [*params, last, BATCH])
        cols = [c[0] for c in cursor.description]
        rows = [dict(zip(cols, r)) for r in cursor.fetchall()]
        if not rows:
            return
        _attach(db, rows)
        yield from rows
        last = rows[-1]["id"]


def _attach(db: Database, rows: list[dict]) -> None:
    by_id = {r["id"]: r for r in rows}
    for r in rows:
        r["topics"], r["marketplaces"], r["labels"] = {}, [], []
    marks = ",".join("?" * len(by_id))
    ids = list(by_id)
    for post_id, topic, score in db.execute(
            f"SELECT post_id, topic, score FROM tags WHERE post_id IN ({marks}) ORDER BY topic", ids):
        by_id[post_id]["topics"][topic] = score
    for post_id, market in db.execute(
            f"SELECT post_id, marketplace FROM marketplaces WHERE post_id IN ({marks}) "
            "ORDER BY marketplace", ids):
        by_id[post_id]["marketplaces"].append(market)
    for post_id, topic, value, created in db.execute(
            f"SELECT post_id, topic, value, created_at FROM labels WHERE post_id IN ({marks}) "
            "ORDER BY id", ids):
        by_id[post_id]["labels"].append({"topic": topic, "value": value, "created_at": created})


def write_jsonl(rows: Iterator[dict], out) -> int:
    n = 0
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        n += 1
    return n


@dataclass(frozen=True)
class PruneReport:
    posts: int
    stories: int
    bytes_before: int
    bytes_after: int


def prune_before(db: Database, before: str, *, vacuum: bool = True) -> PruneReport:
    """Delete posts dated before `before` with everything derived from them, then VACUUM.

    Tags, classifications, embeddings, marketplaces and labels go by ON DELETE CASCADE (the
    archive opens with foreign_keys=ON); the FTS indexes follow by trigger; stories left without
    posts go too. Briefs are kept: they are what was sent.
    """
    size = _file_bytes(db)
    with db.conn:
        db.execute("BEGIN")
        posts = db.execute(f"DELETE FROM posts AS p WHERE {DAY_EXPR} < ?", [before]).rowcount
        stories = db.execute("DELETE FROM stories WHERE id NOT IN "
                             "(SELECT story_id FROM posts WHERE story_id IS NOT NULL)").rowcount
        if "embedding_index" in db.table_names():
            db.execute("DELETE FROM embedding_index")   # rebuilt by the next `similar`
    log.info("pruned %d posts and %d stories dated before %s", posts, stories, before)
    if vacuum:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("VACUUM")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return PruneReport(posts, stories, size, _file_bytes(db))


def _file_bytes(db: Database) -> int:
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    return pages * db.execute("PRAGMA page_size").fetchone()[0]
