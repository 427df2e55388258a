"""Grouping posts about the same event into stories (syndicated copies, cross-source coverage).

Two posts are linked when they are close in time (`WINDOW_HOURS`) and one of these holds:
1. the same content hash (a syndicated copy);
2. near-identical titles (Jaccard of title tokens; Chinese titles as character bigrams);
3. both carry an English embedding and their cosine is high — the encoder is English-only (it maps
   most Chinese characters to [UNK]), so Chinese posts never link through embeddings: their vectors
   would all look alike and glue unrelated Chinese items together;
4. a Chinese and an English post (or two Chinese posts) name the same rare Latin-script name in their
   titles ("傲基Aukey…" / "Aukey goes dark…") within `NAME_WINDOW_HOURS` and share a topic;
5. a Chinese post and its nearest non-Chinese post by the multilingual encoder's vectors (which,
   unlike the English encoder's, place a Chinese report near the English coverage of the same
   event) have a cosine of at least `CROSS_LANGUAGE_SIMILARITY`, within `NAME_WINDOW_HOURS`,
   sharing a topic: "亚马逊回应封号…" joins "Amazon defends review crackdown…" with no name in
   common. Only the nearest, so one Chinese post cannot chain two English stories together.
Links are joined transitively (union-find).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from crackdown.archive import cross_language

_LATIN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?", re.IGNORECASE)
_HAN = re.compile(r"[\u4e00-\u9fff]+")
_STOP = {"the", "a", "an", "of", "to", "in", "on", "for", "and", "or", "is", "are", "as", "at",
         "by", "with", "its", "it", "from", "after", "over", "new", "how", "what", "why", "s",
         "this", "that", "be", "was", "were", "has", "have", "your", "you", "my", "our", "we",
         "i", "me", "just", "now", "not", "no", "all", "more", "than", "do", "does", "com"}
# Names too common in this domain to identify one event.
_COMMON_NAMES = {"amazon", "ebay", "walmart", "etsy", "shopify", "temu", "tiktok", "shop", "prime",
                 "day", "fba", "poa", "asin", "asins", "uk", "us", "eu", "usa", "de", "seller", "sellers",
                 "q1", "q2", "q3", "q4", "2020", "2021", "2022", "2023", "2024", "2025", "2026",
                 "ceo", "vat", "ip", "id", "api", "app", "dtc", "cpc", "acos", "ppc"}
TITLE_SIMILARITY = 0.5        # token Jaccard of titles
# Cosine of stored post embeddings (English only). Since the English encoder reads 64 tokens of a
# window (0.78 at 128), cosines spread lower: on the demo corpus's English posts 48 hours apart,
# 0.73 links as many pairs as 0.78 did (22 of 1,815), 17 of the same ones, and its 5 new links
# are coverage of one event (a review-removal email wave, eBay's 30-day holds, Mpow's vanishing).
EMBEDDING_SIMILARITY = 0.73
WINDOW_HOURS = 48.0           # coverage of one event further apart is a new story
NAME_WINDOW_HOURS = 24.0      # a shared name is a weaker signal: keep it to one news cycle
# multilingual-e5 cosines are compressed: on the demo corpus, Chinese and English posts 48 hours
# apart have a median of 0.80 and a 99th percentile of 0.856; the same event in both languages
# scores 0.864-0.893, a different post on the same topic up to 0.869.
CROSS_LANGUAGE_SIMILARITY = 0.865


def _stem(word: str) -> str:
    word = word.lower().removesuffix("'s")
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def title_tokens(title: str) -> set[str]:
    """Latin words (lower-cased, crude plural stripping) plus Chinese character bigrams."""
    tokens = {_stem(w) for w in _LATIN.findall(title or "")} - _STOP
    for run in _HAN.findall(title or ""):
        tokens |= {run[i:i + 2] for i in range(len(run) - 1)} or {run}
    return tokens


def title_names(title: str) -> set[str]:
    """Latin-script words that look like names of brands or companies, not common vocabulary."""
    return {_stem(w) for w in _LATIN.findall(title or "")
            if len(w) >= 3 and not w.isdigit()} - _STOP - _COMMON_NAMES


def is_chinese(post: dict) -> bool:
    return cross_language.is_chinese(post.get("lang"), post.get("title"))


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def group_posts(posts: Sequence[dict], vectors: dict[int, np.ndarray] | None = None,
                window_hours: float = WINDOW_HOURS,
                ml_vectors: dict[int, np.ndarray] | None = None) -> list[list[dict]]:
    """Partition posts into stories. Returns groups, each ordered by date.

    Links are merged strongest first; a merge of two groups that both have English embeddings
    must also keep their average cosine above `GROUP_COHESION`, so one loose link (a forum post
    naming a brand) cannot chain yesterday's event into today's round-up.
    """
    n = len(posts)
    hours = [cross_language.hours(p.get("dated_at")) for p in posts]
    chinese = [is_chinese(p) for p in posts]

    def near(i: int, j: int, limit: float) -> bool:
        return hours[i] is None or hours[j] is None or abs(hours[i] - hours[j]) <= limit

    edges = _hash_edges(posts, near, window_hours) + _title_edges(posts, chinese, near, window_hours)
    if ml_vectors:
        edges += _cross_language_edges(posts, chinese, near, ml_vectors)
    edges.sort(key=lambda e: -e[0])
    row: dict[int, int] = {}
    sims = None
    # Embedding links stay in arrays, strongest first: on a busy day of look-alike posts they run
    # into the millions, too many to build, sort and walk one Python tuple at a time.
    linked = np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if vectors:
        have = [i for i, p in enumerate(posts) if not chinese[i] and p["id"] in vectors]
        if len(have) > 1:
            mat = np.stack([vectors[posts[i]["id"]] for i in have]).astype(np.float32)
            mat /= np.maximum(np.linalg.norm(mat, axis=1, keepdims=True), 1e-9)
            sims = mat @ mat.T
            row = {i: k for k, i in enumerate(have)}
            at = np.array([np.nan if hours[i] is None else hours[i] for i in have])
            undated = np.isnan(at)
            close = (np.abs(at[:, None] - at[None, :]) <= window_hours) | undated[:, None] | undated
            a, b = np.nonzero(np.triu((sims >= EMBEDDING_SIMILARITY) & close, k=1))
            cosine = sims[a, b].astype(np.float64)
            order = np.argsort(-cosine, kind="stable")
            index = np.array(have)
            linked = cosine[order], index[a[order]], index[b[order]]

    members = {i: [i] for i in range(n)}
    owner = np.arange(n)

    def join(strength: float, i: int, j: int) -> None:
        gi, gj = int(owner[i]), int(owner[j])
        if gi == gj:
            return
        if strength < HASH_LINK and sims is not None and not _cohesive(members[gi], members[gj],
                                                                         row, sims):
            return
        if len(members[gi]) < len(members[gj]):
            gi, gj = gj, gi
        owner[members[gj]] = gi
        members[gi] += members.pop(gj)

    done = 0

    def join_linked(upto: int) -> None:
        """Embedding links [done, upto), in order; a chunk's links inside one group are skipped
        at once (groups only grow, so they stay inside one)."""
        nonlocal done
        cosine, first, second = linked
        for start in range(done, upto, 4096):
            stop = min(start + 4096, upto)
            live = np.nonzero(owner[first[start:stop]] != owner[second[start:stop]])[0] + start
            for k in live.tolist():
                join(float(cosine[k]), int(first[k]), int(second[k]))
        done = max(done, upto)

    # Strongest first, in the order one stably sorted list of all links would give: before each
    # hash, title, name or cross-language link, the embedding links stronger than it (on a tie,
    # the other link first).
    ascending = -linked[0]
    for strength, i, j in edges:
        join_linked(int(np.searchsorted(ascending, -strength, side="left")))
        join(strength, i, j)
    join_linked(len(linked[0]))
    return [sorted((posts[k] for k in m), key=lambda p: p.get("dated_at") or "")
            for m in members.values()]


HASH_LINK, TITLE_LINK, NAME_LINK = 3.0, 2.0, 0.5   # embedding links weigh their cosine
GROUP_COHESION = 0.70


def _cohesive(a: list[int], b: list[int], row: dict[int, int], sims: np.ndarray) -> bool:
    ra, rb = [row[i] for i in a if i in row], [row[j] for j in b if j in row]
    if not ra or not rb:
        return True
    return float(sims[np.ix_(ra, rb)].mean()) >= GROUP_COHESION


def _hash_edges(posts: Sequence[dict], near, window: float) -> list[tuple[float, int, int]]:
    edges, first = [], {}
    for i, p in enumerate(posts):
        h = p.get("content_hash")
        if h:
            if h in first and near(i, first[h], window):
                edges.append((HASH_LINK, i, first[h]))
            first.setdefault(h, i)
    return edges


def _title_edges(posts: Sequence[dict], chinese: list[bool], near,
                 window: float) -> list[tuple[float, int, int]]:
    """Similar titles, and shared names across languages. Candidate pairs come from an inverted
    index over title tokens, skipping tokens so common they cannot decide anything."""
    tokens = [title_tokens(p["title"]) for p in posts]
    names = [title_names(p["title"]) for p in posts]
    topics = [set(p.get("topics") or ()) for p in posts]
    index: dict[str, list[int]] = {}
    for i, toks in enumerate(tokens):
        for t in toks:
            index.setdefault(t, []).append(i)
    too_common = max(50, len(posts) // 20)
    pairs: set[tuple[int, int]] = set()
    for ids in index.values():
        if 1 < len(ids) <= too_common:
            pairs.update((a, b) for x, a in enumerate(ids) for b in ids[x + 1:])
    edges = []
    for i, j in pairs:
        if not near(i, j, window):
            continue
        if jaccard(tokens[i], tokens[j]) >= TITLE_SIMILARITY:
            edges.append((TITLE_LINK, i, j))
        elif ((chinese[i] or chinese[j]) and names[i] & names[j] and topics[i] & topics[j]
              and near(i, j, NAME_WINDOW_HOURS)):
            edges.append((NAME_LINK, i, j))
    return edges


def _cross_language_edges(posts: Sequence[dict], chinese: list[bool], near,
                          ml_vectors: dict[int, np.ndarray]) -> list[tuple[float, int, int]]:
    """Each Chinese post to its nearest non-Chinese post by multilingual vectors, when close."""
    zh = [i for i, p in enumerate(posts) if chinese[i] and p["id"] in ml_vectors]
    other = [i for i, p in enumerate(posts) if not chinese[i] and p["id"] in ml_vectors]
    if not zh or not other:
        return []
    unit = lambda ids: np.stack([ml_vectors[posts[i]["id"]] for i in ids]).astype(np.float32)  # noqa: E731
    a, b = unit(zh), unit(other)
    a /= np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-9)
    b /= np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-9)
    sims = a @ b.T
    topics = [set(p.get("topics") or ()) for p in posts]
    edges = []
    for row, i in enumerate(zh):
        candidates = [(float(sims[row, col]), j) for col, j in enumerate(other)
                      if topics[i] & topics[j] and near(i, j, cross_language.WINDOW_HOURS)]
        if candidates:
            best, j = max(candidates)
            if best >= CROSS_LANGUAGE_SIMILARITY:
                edges.append((NAME_LINK, i, j))
    return edges
