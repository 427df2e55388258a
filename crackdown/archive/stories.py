"""Story rows: groups of posts about one event, linked from `posts.story_id`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlite_utils import Database

from crackdown.archive.days import DAY_EXPR


def save_stories(db: Database, groups: list[list[dict]]) -> None:
    """Store each group as a story, and keep every story it touches true to its posts.

    Grouping is redone each run, so posts can leave a stored story. A group keeps the stored
    story that holds most of its posts (the older id on a tie), and each stored story goes to
    one group at most, so two groups a later run split apart stay apart. Every story that gained
    or lost posts is recounted afterwards; one left without posts is deleted.
    """
    current = _story_ids(db, [p["id"] for g in groups for p in g])
    claims = sorted((-count, story_id, n) for n, group in enumerate(groups)
                    for story_id, count in Counter(current[p["id"]] for p in group
                                                   if current.get(p["id"])).items())
    kept: dict[int, int] = {}
    for _, story_id, n in claims:
        if n not in kept and story_id not in kept.values():
            kept[n] = story_id
    touched = {sid for sid in current.values() if sid}
    for n, group in enumerate(groups):
        story_id = kept.get(n)
        if story_id is None:
            dates = sorted(p["dated_at"] for p in group if p.get("dated_at"))
            story_id = db.execute(
                "INSERT INTO stories (title, first_seen, last_seen, size) VALUES (?, ?, ?, 0)",
                [group[0]["title"], dates[0] if dates else "", dates[-1] if dates else ""]).lastrowid
        ids = [p["id"] for p in group]
        db.execute(f"UPDATE posts SET story_id = ? WHERE id IN ({','.join('?' * len(ids))})",
                   [story_id, *ids])
        touched.add(story_id)
    refresh_stories(db, touched)


def refresh_stories(db: Database, story_ids: Iterable[int]) -> None:
    """Set each story's size and first/last dates from the posts that point at it now; delete
    the ones no post points at (a story never shows empty)."""
    for story_id in sorted(set(story_ids)):
        size, first, last = db.execute(
            # INDEXED BY: statistics taken before stories existed (every story_id NULL) make
            # the planner scan all posts here, 77 scans took 41 s of a brief at 1M posts
            f"SELECT COUNT(*), MIN({DAY_EXPR}), MAX({DAY_EXPR}) FROM posts p "
            "INDEXED BY idx_posts_story WHERE p.story_id = ?",
            [story_id]).fetchone()
        if size:
            db.execute("UPDATE stories SET size = ?, first_seen = ?, last_seen = ? WHERE id = ?",
                       [size, first, last, story_id])
        else:
            db.execute("DELETE FROM stories WHERE id = ?", [story_id])


def _story_ids(db: Database, post_ids: list[int]) -> dict[int, int | None]:
    """Post id → the story it is stored in now (read here, not from the caller's rows, which were
    loaded before this run changed anything)."""
    out: dict[int, int | None] = {}
    for i in range(0, len(post_ids), 500):
        chunk = post_ids[i:i + 500]
        out.update(db.execute(f"SELECT id, story_id FROM posts WHERE id IN "
                              f"({','.join('?' * len(chunk))})", chunk).fetchall())
    return out
