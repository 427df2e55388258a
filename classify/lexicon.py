"""Per-topic keyword lexicon from config: a signal that does not depend on the encoder's vocabulary.

The packaged encoder maps most Chinese characters to [UNK], so for Chinese posts the lexicon
(with the character n-gram model) is what carries the meaning.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from crackdown.config import TopicConfig


class Lexicon:
    def __init__(self, topics: Sequence[TopicConfig]):
        self.topics = [t.id for t in topics]
        self._patterns: dict[str, list[re.Pattern]] = {}
        for t in topics:
            pats = [re.compile(r"\b" + re.escape(k) + r"\b", re.IGNORECASE) for k in t.keywords_en]
            pats += [re.compile(re.escape(k)) for k in t.keywords_zh]  # no word boundaries in Chinese
            self._patterns[t.id] = pats

    def scores(self, title: str, body: str) -> dict[str, float]:
        """0 (no keyword), 0.5 (one keyword in the body), 1.0 (in the title, or two distinct in body)."""
        out = {}
        for topic, patterns in self._patterns.items():
            in_title = any(p.search(title) for p in patterns)
            in_body = sum(1 for p in patterns if p.search(body))
            out[topic] = 1.0 if in_title or in_body >= 2 else (0.5 if in_body == 1 else 0.0)
        return out
