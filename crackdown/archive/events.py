"""Event rows (`events`, `event_stories`, `event_days`): enforcement waves followed across days.

The tracking rules live in reports/events.py; this module only reads the posts they need and
stores what they decide. An event row carries copies of everything shown about it (first posts,
per-day counts, parties, story titles), so it stays readable after `prune` removes its posts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlite_utils import Database

from crackdown.archive import utcnow
from crackdown.archive.days import DAY_EXPR

EVENT_COLUMNS = (
    "topic", "marketplace", "start_day", "first_day", "last_day", "last_active_day", "end_day",
    "status", "baseline_mean", "peak_day", "peak_count", "posts", "sources",
    "first_post_at", "first_post_source", "first_post_tier", "first_post_title", "first_post_url",
    "first_media_at", "first_media_source", "first_media_title", "first_media_url",
    "first_official_at", "first_official_source", "first_official_title", "first_official_url",
    "parties", "daily",
)


def tracked_days(db: Database) -> tuple[str | None, str | None]:
    """(first, last) day the tracker has stepped through, or (None, None)."""
    return tuple(db.execute("SELECT MIN(day), MAX(day) FROM event_days").fetchone())


def mark_tracked(db: Database, days: Iterable[str]) -> None:
    now = utcnow()
    db.conn.executemany("INSERT OR IGNORE INTO event_days (day, updated_at) VALUES (?, ?)",
                   [(d, now) for d in days])


def first_post_at(db: Database) -> str | None:
    """When the archive's oldest post is dated (an index seek on idx_posts_day)."""
    return db.execute(f"SELECT MIN({DAY_EXPR}) FROM posts p").fetchone()[0]


def tagged_market_rows(db: Database, start: str, end: str) -> list[tuple[str, str, str, str, int]]:
    """(dated_at, topic, marketplace, source_id, post_id) for tagged posts dated in [start, end)."""
    return db.execute(
        f"""SELECT {DAY_EXPR}, t.topic, m.marketplace, p.source_id, p.id FROM posts p
            JOIN tags t ON t.post_id = p.id JOIN marketplaces m ON m.post_id = p.id
            WHERE {DAY_EXPR} >= ? AND {DAY_EXPR} < ?""", [start, end]).fetchall()


def tagged_market_day_counts(db: Database, start: str, end: str) -> list[tuple[str, str, str, int, str]]:
    """(UTC day, topic, marketplace, distinct posts, comma-joined distinct source ids) for tagged
    posts dated in [start, end): the tracker's series, aggregated in SQL when days are UTC."""
    return db.execute(
        f"""SELECT substr({DAY_EXPR}, 1, 10) AS day, t.topic, m.marketplace, COUNT(DISTINCT p.id),
                   group_concat(DISTINCT p.source_id)
            FROM posts p JOIN tags t ON t.post_id = p.id JOIN marketplaces m ON m.post_id = p.id
            WHERE {DAY_EXPR} >= ? AND {DAY_EXPR} < ?
            GROUP BY day, t.topic, m.marketplace""", [start, end]).fetchall()


def episode_posts(db: Database, topic: str, marketplace: str, start: str, end: str) -> list[dict]:
    """The posts of one topic × marketplace dated in [start, end), oldest first, with what an
    event keeps of them."""
    cur = db.execute(
        f"""SELECT p.id, {DAY_EXPR} AS dated_at, p.title, substr(p.body, 1, 400) AS body, p.url,
                   p.source_id, s.name AS source_name, s.tier, p.story_id, st.title AS story_title,
                   st.first_seen AS story_first_seen
            FROM posts p JOIN tags t ON t.post_id = p.id AND t.topic = ?
            JOIN marketplaces m ON m.post_id = p.id AND m.marketplace = ?
            JOIN sources s ON s.id = p.source_id
            LEFT JOIN stories st ON st.id = p.story_id
            WHERE {DAY_EXPR} >= ? AND {DAY_EXPR} < ?
            ORDER BY {DAY_EXPR}, p.id""", [topic, marketplace, start, end])
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, row)) for row in cur.fetchall()]


def save_event(db: Database, row: dict, stories: list[dict] | None = None) -> int:
    """Insert or update the event identified by (topic, marketplace, start_day); with
    `stories`, replace its story list. Returns its id."""
    values = [json.dumps(row[c], ensure_ascii=False) if c in ("parties", "daily") else row.get(c)
              for c in EVENT_COLUMNS]
    cols = ", ".join(EVENT_COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in EVENT_COLUMNS[3:])
    db.execute(f"""INSERT INTO events ({cols}, updated_at) VALUES ({', '.join('?' * len(values))}, ?)
                   ON CONFLICT (topic, marketplace, start_day) DO UPDATE SET {updates},
                   updated_at = excluded.updated_at""", [*values, utcnow()])
    event_id = db.execute("SELECT id FROM events WHERE topic = ? AND marketplace = ? AND start_day = ?",
                          [row["topic"], row["marketplace"], row["start_day"]]).fetchone()[0]
    if stories is not None:
        db.execute("DELETE FROM event_stories WHERE event_id = ?", [event_id])
        db.conn.executemany("INSERT INTO event_stories (event_id, story_id, title, first_seen, posts) "
                       "VALUES (?, ?, ?, ?, ?)",
                       [(event_id, s["story_id"], s["title"], s.get("first_seen"), s["posts"])
                        for s in stories])
    return event_id


def _rows(db: Database, where: str = "", params: list | None = None, order: str = "") -> list[dict]:
    cur = db.execute(f"SELECT * FROM events {where} {order or 'ORDER BY start_day, topic, marketplace'}",
                     params or [])
    cols = [c[0] for c in cur.description]
    out = []
    for row in cur.fetchall():
        d = dict(zip(cols, row))
        d["parties"], d["daily"] = json.loads(d["parties"]), json.loads(d["daily"])
        out.append(d)
    return out


def open_events(db: Database) -> list[dict]:
    return _rows(db, "WHERE end_day IS NULL")


def last_end_days(db: Database) -> dict[tuple[str, str], str]:
    """(topic, marketplace) → the end day of its latest finished event (a run-up stops there)."""
    return {(t, m): d for t, m, d in db.execute(
        "SELECT topic, marketplace, MAX(end_day) FROM events WHERE end_day IS NOT NULL "
        "GROUP BY topic, marketplace")}


def events_around(db: Database, day: str, since_end: str) -> list[dict]:
    """Events under way on `day` (begun by then, not over before it) and those that ended in
    (since_end, day]: what a brief for `day` shows."""
    return _rows(db, "WHERE first_day <= ? AND (end_day IS NULL OR end_day > ?)", [day, since_end])


def list_events(db: Database, *, active: bool = False, topic: str | None = None,
                marketplace: str | None = None, since: str | None = None) -> list[dict]:
    where, params = [], []
    if active:
        where.append("end_day IS NULL")
    if topic:
        where.append("topic = ?")
        params.append(topic)
    if marketplace:
        where.append("marketplace = ?")
        params.append(marketplace)
    if since:
        where.append("(end_day IS NULL OR end_day >= ?)")
        params.append(since)
    return _rows(db, ("WHERE " + " AND ".join(where)) if where else "", params,
                 "ORDER BY start_day DESC, posts DESC")


def get_event(db: Database, event_id: int) -> dict | None:
    rows = _rows(db, "WHERE id = ?", [event_id])
    if not rows:
        return None
    cur = db.execute("SELECT story_id, title, first_seen, posts FROM event_stories "
                     "WHERE event_id = ? ORDER BY first_seen, story_id", [event_id])
    rows[0]["stories"] = [dict(zip(("story_id", "title", "first_seen", "posts"), r))
                          for r in cur.fetchall()]
    return rows[0]


def previous_brief_date(db: Database, day: str) -> str | None:
    return db.execute("SELECT MAX(date) FROM briefs WHERE date < ?", [day]).fetchone()[0]
