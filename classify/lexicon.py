"""Per-topic keyword lexicon from config: a signal that does not depend on the encoder's vocabulary.

The packaged English encoder maps most Chinese characters to [UNK], so for Chinese posts the
lexicon (with the character n-gram model) is what carries the meaning; in the other languages it
adds evidence the multilingual encoder reads only faintly (a suspended account in Italian scores
lower there than in English). The Chinese keywords are written in simplified characters; Taiwan
and Hong Kong sources write traditional ones (封號, 凍結), so Chinese text is matched in its
simplified form (`simplified`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from classify.default_keywords import DEFAULT_KEYWORDS
from crackdown.config import TopicConfig


def topic_keywords(topic: TopicConfig) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The topic's (English, Chinese, other-language) keywords from config; a default topic
    configured without any gets the defaults."""
    if topic.keywords_en or topic.keywords_zh or topic.keywords_other:
        return tuple(topic.keywords_en), tuple(topic.keywords_zh), tuple(topic.keywords_other)
    return DEFAULT_KEYWORDS.get(topic.id, ((), (), ()))


# The languages the keyword lists are written in (README, "Configuration"). A post in another
# language (Greek, Hindi, Swedish...) matches no keyword whatever it says: for it the lexicon is
# silent, not evidence against a topic.
KEYWORD_LANGUAGES = frozenset({"en", "zh", "de", "es", "it", "fr", "pl", "ja", "ru", "pt", "nl",
                               "ko", "vi", "tr", "id", "th", "ar"})
# Languages whose keywords count when a post is classified, while the thresholds are chosen with
# the lexicon silent for them (`blend(..., calibrating=True)`). Their lists are short and their
# training examples few (20-37 each), so many of their positive examples match no keyword: chosen
# with the lists counted, every multilingual threshold fell (by up to 0.2) and Chinese posts, which
# share those thresholds, lost 0.03 on the real sets. Chosen without, the thresholds stay where the
# encoder's reading puts them, and a post in these languages then needs a keyword, or a surer
# reading, to reach one: on their real posts precision rose from 0.62 to 0.80 (README, step 4).
CLASSIFY_ONLY_KEYWORD_LANGUAGES = frozenset({"ko", "vi", "tr", "id", "th", "ar"})
CALIBRATION_KEYWORD_LANGUAGES = KEYWORD_LANGUAGES - CLASSIFY_ONLY_KEYWORD_LANGUAGES

_HAN = re.compile(r"[\u4e00-\u9fff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
# 帐号 / 帐户 are common variants of 账号 / 账户 (account) in simplified text too, and what the
# traditional 帳號 / 帳戶 convert to; the keyword lists spell the standard form only.
_ACCOUNT_VARIANTS = (("帐号", "账号"), ("帐户", "账户"))
_converter = None


def simplified(text: str) -> str:
    """Chinese text in simplified characters (OpenCC's t2s). Text with kana (Japanese, whose
    kanji are not Chinese simplified forms) or without Han characters is returned as it is."""
    global _converter
    if not _HAN.search(text) or _KANA.search(text):
        return text
    if _converter is None:
        import opencc

        _converter = opencc.OpenCC("t2s.json")
    text = _converter.convert(text)
    for variant, standard in _ACCOUNT_VARIANTS:
        text = text.replace(variant, standard)
    return text


def _ascii_alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _trie_pattern(words: Sequence[str]) -> str:
    """An alternation of `words` factored by common prefixes ("fake review(?:s|)"), each word
    followed by an end boundary when it ends in an ASCII letter or digit.

    A position then costs one step per character matched rather than one per keyword, which
    matters with a few hundred keywords per topic. Where one keyword is a prefix of another the
    longer branch comes first, so the longest keyword that matches still wins.
    """
    root: dict = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}   # a keyword ends here

    def emit(node: dict, last: str) -> str:
        branches = [re.escape(char) + emit(child, char) for char, child in node.items() if char]
        if "" in node:
            branches.append("(?![a-z0-9])" if _ascii_alnum(last) else "")
        return branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"

    return emit(root, "")


def keyword_pattern(words: Sequence[str]) -> re.Pattern | None:
    """One regex for a keyword list, to run on lower-cased text; the longest keyword that matches
    wins (so "fake reviews" over "fake review").

    A keyword may not start or end inside an ASCII word, in either language list ("TRO" among the
    Chinese keywords must not fire on "controversial"); Chinese characters need no boundary. Not
    \b, which treats Chinese characters as word characters ("KYC审核" has no \b after "KYC").
    The text is lower-cased once rather than matched with IGNORECASE, and the start boundary sits
    outside the alternation: Python's re can then skip to candidate first characters, about 8x
    faster on long articles. The alternation is a prefix tree (`_trie_pattern`): 30% less again
    on 2,000 seed, realistic and real posts, with identical scores.
    """
    words = sorted({w.lower() for w in words if w})
    if not words:
        return None
    word_start = [w for w in words if _ascii_alnum(w[0])]
    other = [w for w in words if not _ascii_alnum(w[0])]
    parts = [f"(?<![a-z0-9]){_trie_pattern(word_start)}"] if word_start else []
    if other:
        parts.append(_trie_pattern(other))
    return re.compile("|".join(parts))


class Lexicon:
    """Keyword evidence per topic: one regex per topic and language, so scoring stays cheap."""

    def __init__(self, topics: Sequence[TopicConfig]):
        self.topics = [t.id for t in topics]
        self._patterns: dict[str, list[re.Pattern]] = {}
        for t in topics:
            self._patterns[t.id] = [p for p in map(keyword_pattern, topic_keywords(t))
                                    if p is not None]

    def scores(self, title: str, body: str) -> dict[str, float]:
        """0 (no keyword), 0.5 (one keyword in the body), 1.0 (in the title, or two distinct in body)."""
        title, body = simplified(title.lower()), simplified(body.lower())
        out = {}
        for topic, patterns in self._patterns.items():
            in_title = any(p.search(title) for p in patterns)
            distinct = {m.group(0) for p in patterns for m in p.finditer(body)}
            out[topic] = 1.0 if in_title or len(distinct) >= 2 else (0.5 if distinct else 0.0)
        return out

    def matrix(self, titles: Sequence[str], bodies: Sequence[str]) -> np.ndarray:
        """Scores as a (posts, topics) array in topic order."""
        rows = [self.scores(t or "", b or "") for t, b in zip(titles, bodies)]
        return np.array([[r[k] for k in self.topics] for r in rows], dtype=float).reshape(
            len(rows), len(self.topics))
