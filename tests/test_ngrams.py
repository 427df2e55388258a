"""The n-gram models: what the English phrase model reads, and that it keeps phrasings the
encoders blur apart."""

from __future__ import annotations

import numpy as np

from classify.ngrams import PHRASE_C, PHRASE_CHARS, phrase_text, phrase_vectorizer
from classify.train import fit_ngrams


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
