"""Grouping posts about the same event into stories (syndicated copies, cross-source coverage)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

_WORD = re.compile(r"[a-z0-9]+|[\u4e00-\u9fff]", re.IGNORECASE)
_STOP = {"the", "a", "an", "of", "to", "in", "on", "for", "and", "or", "is", "are", "as", "at",
         "by", "with", "its", "it", "from", "after", "over", "new", "how", "what", "why", "s",
         "的", "了", "在", "是", "和"}
TITLE_SIMILARITY = 0.5     # token Jaccard of titles
EMBEDDING_SIMILARITY = 0.80  # cosine of stored post embeddings


def title_tokens(title: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(title)} - _STOP


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def group_posts(posts: Sequence[dict], vectors: dict[int, np.ndarray] | None = None) -> list[list[dict]]:
    """Partition posts into stories: same content hash, similar titles, or (when embeddings are
    given) near-identical meaning. Returns groups, each ordered by date."""
    parent = list(range(len(posts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        parent[find(i)] = find(j)

    tokens = [title_tokens(p["title"]) for p in posts]
    by_hash: dict[str, int] = {}
    for i, p in enumerate(posts):
        h = p.get("content_hash")
        if h:
            if h in by_hash:
                union(i, by_hash[h])
            else:
                by_hash[h] = i
    ids = [p["id"] for p in posts]
    mat = None
    if vectors:
        have = [i for i, pid in enumerate(ids) if pid in vectors]
        if have:
            mat = (have, np.stack([vectors[ids[i]] for i in have]))
    for i in range(len(posts)):
        for j in range(i + 1, len(posts)):
            if jaccard(tokens[i], tokens[j]) >= TITLE_SIMILARITY:
                union(i, j)
    if mat is not None:
        have, vecs = mat
        sims = vecs @ vecs.T
        for a in range(len(have)):
            for b in range(a + 1, len(have)):
                if sims[a, b] >= EMBEDDING_SIMILARITY:
                    union(have[a], have[b])
    groups: dict[int, list[dict]] = {}
    for i, p in enumerate(posts):
        groups.setdefault(find(i), []).append(p)
    return [sorted(g, key=lambda p: p.get("dated_at") or "") for g in groups.values()]
