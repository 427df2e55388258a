"""Story rows: groups of posts about one event, linked from `posts.story_id`."""

from __future__ import annotations

from sqlite_utils import Database


def save_stories(db: Database, groups: list[list[dict]]) -> None:
    """Store each group as a story, reusing a story one of its posts already belongs to."""
    for group in groups:
        existing = [p["story_id"] for p in group if p.get("story_id")]
        dates = sorted(p["dated_at"] for p in group if p.get("dated_at"))
        title = group[0]["title"]
        if existing:
            story_id = min(existing)
            db.execute("UPDATE stories SET last_seen = MAX(last_seen, ?) WHERE id = ?",
                       [dates[-1], story_id])
        else:
            story_id = db.execute(
                "INSERT INTO stories (title, first_seen, last_seen, size) VALUES (?, ?, ?, 0)",
                [title, dates[0], dates[-1]]).lastrowid
        ids = [p["id"] for p in group]
        db.execute(f"UPDATE posts SET story_id = ? WHERE id IN ({','.join('?' * len(ids))})",
                   [story_id, *ids])
        db.execute("UPDATE stories SET size = (SELECT COUNT(*) FROM posts WHERE story_id = ?) "
                   "WHERE id = ?", [story_id, story_id])
