"""Precision, recall and F1 per topic and macro-averaged, for multi-label predictions."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

BOOTSTRAP_RESAMPLES = 1000


def score_predictions(topics: Sequence[str], truth: Sequence[Sequence[str]],
                      predicted: Sequence[Sequence[str]]) -> dict:
    """{"per_topic": {topic: {precision, recall, f1, support}}, "macro": {precision, recall, f1}}.

    Topics with no true and no predicted examples are left out of the macro average.
    """
    per_topic = {}
    for topic in topics:
        tp = sum(1 for t, p in zip(truth, predicted) if topic in t and topic in p)
        fp = sum(1 for t, p in zip(truth, predicted) if topic not in t and topic in p)
        fn = sum(1 for t, p in zip(truth, predicted) if topic in t and topic not in p)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_topic[topic] = {"precision": round(precision, 4), "recall": round(recall, 4),
                            "f1": round(f1, 4), "support": tp + fn, "predicted": tp + fp}
    counted = [m for m in per_topic.values() if m["support"] or m["predicted"]]
    macro = {k: round(sum(m[k] for m in counted) / len(counted), 4) if counted else 0.0
             for k in ("precision", "recall", "f1")}
    exact = sum(1 for t, p in zip(truth, predicted) if set(t) == set(p))
    return {"per_topic": per_topic, "macro": macro, "examples": len(truth),
            "exact_match": round(exact / len(truth), 4) if truth else 0.0}


def evaluation_report(topics: Sequence[str], truth: Sequence[Sequence[str]],
                      predicted: Sequence[Sequence[str]], langs: Sequence[str | None]) -> dict:
    """score_predictions, with the macro-F1 interval and, given several languages, the macro
    scores per language (most posts first)."""
    report = score_predictions(topics, truth, predicted)
    report["macro_interval"] = list(macro_interval(topics, truth, predicted))
    groups: dict[str, list[int]] = {}
    for i, lang in enumerate(langs):
        groups.setdefault(lang or "unknown", []).append(i)
    if len(groups) > 1:
        report["by_language"] = {
            lang: {"examples": len(idx),
                   "macro": _macro_or_none(topics, [truth[i] for i in idx],
                                           [predicted[i] for i in idx])}
            for lang, idx in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))}
    return report


def _macro_or_none(topics: Sequence[str], truth: Sequence[Sequence[str]],
                   predicted: Sequence[Sequence[str]]) -> dict | None:
    """The macro scores, or None when no topic is labelled or predicted (nothing to average)."""
    report = score_predictions(topics, truth, predicted)
    if not any(m["support"] or m["predicted"] for m in report["per_topic"].values()):
        return None
    return report["macro"]


def macro_interval(topics: Sequence[str], truth: Sequence[Sequence[str]],
                   predicted: Sequence[Sequence[str]], level: float = 0.95,
                   resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0) -> tuple[float, float]:
    """A percentile bootstrap interval for macro-F1, the posts resampled with replacement.

    On a split of ~200 posts a topic has ~30 positives, and a handful of posts flipping moves
    macro-F1 by a few hundredths: the interval says how much of a difference between two runs
    can be chance. Seeded, so the same predictions always print the same interval.
    """
    if not truth:
        return 0.0, 0.0
    t = np.array([[topic in labels for topic in topics] for labels in truth])
    p = np.array([[topic in labels for topic in topics] for labels in predicted])
    n = len(t)
    weights = np.random.default_rng(seed).multinomial(n, np.full(n, 1 / n), size=resamples)
    tp, fp, fn = (weights @ (t & p), weights @ (~t & p), weights @ (t & ~p))
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(tp > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
    counted = (tp + fp + fn) > 0          # as in score_predictions: topics absent both ways are out
    macro = (f1 * counted).sum(axis=1) / np.maximum(counted.sum(axis=1), 1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(macro, [tail, 100 - tail])
    return round(float(low), 4), round(float(high), 4)


def format_table(report: dict) -> str:
    lines = [f"{'topic':<18} {'prec':>6} {'recall':>6} {'f1':>6} {'support':>7}"]
    for topic, m in report["per_topic"].items():
        lines.append(f"{topic:<18} {m['precision']:>6.3f} {m['recall']:>6.3f} {m['f1']:>6.3f} "
                     f"{m['support']:>7}")
    mac = report["macro"]
    lines.append(f"{'macro':<18} {mac['precision']:>6.3f} {mac['recall']:>6.3f} {mac['f1']:>6.3f} "
                 f"{report['examples']:>7}")
    if "macro_interval" in report:
        low, high = report["macro_interval"]
        lines.append(f"macro-F1 95% interval {low:.3f}–{high:.3f} (bootstrap over the "
                     f"{report['examples']} posts)")
    if report.get("by_language"):
        parts = [f"{lang} {r['macro']['f1']:.3f} ({r['examples']})" if r["macro"] else
                 f"{lang} – ({r['examples']}, no topic labelled or predicted)"
                 for lang, r in report["by_language"].items()]
        lines.append("macro-F1 by language (posts): " + ", ".join(parts))
    return "\n".join(lines)
