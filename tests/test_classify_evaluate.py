"""The evaluation report on its own: per-topic scores, the bootstrap interval, per-language macro."""

from __future__ import annotations

from classify.evaluate import evaluation_report, format_table, macro_interval, score_predictions

TOPICS = ["funds_hold", "store_closure"]
# 10 posts: funds_hold found 3 of 4 with one false alarm, store_closure 2 of 3.
TRUTH = [["funds_hold"], ["funds_hold"], ["funds_hold"], ["funds_hold", "store_closure"],
         ["store_closure"], ["store_closure"], [], [], [], []]
PREDICTED = [["funds_hold"], ["funds_hold"], [], ["funds_hold", "store_closure"],
             ["store_closure"], [], ["funds_hold"], [], [], []]


def test_perfect_predictions_have_a_point_interval():
    assert macro_interval(TOPICS, TRUTH, TRUTH) == (1.0, 1.0)


def test_the_interval_holds_the_score_and_narrows_with_more_posts():
    point = score_predictions(TOPICS, TRUTH, PREDICTED)["macro"]["f1"]
    low, high = macro_interval(TOPICS, TRUTH, PREDICTED)
    assert low < point < high
    # Seeded: the same predictions print the same interval.
    assert macro_interval(TOPICS, TRUTH, PREDICTED) == (low, high)
    # The same pattern on four times the posts: same point, a narrower interval.
    low4, high4 = macro_interval(TOPICS, TRUTH * 4, PREDICTED * 4)
    assert score_predictions(TOPICS, TRUTH * 4, PREDICTED * 4)["macro"]["f1"] == point
    assert high4 - low4 < high - low


def test_the_report_scores_each_language_on_its_own():
    langs = ["en"] * 6 + ["de", "de", "fr", "fr"]
    truth = TRUTH[:6] + [["store_closure"], [], [], []]
    predicted = PREDICTED[:6] + [["store_closure"], [], [], []]
    report = evaluation_report(TOPICS, truth, predicted, langs)
    assert report["macro"] == score_predictions(TOPICS, truth, predicted)["macro"]
    assert list(report["by_language"]) == ["en", "de", "fr"]          # most posts first
    assert report["by_language"]["de"] == {"examples": 2, "macro": {"precision": 1.0, "recall": 1.0,
                                                                     "f1": 1.0}}
    # Two French negatives, nothing predicted: there is no score to give, not a zero.
    assert report["by_language"]["fr"] == {"examples": 2, "macro": None}
    table = format_table(report)
    assert "macro-F1 95% interval" in table
    assert "de 1.000 (2)" in table and "fr – (2, no topic labelled or predicted)" in table


def test_one_language_gets_no_breakdown():
    report = evaluation_report(TOPICS, TRUTH, PREDICTED, ["en"] * len(TRUTH))
    assert "by_language" not in report and "by language" not in format_table(report)
