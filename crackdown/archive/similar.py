"""Nearest posts by stored embedding, kept in the same SQLite file (no extension needed).

This Python's sqlite3 cannot load extensions (sqlite-vec needs `enable_load_extension`), so
the vector search is numpy over a compact index stored in the archive:

1. `embedding_index` holds the sign bits of every stored embedding (384 dims → 48 bytes), in
   chunks of `CHUNK` posts. It is derived data: appended to before each search from the
   embeddings newer than it, emptied by `prune` and rebuilt when the encoder changes.
2. A search ranks every post by Hamming distance on those bits (XOR + popcount, ~50 MB for a
   million posts), keeps the best `RERANK_FACTOR × limit` candidates, then ranks those by exact
   cosine on their float32 vectors from `embeddings`. Sign bits keep most of a normalised
   embedding's angle, and the exact rerank makes the final order right.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from sqlite_utils import Database

log = logging.getLogger(__name__)

CHUNK = 65536
RERANK_FACTOR = 50
MIN_CANDIDATES = 1000


class NoEmbedding(LookupError):
    """The post has no stored embedding (unknown id, not classified yet, or not English)."""


def post_vector(db: Database, post_id: int) -> np.ndarray:
    row = db.execute("SELECT vector FROM embeddings WHERE post_id = ?", [post_id]).fetchone()
    if row is None:
        known = db.execute("SELECT lang FROM posts WHERE id = ?", [post_id]).fetchone()
        if known is None:
            raise NoEmbedding(f"no post {post_id} in the archive; find ids with `crackdown search`")
        raise NoEmbedding(f"post {post_id} has no stored embedding (run `crackdown classify`; "
                          "posts in languages other than English have none, so use "
                          "`crackdown search` for them)")
    return np.frombuffer(row[0], dtype=np.float32)


def sign_bits(vectors: np.ndarray) -> np.ndarray:
    """(n, dim) float → (n, dim/8) uint8: one bit per dimension, set when positive."""
    return np.packbits(np.asarray(vectors) > 0, axis=1)


def refresh_index(db: Database) -> int:
    """Append embeddings newer than the index (rebuild it if the encoder changed); return how
    many vectors were added."""
    newest = db.execute("SELECT encoder FROM embeddings ORDER BY post_id DESC LIMIT 1").fetchone()
    if newest is None:
        return 0
    indexed = db.execute("SELECT encoder FROM embedding_index ORDER BY chunk DESC LIMIT 1").fetchone()
    if indexed and indexed[0] != newest[0]:
        log.info("encoder changed (%s → %s): rebuilding the similarity index", indexed[0], newest[0])
        db.execute("DELETE FROM embedding_index")
    last = db.execute("SELECT chunk, post_ids, bits FROM embedding_index "
                      "ORDER BY chunk DESC LIMIT 1").fetchone()
    chunk_no, ids, bits = (last[0], np.frombuffer(last[1], np.int64), np.frombuffer(last[2], np.uint8))\
        if last else (0, np.zeros(0, np.int64), np.zeros(0, np.uint8))
    after = int(ids[-1]) if len(ids) else 0
    added = 0
    with db.conn:
        db.execute("BEGIN")
        while True:
            rows = db.execute("SELECT post_id, vector FROM embeddings WHERE post_id > ? AND encoder = ? "
                              "ORDER BY post_id LIMIT ?", [after, newest[0], CHUNK]).fetchall()
            if not rows:
                break
            new_ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
            matrix = np.frombuffer(b"".join(r[1] for r in rows), np.float32).reshape(len(rows), -1)
            ids = np.concatenate([ids, new_ids])
            bits = np.concatenate([bits, sign_bits(matrix).ravel()])
            while len(ids) >= CHUNK:   # a full chunk is final; the remainder is the open chunk
                _write_chunk(db, chunk_no, ids[:CHUNK], bits[:CHUNK * matrix.shape[1] // 8], newest[0])
                ids, bits = ids[CHUNK:], bits[CHUNK * matrix.shape[1] // 8:]
                chunk_no += 1
            after = int(new_ids[-1])
            added += len(rows)
        if len(ids):
            _write_chunk(db, chunk_no, ids, bits, newest[0])
    if added:
        log.info("similarity index: %d vectors added", added)
    return added


def _write_chunk(db: Database, chunk: int, ids: np.ndarray, bits: np.ndarray, encoder: str) -> None:
    db.execute("INSERT OR REPLACE INTO embedding_index (chunk, encoder, post_ids, bits) VALUES (?, ?, ?, ?)",
               [chunk, encoder, ids.astype(np.int64).tobytes(), bits.astype(np.uint8).tobytes()])


def _load_index(db: Database, dim: int) -> tuple[np.ndarray, np.ndarray]:
    ids, bits = [], []
    for post_ids, chunk_bits in db.execute("SELECT post_ids, bits FROM embedding_index ORDER BY chunk"):
        ids.append(np.frombuffer(post_ids, np.int64))
        bits.append(np.frombuffer(chunk_bits, np.uint8))
    if not ids:
        return np.zeros(0, np.int64), np.zeros((0, dim // 8), np.uint8)
    return np.concatenate(ids), np.concatenate(bits).reshape(-1, dim // 8)


_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], np.uint8)


def hamming(bits: np.ndarray, query_bits: np.ndarray) -> np.ndarray:
    """Bits differing between each row of `bits` and `query_bits` (both packed uint8)."""
    if hasattr(np, "bitwise_count") and bits.shape[1] % 8 == 0:   # numpy >= 2: 8 bytes at a time
        return np.bitwise_count(bits.view(np.uint64) ^ query_bits.view(np.uint64)).sum(
            axis=1, dtype=np.int32)
    return _POPCOUNT[bits ^ query_bits].sum(axis=1, dtype=np.int32)


@dataclass(frozen=True)
class Neighbour:
    post_id: int
    similarity: float


def nearest(db: Database, vector: np.ndarray, *, limit: int = 10,
            exclude: int | None = None) -> list[Neighbour]:
    """The `limit` posts whose stored embeddings are closest (cosine) to `vector`."""
    vector = np.asarray(vector, np.float32).ravel()
    ids, bits = _load_index(db, vector.shape[0])
    if not len(ids):
        return []
    distance = hamming(bits, sign_bits(vector[None, :]))
    take = min(len(ids), max(MIN_CANDIDATES, RERANK_FACTOR * limit) + 1)
    candidates = ids[np.argpartition(distance, take - 1)[:take]] if take < len(ids) else ids
    scored = []
    for start in range(0, len(candidates), 500):
        chunk = [int(i) for i in candidates[start:start + 500] if int(i) != exclude]
        if not chunk:
            continue
        rows = db.execute(f"SELECT post_id, vector FROM embeddings WHERE post_id IN "
                          f"({','.join('?' * len(chunk))})", chunk).fetchall()
        if rows:
            matrix = np.frombuffer(b"".join(r[1] for r in rows), np.float32).reshape(len(rows), -1)
            scored += zip((r[0] for r in rows), (matrix @ vector).tolist())
    scored.sort(key=lambda pair: -pair[1])
    return [Neighbour(post_id, round(float(sim), 4)) for post_id, sim in scored[:limit]]


def describe(db: Database, neighbours: list[Neighbour]) -> list[dict]:
    """Neighbours as rows for display: similarity, id, date, source, topics, title, url."""
    out = []
    for n in neighbours:
        cursor = db.execute(
            """SELECT p.id, COALESCE(p.published_at, p.fetched_at) AS dated_at, p.source_id,
                      (SELECT group_concat(topic, ',') FROM tags WHERE post_id = p.id) AS topics,
                      p.title, p.url FROM posts p WHERE p.id = ?""", [n.post_id])
        row = cursor.fetchone()
        if row:   # a post pruned since the index was built is simply skipped
            out.append({"similarity": n.similarity, **dict(zip([c[0] for c in cursor.description], row))})
    return out
