"""Classifier output (tags, per-post scores, embeddings) and user corrections (labels)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
from sqlite_utils import Database

from crackdown.archive import utcnow


def posts_to_classify(db: Database, model_version: str, everything: bool = False,
                      batch: int = 256) -> Iterator[list[dict]]:
    """Batches of posts lacking a classification by `model_version` (all posts if `everything`)."""
    if everything:
        sql = "SELECT id, title, body, lang, source_id FROM posts WHERE id > ? ORDER BY id LIMIT ?"
        params: list = []
    else:
        sql = """SELECT p.id, p.title, p.body, p.lang, p.source_id FROM posts p
                 LEFT JOIN classifications c ON c.post_id = p.id AND c.model_version = ?
                 WHERE c.post_id IS NULL AND p.id > ? ORDER BY p.id LIMIT ?"""
        params = [model_version]
    last = 0
    while True:
        rows = db.execute(sql, [*params, last, batch]).fetchall()
        if not rows:
            return
        yield [dict(zip(("id", "title", "body", "lang", "source_id"), r)) for r in rows]
        last = rows[-1][0]


def save_classification(db: Database, post_id: int, model_version: str, scores: dict[str, float],
                        labels: Iterable[str], method: str) -> None:
    """Replace a post's tags with `labels`, and record that it was classified (even with none)."""
    db.execute("DELETE FROM tags WHERE post_id = ?", [post_id])
    for topic in labels:
        db.execute(
            "INSERT INTO tags (post_id, topic, score, method, model_version) VALUES (?, ?, ?, ?, ?)",
            [post_id, topic, round(float(scores.get(topic, 1.0)), 4), method, model_version],
        )
    db.execute(
        """INSERT INTO classifications (post_id, model_version, classified_at, scores)
           VALUES (?, ?, ?, ?) ON CONFLICT(post_id) DO UPDATE SET model_version = excluded.model_version,
           classified_at = excluded.classified_at, scores = excluded.scores""",
        [post_id, model_version, utcnow(),
         json.dumps({k: round(float(v), 4) for k, v in scores.items()}, sort_keys=True)],
    )


EMBEDDING_TABLES = ("embeddings", "ml_embeddings")   # the English encoder's; the multilingual one's


def save_embeddings(db: Database, post_ids: Sequence[int], vectors: np.ndarray, encoder: str,
                    table: str = "embeddings") -> None:
    if table not in EMBEDDING_TABLES:
        raise ValueError(f"no embedding table {table!r}")
    vectors = np.asarray(vectors, dtype=np.float32)
    for post_id, vec in zip(post_ids, vectors):
        db.execute(
            f"""INSERT INTO {table} (post_id, encoder, dim, vector) VALUES (?, ?, ?, ?)
               ON CONFLICT(post_id) DO UPDATE SET encoder = excluded.encoder, dim = excluded.dim,
               vector = excluded.vector""",
            [post_id, encoder, int(vec.shape[0]), vec.tobytes()],
        )


def add_label(db: Database, post_id: int, positive: Iterable[str], all_topics: Iterable[str]) -> None:
    """Record a correction: `positive` are the post's true topics, every other topic is false."""
    positive = set(positive)
    now = utcnow()
    with db.atomic():
        for topic in all_topics:
            db.execute("INSERT INTO labels (post_id, topic, value, created_at) VALUES (?, ?, ?, ?)",
                       [post_id, topic, int(topic in positive), now])


def corrections(db: Database) -> dict[int, set[str]]:
    """The latest correction per post: post id → its true topics (possibly empty)."""
    rows = db.execute(
        """SELECT post_id, topic, value FROM labels l
           WHERE id = (SELECT MAX(id) FROM labels l2 WHERE l2.post_id = l.post_id AND l2.topic = l.topic)
        """).fetchall()
    out: dict[int, set[str]] = {}
    for post_id, topic, value in rows:
        out.setdefault(post_id, set())
        if value:
            out[post_id].add(topic)
    return out


def corrected_posts(db: Database) -> list[dict]:
    """Corrected posts with their text and true topics, as training examples."""
    truth = corrections(db)
    if not truth:
        return []
    out = []
    for post_id, topics in truth.items():
        row = db.execute("SELECT title, body, lang FROM posts WHERE id = ?", [post_id]).fetchone()
        if row:
            out.append({"id": f"post-{post_id}", "post_id": post_id, "title": row[0], "text": row[1],
                        "lang": row[2], "labels": sorted(topics)})
    return out


def has_unclassified(db: Database) -> bool:
    """Is any post without a classification by any model? (`watch` skips loading the model when
    nothing is.)"""
    return bool(db.execute("SELECT EXISTS (SELECT 1 FROM posts p WHERE NOT EXISTS "
                           "(SELECT 1 FROM classifications c WHERE c.post_id = p.id))").fetchone()[0])
