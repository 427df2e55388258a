"""Per-topic keyword lexicon from config: a signal that does not depend on the encoder's vocabulary.

The packaged encoder maps most Chinese characters to [UNK], so for Chinese posts the lexicon
(with the character n-gram model) is what carries the meaning.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from classify.default_keywords import DEFAULT_KEYWORDS
from crackdown.config import TopicConfig


def topic_keywords(topic: TopicConfig) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The topic's keywords from config; a default topic configured without any gets the defaults."""
    if topic.keywords_en or topic.keywords_zh:
        return tuple(topic.keywords_en), tuple(topic.keywords_zh)
    return DEFAULT_KEYWORDS.get(topic.id, ((), ()))


# \b treats Chinese characters as word characters ("KYC审核" has no \b after "KYC"): English
# keywords are bounded by anything that is not an ASCII letter or digit instead.
ASCII_BOUNDARY = r"(?:(?<![A-Za-z0-9])(?=[A-Za-z0-9])|(?<=[A-Za-z0-9])(?![A-Za-z0-9]))"


def _alternation(words: Sequence[str], bounded: bool) -> re.Pattern | None:
    """One regex for a keyword list, longest first (so "fake reviews" wins over "fake review")."""
    if not words:
        return None
    body = "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))
    return re.compile(f"{ASCII_BOUNDARY}(?:{body}){ASCII_BOUNDARY}" if bounded else f"(?:{body})",
                      re.IGNORECASE)


class Lexicon:
    """Keyword evidence per topic: one regex per topic and language, so scoring stays cheap."""

    def __init__(self, topics: Sequence[TopicConfig]):
        self.topics = [t.id for t in topics]
        self._patterns: dict[str, list[re.Pattern]] = {}
        for t in topics:
            words_en, words_zh = topic_keywords(t)
            # No word boundaries in Chinese.
            self._patterns[t.id] = [p for p in (_alternation(words_en, True),
                                                _alternation(words_zh, False)) if p is not None]

    def scores(self, title: str, body: str) -> dict[str, float]:
        """0 (no keyword), 0.5 (one keyword in the body), 1.0 (in the title, or two distinct in body)."""
        out = {}
        for topic, patterns in self._patterns.items():
            in_title = any(p.search(title) for p in patterns)
            distinct = {m.group(0).lower() for p in patterns for m in p.finditer(body)}
            out[topic] = 1.0 if in_title or len(distinct) >= 2 else (0.5 if distinct else 0.0)
        return out

    def matrix(self, titles: Sequence[str], bodies: Sequence[str]) -> np.ndarray:
        """Scores as a (posts, topics) array in topic order."""
        rows = [self.scores(t or "", b or "") for t, b in zip(titles, bodies)]
        return np.array([[r[k] for k in self.topics] for r in rows], dtype=float).reshape(
            len(rows), len(self.topics))
