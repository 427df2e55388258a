"""Word and character n-gram models: TF-IDF features and one logistic regression per topic.

Two readers use them:
- the **English phrase model**: word 1–2-grams of the whole post. The sentence encoders read a
  post as a blur of meaning: "ASIN suspended" and "account suspended" sit close together, so do
  a payout schedule and a payout hold. Word n-grams keep the exact phrasing, and over the whole
  post rather than its first windows. On the English dev posts (thresholds cross-validated there)
  the n-grams alone scored 0.84, the two encoders together 0.835, and an even mix of the two
  0.86: they err on different posts. Character 3–5-grams added nothing there and cost seven
  times as much.
- the **Chinese route** without a multilingual encoder: character 1–3-grams (the English encoder
  maps most Chinese characters to [UNK]).
Training fits them (`classify.train`); the classifier only calls `probs`.
"""

from __future__ import annotations

import numpy as np

PHRASE_CHARS = 3000   # of the title (read twice: it is the densest line) and the body
PHRASE_C = 10.0       # inverse regularisation: many sparse features, as for the Chinese n-grams


def phrase_text(title: str, body: str) -> str:
    """What the English phrase model reads of a (cleaned) post."""
    return f"{title}. {title}. {body}"[:PHRASE_CHARS] if title else body[:PHRASE_CHARS]


def phrase_vectorizer():
    """An unfitted vectorizer for the English phrase model."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=50000)


def chinese_vectorizer():
    """An unfitted vectorizer for the Chinese character n-gram route."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), min_df=1, sublinear_tf=True,
                           max_features=50000)


class NgramModel:
    """A fitted vectorizer and one classifier per topic (None: a topic without examples)."""

    def __init__(self, vectorizer, heads: list):
        self.vectorizer, self.heads = vectorizer, heads

    def probs(self, texts: list[str]) -> np.ndarray:
        """(posts, topics) probabilities."""
        if not texts:
            return np.zeros((0, len(self.heads)))
        x = self.vectorizer.transform(texts)
        return np.column_stack([h.predict_proba(x)[:, 1] if h is not None else np.zeros(x.shape[0])
                                for h in self.heads])
