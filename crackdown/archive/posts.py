"""Post rows: saving crawled posts (keeping everything derived from them) and their marketplaces."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlite_utils import Database

POST_FIELDS = ("url", "source_id", "title", "body", "author", "published_at", "fetched_at",
               "lang", "content_hash", "guid", "origin")


def known_urls(db: Database, urls: Iterable[str]) -> set[str]:
    """Which of `urls` the archive already holds (so the crawler can skip article pages)."""
    urls = list(urls)
    found: set[str] = set()
    for i in range(0, len(urls), 500):
        chunk = urls[i:i + 500]
        marks = ",".join("?" * len(chunk))
        found.update(r[0] for r in db.execute(f"SELECT url FROM posts WHERE url IN ({marks})", chunk))
    return found


def save_post(db: Database, post: dict[str, Any]) -> tuple[int, bool]:
    """Insert a post, or update it in place when its URL is already archived.

    Returns (post id, inserted?). An update keeps the row id, so tags, labels, embeddings and
    the story link survive; when the text changed, the post is queued for re-classification.
    `fetched_at` keeps the first sighting.
    """
    row = db.execute("SELECT id, content_hash FROM posts WHERE url = ?", [post["url"]]).fetchone()
    values = [post.get(f) for f in POST_FIELDS]
    if row is None:
        cursor = db.execute(
            f"INSERT INTO posts ({', '.join(POST_FIELDS)}) VALUES ({', '.join('?' * len(POST_FIELDS))})",
            values,
        )
        return cursor.lastrowid, True
    post_id, old_hash = row
    if old_hash != post.get("content_hash"):
        db.execute(
            """UPDATE posts SET title = ?, body = ?, author = COALESCE(?, author),
                   published_at = COALESCE(?, published_at), lang = COALESCE(?, lang),
                   content_hash = ? WHERE id = ?""",
            [post.get("title"), post.get("body"), post.get("author"), post.get("published_at"),
             post.get("lang"), post.get("content_hash"), post_id],
        )
        db.execute("DELETE FROM classifications WHERE post_id = ?", [post_id])
    return post_id, False


def syndicated_copies(db: Database, post_id: int) -> list[int]:
    """Other posts with the same text under another URL (a wire story republished), oldest first."""
    return [r[0] for r in db.execute(
        """SELECT other.id FROM posts AS this
           JOIN posts AS other ON other.content_hash = this.content_hash AND other.id != this.id
           WHERE this.id = ? ORDER BY other.id""", [post_id])]


def set_marketplaces(db: Database, post_id: int, marketplaces: Iterable[str]) -> None:
    db.execute("DELETE FROM marketplaces WHERE post_id = ?", [post_id])
    for m in sorted(set(marketplaces)):
        db.execute("INSERT INTO marketplaces (post_id, marketplace) VALUES (?, ?)", [post_id, m])


def get_post(db: Database, post_id: int) -> dict | None:
    cursor = db.execute("SELECT * FROM posts WHERE id = ?", [post_id])
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([c[0] for c in cursor.description], row))


def titles_and_bodies(db: Database, post_ids: Sequence[int]) -> list[tuple[int, str, str]]:
    """(id, title, body) of each post in `post_ids` that exists, in the order given."""
    if not post_ids:
        return []
    marks = ",".join("?" * len(post_ids))
    found = {row[0]: row for row in db.execute(
        f"SELECT id, title, body FROM posts WHERE id IN ({marks})", list(post_ids)).fetchall()}
    return [found[i] for i in post_ids if i in found]


def count_posts(db: Database) -> int:
    return db.execute("SELECT COUNT(*) FROM posts").fetchone()[0]
