"""The nearest training examples' evidence in a head (classify/classifier.py, Head)."""

from __future__ import annotations

import numpy as np

from classify.classifier import Head, neighbour_evidence
from classify.train import _heads, _oof_probs


def _unit(*rows: list[float]) -> np.ndarray:
    x = np.array(rows, dtype=np.float64)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_evidence_is_the_nearest_with_the_topic_less_the_nearest_without():
    examples = _unit([1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0, 0.9, 0.1], [0, 0, 1])
    labels = np.array([[True], [True], [False], [False], [False]])
    post = _unit([1, 0.05, 0])
    sims = (post @ examples.T)[0]
    evidence = neighbour_evidence(post, examples, labels, k=2)
    assert evidence[0, 0] == np.mean(sims[:2]) - np.mean(np.sort(sims[2:])[-2:])
    assert evidence[0, 0] > 0
    # A post among the examples without the topic gets evidence against it.
    assert neighbour_evidence(_unit([0, 1, 0.02]), examples, labels, k=2)[0, 0] < 0


def test_evidence_uses_what_there_is_when_a_side_has_fewer_than_k_examples():
    examples = _unit([1, 0], [0, 1], [0.7, 0.7])
    labels = np.array([[True, False], [False, False], [False, False]])   # topic 2: no positives
    evidence = neighbour_evidence(_unit([1, 0]), examples, labels, k=3)
    sims = (_unit([1, 0]) @ examples.T)[0]
    assert np.isclose(evidence[0, 0], sims[0] - np.mean(sims[1:]))
    assert np.isclose(evidence[0, 1], -np.mean(sims))


def _clusters(odd: np.ndarray, seed: int = 0):
    """Positives around one direction, negatives around another, and the `odd` rows: positives
    told the way the negatives are told."""
    rng = np.random.default_rng(seed)
    a, b = np.eye(8)[0], np.eye(8)[1]
    x = np.vstack([a + 0.3 * rng.normal(size=(20, 8)), b + 0.3 * rng.normal(size=(20, 8)), odd])
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x, np.array([True] * 20 + [False] * 20 + [True] * len(odd))[:, None]


def test_a_post_told_like_a_few_examples_is_read_like_them():
    near_b = np.eye(8)[1] + 0.6 * np.eye(8)[2]
    x, y = _clusters(near_b + 0.05 * np.random.default_rng(1).normal(size=(3, 8)))
    plain = _heads(x, y, np.ones(len(y)), c=4.0)
    with_examples = _heads(x, y, np.ones(len(y)), c=4.0, neighbours=10.0)
    assert np.array_equal(plain.coef, with_examples.coef)
    post = (near_b / np.linalg.norm(near_b))[None]
    # The regression's one boundary reads the new post as the negatives it resembles; the three
    # examples told like it pull it over.
    assert plain.probs(post)[0, 0] < 0.5 < with_examples.probs(post)[0, 0]
    # The clusters themselves are read as before.
    assert (with_examples.probs(x[:20]) > 0.5).all() and (with_examples.probs(x[20:40]) < 0.5).all()


def test_out_of_fold_evidence_never_counts_the_example_itself(monkeypatch):
    from classify import train

    x, y = _clusters(np.eye(8)[1][None])   # one positive told exactly like the negatives
    y = y[:, 0]
    calls = []

    def recording(vectors, examples, labels):
        calls.append((vectors, examples))
        return neighbour_evidence(vectors, examples, labels)

    monkeypatch.setattr(train, "neighbour_evidence", recording)
    oof = _oof_probs(x, y, np.ones(len(y)), c=4.0, neighbours=10.0)
    # Each fold's posts are read against the other folds' examples only, so the thresholds are
    # chosen on what the head makes of a new post, not of one it has seen.
    assert len(calls) == 5 and sum(len(v) for v, _ in calls) == len(x)
    for vectors, examples in calls:
        assert len(vectors) + len(examples) == len(x)
        assert not (np.abs(vectors[:, None, :] - examples[None, :, :]).sum(axis=2) < 1e-12).any()
    assert oof[-1] < 0.5
    assert (oof[:20] > 0.5).mean() > 0.9 and (oof[20:40] < 0.5).mean() > 0.9
    plain = _oof_probs(x, y, np.ones(len(y)), c=4.0)
    assert not np.allclose(plain, oof) and ((plain >= 0) & (plain <= 1)).all()


def test_a_head_keeps_its_examples_through_save_and_load():
    x, y = _clusters(np.eye(8)[1][None])
    head = _heads(x, y, np.ones(len(y)), c=4.0, neighbours=10.0)
    loaded = Head.from_arrays(head.arrays("ml_"), "ml_")
    assert loaded.weight == 10.0 and loaded.labels.dtype == bool
    assert np.allclose(loaded.probs(x), head.probs(x))
    # A head saved without examples (before December 2026) reads as the regression alone.
    bare = Head.from_arrays({k: v for k, v in head.arrays("en_").items()
                             if k in ("en_coef", "en_intercept", "en_thresholds")}, "en_")
    assert bare.examples is None and bare.weight == 0.0
    assert np.allclose(bare.probs(x), 1 / (1 + np.exp(-(x @ head.coef.T + head.intercept))))
