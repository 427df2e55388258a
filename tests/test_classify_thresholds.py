"""How a topic's threshold is chosen from calibration scores (train.best_threshold)."""

from __future__ import annotations

import numpy as np
import pytest

from classify.train import best_threshold

# Four positives score 0.6 and one 0.3, beside three negatives at 0.3 and ten at 0.1. Reading down
# to 0.3 finds every positive at precision 5/8; from 0.325 up, four of five at precision 1.
SCORES = np.array([0.6] * 4 + [0.3] + [0.3] * 3 + [0.1] * 10)
TRUTH = np.array([1] * 5 + [0] * 13)


@pytest.mark.parametrize("min_precision, expected", [
    (0.0, 0.15),     # F2 favours recall: 0.893 at 0.3 and below, 0.833 above
    (0.8, 0.325),    # the precision floor rules out every threshold that reaches 0.3
])
def test_the_precision_floor_decides_where_recall_would(min_precision, expected):
    assert best_threshold(SCORES, TRUTH, beta=2.0, min_precision=min_precision) == \
        pytest.approx(expected)


def test_the_lowest_threshold_that_separates_the_classes_is_taken():
    scores = np.array([0.7, 0.72, 0.2, 0.21, 0.05])
    truth = np.array([1, 1, 0, 0, 0])
    assert best_threshold(scores, truth, beta=2.0, min_precision=0.8) == pytest.approx(0.225)


def test_no_positive_gives_the_lowest_threshold():
    # A topic with no example among the posts a route is calibrated on (one known only by its
    # keywords) keeps the grid's lowest threshold: its keyword evidence alone can then tag a post.
    scores = np.array([0.1, 0.4, 0.6])
    assert best_threshold(scores, np.zeros(3, dtype=int), beta=2.0, min_precision=0.8) == \
        pytest.approx(0.15)
