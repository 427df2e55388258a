"""Precision, recall and F1 per topic and macro-averaged, for multi-label predictions."""

from __future__ import annotations

from collections.abc import Sequence


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


def format_table(report: dict) -> str:
    lines = [f"{'topic':<18} {'prec':>6} {'recall':>6} {'f1':>6} {'support':>7}"]
    for topic, m in report["per_topic"].items():
        lines.append(f"{topic:<18} {m['precision']:>6.3f} {m['recall']:>6.3f} {m['f1']:>6.3f} "
                     f"{m['support']:>7}")
    mac = report["macro"]
    lines.append(f"{'macro':<18} {mac['precision']:>6.3f} {mac['recall']:>6.3f} {mac['f1']:>6.3f} "
                 f"{report['examples']:>7}")
    return "\n".join(lines)
