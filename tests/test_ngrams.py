"""The n-gram models: what the English phrase model reads, and that it keeps phrasings the
encoders blur apart."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from classify.ngrams import (
    PHRASE_C,
    PHRASE_CHARS,
    NgramModel,
    chinese_vectorizer,
    phrase_text,
    phrase_vectorizer,
)
from classify.train import _fit_binary, fit_ngrams
from tests.conftest import REPO


def test_the_phrase_model_reads_the_title_twice_and_the_body_up_to_its_cap():
    assert phrase_text("ASIN suspended", "My listing is inactive.") == (
        "ASIN suspended. ASIN suspended. My listing is inactive.")
    assert phrase_text("", "Only a body.") == "Only a body."
    assert len(phrase_text("Title", "word " * 2000)) == PHRASE_CHARS


# Listing-level and account-level suspensions share most of their words; only the phrase differs.
LISTING = ["Amazon suspended my ASIN for a pesticide claim", "Three ASINs suspended overnight",
           "ASIN suspended after a safety complaint", "Why was my ASIN suspended this week",
           "Our best ASIN suspended for a condition complaint", "ASIN suspended, listing inactive",
           "Second ASIN suspended in a month", "ASIN suspended while the account stays healthy"]
ACCOUNT = ["Amazon suspended my seller account for a policy violation",
           "Seller account suspended overnight", "Account suspended after a safety complaint",
           "Why was my account suspended this week", "Our seller account suspended for reviews",
           "Account suspended, all listings inactive", "Second account suspended in a month",
           "Seller account suspended and under review"]


def test_the_phrase_model_tells_a_suspended_asin_from_a_suspended_account():
    texts = [phrase_text(t, "") for t in LISTING + ACCOUNT]
    y = np.array([[1, 0]] * len(LISTING) + [[0, 1]] * len(ACCOUNT), dtype=bool)
    model, oof = fit_ngrams(phrase_vectorizer(), texts, y, np.ones(len(texts)), PHRASE_C)
    assert oof.shape == (16, 2)
    # the out-of-fold probabilities already separate the two (each text scored by a model that
    # did not see it)
    assert (oof[:8, 0] > oof[8:, 0].max()).mean() >= 0.75
    unseen = model.probs([phrase_text("Amazon suspended two ASINs in my catalogue", ""),
                          phrase_text("Amazon suspended my seller account yesterday", "")])
    assert unseen[0, 0] > 0.5 > unseen[1, 0]
    assert unseen[1, 1] > 0.5 > unseen[0, 1]
    assert model.probs([]).shape == (0, 2)


# Texts with what tokenisers trip on: one-letter words, runs of spaces and newlines, punctuation,
# accents, CJK, repeated words and words the training texts never had.
TRAIN_TEXTS = LISTING + ACCOUNT + ["亚马逊封号潮，大批卖家账号被封。", "链接被下架，ASIN suspended。",
                                   "Konto gesperrt – Auszahlungen gestoppt!"]
NEW_TEXTS = ["A  b\n\n  ASIN   suspended, suspended; SUSPENDED!", "卖家账号被封 资金冻结",
             "Café déjà vu: Konto gesperrt", "", "x", "never seen words at all"]


@pytest.mark.parametrize("make_vectorizer", [phrase_vectorizer, chinese_vectorizer])
def test_the_numpy_scorer_matches_the_fitted_vectorizer_and_heads(make_vectorizer):
    """Classifying reads the n-gram models without scikit-learn: the scores must be the ones the
    fitted TF-IDF vectorizer and logistic regressions give."""
    vectorizer = make_vectorizer()
    x = vectorizer.fit_transform(TRAIN_TEXTS)
    y = np.zeros((len(TRAIN_TEXTS), 3), dtype=bool)
    y[:8, 0] = y[8:16, 1] = True          # topic 2 has no positive example: no head, scores 0
    heads = [_fit_binary(x, y[:, j], np.ones(len(TRAIN_TEXTS)), PHRASE_C) for j in range(3)]
    assert heads[2] is None
    model = NgramModel.from_fitted(vectorizer, heads)
    texts = TRAIN_TEXTS + NEW_TEXTS
    expected = np.column_stack([h.predict_proba(vectorizer.transform(texts))[:, 1]
                                for h in heads[:2]] + [np.zeros(len(texts))])
    assert np.allclose(model.probs(texts), expected, atol=1e-9)
    # the features themselves, not only what the heads make of them
    for text, row in zip(texts, vectorizer.transform(texts)):
        cols, values = model.features(text)
        dense = np.zeros(len(model.terms))
        dense[cols] = values
        assert np.allclose(dense, row.toarray()[0], atol=1e-12), text


def test_an_ngram_model_round_trips_through_its_file(tmp_path):
    texts = [phrase_text(t, "") for t in LISTING + ACCOUNT]
    y = np.array([[1, 0]] * len(LISTING) + [[0, 1]] * len(ACCOUNT), dtype=bool)
    model, _ = fit_ngrams(phrase_vectorizer(), texts, y, np.ones(len(texts)), PHRASE_C)
    model.save(tmp_path / "phrases.npz")
    loaded = NgramModel.load(tmp_path / "phrases.npz")
    assert loaded.analyzer == "word" and loaded.ngram_range == (1, 2)
    assert np.array_equal(loaded.probs(texts + NEW_TEXTS), model.probs(texts + NEW_TEXTS))
    with pytest.raises(ValueError, match="unknown n-gram analyzer"):
        NgramModel("char", (1, 2), [], np.zeros(0), np.zeros((1, 0)), np.zeros(1), np.ones(1, bool))


def test_scoring_a_saved_ngram_model_does_not_import_sklearn(tmp_path):
    texts = [phrase_text(t, "") for t in LISTING + ACCOUNT]
    y = np.array([[1, 0]] * len(LISTING) + [[0, 1]] * len(ACCOUNT), dtype=bool)
    model, _ = fit_ngrams(phrase_vectorizer(), texts, y, np.ones(len(texts)), PHRASE_C)
    model.save(tmp_path / "phrases.npz")
    code = ("import sys; from pathlib import Path; from classify.ngrams import NgramModel; "
            f"p = NgramModel.load(Path({str(tmp_path / 'phrases.npz')!r})).probs(['ASIN suspended']); "
            "print(round(float(p[0, 0]), 6), 'sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == [str(round(float(model.probs(["ASIN suspended"])[0, 0]), 6)), "False"]
