"""Which posts a cross-language story link can reach, so that only they need a multilingual vector.

Story grouping (reports/stories.py) links a Chinese post to a post in another language only when
the two share a topic and are dated within `WINDOW_HOURS` of each other. A post with no partner
across that line never uses its multilingual vector, and reading one costs an encoder pass: an
English post read only by the English encoder would need a second encoder, a long Chinese or
German post a second, shorter reading (the vector is the post's opening, the classifier read more).
On an English-only day none is read. A post that arrives later reaches back to its partners of the
day before, which are then read in that later run.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlite_utils import Database

from crackdown.archive.days import DAY_EXPR

WINDOW_HOURS = 24.0   # a Chinese post links to other-language coverage of the same news cycle
_HAN = re.compile(r"[\u4e00-\u9fff]")


def is_chinese(lang: str | None, title: str | None) -> bool:
    """A post story grouping treats as Chinese: in Chinese by its language, or titled in Han."""
    return (lang or "").startswith("zh") or bool(_HAN.search(title or ""))


def hours(iso: str | None) -> float | None:
    """Hours since the epoch of an ISO timestamp (None when it has none or cannot be read)."""
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso).timestamp() / 3600.0
    except ValueError:
        return None


def posts_needing_ml_vectors(db: Database, post_ids: Iterable[int]) -> list[int]:
    """Tagged posts without a multilingual vector that share a topic with a tagged post across the
    Chinese/non-Chinese line dated within WINDOW_HOURS, where one of the two is in `post_ids` (the
    posts just classified). Ordered by id. Both posts of such a pair are returned when neither has
    a vector, since the link needs both."""
    new = set(post_ids)
    if not new:
        return []
    posts = _tagged_posts_near(db, new)
    # By (side, topic), the side being whether the posts are Chinese: the hours of its posts, of
    # those just classified, and whether its undated posts are new.
    dated: dict[tuple[bool, str], list[float]] = defaultdict(list)
    dated_new: dict[tuple[bool, str], list[float]] = defaultdict(list)
    undated: dict[tuple[bool, str], set[bool]] = defaultdict(set)
    for post in posts:
        for topic in post["topics"]:
            key = (post["chinese"], topic)
            if post["at"] is None:
                undated[key].add(post["new"])
            else:
                dated[key].append(post["at"])
                if post["new"]:
                    dated_new[key].append(post["at"])
    for values in (*dated.values(), *dated_new.values()):
        values.sort()

    def has_partner(post: dict) -> bool:
        """A new post may pair with any post across the line; an older one only with a new one
        (older pairs were settled when the later of the two was classified)."""
        for topic in post["topics"]:
            across = (not post["chinese"], topic)
            if post["new"]:
                if undated[across] or _any_within(dated[across], post["at"]):
                    return True
            elif True in undated[across] or _any_within(dated_new[across], post["at"]):
                return True
        return False

    return sorted(p["id"] for p in posts if not p["has_ml_vector"] and has_partner(p))


def _any_within(sorted_hours: list[float], at: float | None) -> bool:
    """Whether some value lies within WINDOW_HOURS of `at` (an undated post is near every post,
    as story grouping has it)."""
    if not sorted_hours:
        return False
    if at is None:
        return True
    k = bisect_left(sorted_hours, at - WINDOW_HOURS)
    return k < len(sorted_hours) and sorted_hours[k] <= at + WINDOW_HOURS


def _tagged_posts_near(db: Database, new: set[int]) -> list[dict]:
    """Tagged posts dated from two days before the earliest of `new` to two days after the
    latest (whole dates, wide enough for any time-zone offset; the caller compares hours)."""
    db.execute("CREATE TEMP TABLE IF NOT EXISTS cross_language_new (id INTEGER PRIMARY KEY)")
    db.execute("DELETE FROM cross_language_new")
    db.conn.executemany("INSERT INTO cross_language_new (id) VALUES (?)", [(i,) for i in new])
    # CROSS JOIN keeps the new ids as the outer loop: SQLite has no statistics on a temp table and
    # would otherwise scan every post (0.4 s at a million posts, against 0.5 ms).
    first, last = db.execute(f"""SELECT MIN({DAY_EXPR}), MAX({DAY_EXPR}) FROM cross_language_new n
                                 CROSS JOIN posts p ON p.id = n.id""").fetchone()
    if first is None:
        return []
    # Bounds on the date part only (timestamps may carry any offset); the hours decide exactly.
    try:
        since = (datetime.fromisoformat(first[:10]) - timedelta(days=2)).date().isoformat()
        until = (datetime.fromisoformat(last[:10]) + timedelta(days=3)).date().isoformat()
    except ValueError:   # a date the archive cannot read: look at every tagged post
        since, until = "", "\uffff"
    rows = db.execute(f"""
        SELECT p.id, {DAY_EXPR}, p.lang, p.title, group_concat(t.topic, char(31)),
               m.post_id IS NOT NULL, n.id IS NOT NULL
        FROM posts p JOIN tags t ON t.post_id = p.id
        LEFT JOIN ml_embeddings m ON m.post_id = p.id
        LEFT JOIN cross_language_new n ON n.id = p.id
        WHERE {DAY_EXPR} >= ? AND {DAY_EXPR} < ?
        GROUP BY p.id""", [since, until]).fetchall()
    db.execute("DELETE FROM cross_language_new")
    return [{"id": pid, "at": hours(day), "chinese": is_chinese(lang, title),
             "topics": set(topics.split("\x1f")), "has_ml_vector": bool(has), "new": bool(is_new)}
            for pid, day, lang, title, topics, has, is_new in rows]
