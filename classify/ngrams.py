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
Training fits them with scikit-learn (`classify.train`); classifying scores them with numpy.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np

PHRASE_CHARS = 3000   # of the title (read twice: it is the densest line) and the body
PHRASE_C = 10.0       # inverse regularisation: many sparse features, as for the Chinese n-grams
_TOKEN = re.compile(r"(?u)\b\w\w+\b")   # scikit-learn's default token pattern
_SPACES = re.compile(r"\s\s+")             # runs of whitespace, as its char_wb analyzer folds them


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
    """A fitted TF-IDF vocabulary and one logistic regression per topic, scored with numpy.

    Training fits them with scikit-learn (`from_fitted`); classifying reads them back from one
    .npz file and never imports scikit-learn, which costs ~1.4 s and ~100 MB per run. `probs`
    computes what the fitted vectorizer and heads would: lower-cased text, word n-grams of
    `(?u)\\b\\w\\w+\\b` tokens or character n-grams within words ("char_wb"), sublinear
    TF times IDF, L2-normalised rows, then each head's logistic function (0 for a topic that had no
    head: no positive or no negative example).
    """

    def __init__(self, analyzer: str, ngram_range: tuple[int, int], terms: list[str],
                 idf: np.ndarray, coef: np.ndarray, intercept: np.ndarray, present: np.ndarray):
        if analyzer not in ("word", "char_wb"):
            raise ValueError(f"unknown n-gram analyzer {analyzer!r}")
        self.analyzer, self.ngram_range = analyzer, (int(ngram_range[0]), int(ngram_range[1]))
        self.terms = list(terms)
        self.index = {term: i for i, term in enumerate(self.terms)}
        self.idf, self.coef, self.intercept, self.present = idf, coef, intercept, present

    @classmethod
    def from_fitted(cls, vectorizer, heads: list) -> NgramModel:
        """From a fitted TfidfVectorizer and one LogisticRegression (or None) per topic."""
        vocabulary = vectorizer.vocabulary_
        terms = sorted(vocabulary, key=vocabulary.get)
        coef = np.zeros((len(heads), len(terms)))
        intercept = np.zeros(len(heads))
        for j, head in enumerate(heads):
            if head is not None:
                coef[j], intercept[j] = head.coef_[0], head.intercept_[0]
        return cls(vectorizer.analyzer, vectorizer.ngram_range, terms, vectorizer.idf_, coef,
                   intercept, np.array([h is not None for h in heads]))

    def save(self, path: Path) -> None:
        np.savez(path, analyzer=self.analyzer, ngram_range=np.array(self.ngram_range),
                 terms=np.array(self.terms, dtype=str), idf=self.idf, coef=self.coef,
                 intercept=self.intercept, present=self.present)

    @classmethod
    def load(cls, path: Path) -> NgramModel:
        with np.load(path) as data:
            return cls(str(data["analyzer"]), tuple(data["ngram_range"]), data["terms"].tolist(),
                       data["idf"], data["coef"], data["intercept"], data["present"])

    def ngrams(self, text: str) -> list[str]:
        """The n-grams of `text` the vocabulary is made of (vocabulary or not)."""
        low, high = self.ngram_range
        text = text.lower()
        out: list[str] = []
        if self.analyzer == "word":
            tokens = _TOKEN.findall(text)
            for n in range(low, high + 1):
                out += [" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
            return out
        for word in _SPACES.sub(" ", text).split():
            padded = f" {word} "
            for n in range(low, high + 1):
                if len(padded) <= n:   # a short word counts once, whole
                    out.append(padded)
                    break
                out += [padded[i:i + n] for i in range(len(padded) - n + 1)]
        return out

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The post's TF-IDF row: (column indices, L2-normalised values)."""
        counts = Counter(i for i in map(self.index.get, self.ngrams(text)) if i is not None)
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        cols = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        values = (np.log(np.fromiter(counts.values(), dtype=float, count=len(counts))) + 1.0)
        values *= self.idf[cols]
        return cols, values / np.linalg.norm(values)

    def probs(self, texts: list[str]) -> np.ndarray:
        """(posts, topics) probabilities."""
        out = np.zeros((len(texts), len(self.present)))
        for row, text in enumerate(texts):
            cols, values = self.features(text)
            decision = self.coef[:, cols] @ values + self.intercept
            out[row] = np.where(self.present, 1.0 / (1.0 + np.exp(-decision)), 0.0)
        return out
