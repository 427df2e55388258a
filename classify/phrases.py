"""English phrase model: TF-IDF word 1–2-grams of the whole post, one logistic regression per
topic.

The sentence encoders read a post as a blur of meaning: "ASIN suspended" and "account
suspended" sit close together, so do a payout schedule and a payout hold. Word n-grams keep the
exact phrasing, and over the whole post rather than its first windows. On the English dev
posts (thresholds cross-validated there) the n-grams alone scored 0.84, the two encoders together
0.835, and an even mix of the two 0.86: they err on different posts. Character 3–5-grams added
nothing there and cost seven times as much.
"""

from __future__ import annotations

import logging

import numpy as np

log = logging.getLogger(__name__)

PHRASE_CHARS = 3000   # of the title (read twice: it is the densest line) and the body
PHRASE_C = 10.0       # inverse regularisation: many sparse features, as for the Chinese n-grams


def phrase_text(title: str, body: str) -> str:
    """What the phrase model reads of a (cleaned) post."""
    return f"{title}. {title}. {body}"[:PHRASE_CHARS] if title else body[:PHRASE_CHARS]


def _features(texts: list[str], vectorizer=None):
    """Sparse features, fitting a new vectorizer when none is given; returns (matrix, vectorizer)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if vectorizer is None:
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                                     max_features=50000)
        return vectorizer.fit_transform(texts), vectorizer
    return vectorizer.transform(texts), vectorizer


class PhraseModel:
    """A fitted vectorizer and one classifier per topic (None: a topic without examples)."""

    def __init__(self, vectorizer, heads: list):
        self.vectorizer, self.heads = vectorizer, heads

    def probs(self, texts: list[str]) -> np.ndarray:
        """(posts, topics) probabilities."""
        if not texts:
            return np.zeros((0, len(self.heads)))
        x, _ = _features(texts, self.vectorizer)
        return np.column_stack([h.predict_proba(x)[:, 1] if h is not None else np.zeros(x.shape[0])
                                for h in self.heads])


def fit_phrases(texts: list[str], y: np.ndarray, weights: np.ndarray, fit_binary, oof_probs
                ) -> tuple[PhraseModel, np.ndarray]:
    """The phrase model on `texts` and its out-of-fold probabilities (for the thresholds).
    `fit_binary` and `oof_probs` are training's own, so every head is fitted the same way."""
    x, vectorizer = _features(texts)
    heads = [fit_binary(x, y[:, j], weights, PHRASE_C) for j in range(y.shape[1])]
    oof = np.column_stack([oof_probs(x, y[:, j], weights, PHRASE_C) for j in range(y.shape[1])])
    log.debug("phrase model: %d texts, %d features", x.shape[0], x.shape[1])
    return PhraseModel(vectorizer, heads), oof
