"""Classifying posts given as data (the `predict` and `eval` commands)."""

from __future__ import annotations

from pathlib import Path

from crackdown.config import Config


def predict_rows(config: Config, rows: list[dict]) -> list[dict]:
    """[{"id", "lang", "labels", "scores"}] for rows with id, title, text and optional lang
    (the output's lang is the one read from the post's own text)."""
    from classify.stage import config_encoder, config_ml_encoder, load_model
    from crackdown.archive import open_archive

    # Read-only: predicting never writes, and may run while a daily job holds the archive.
    db = open_archive(config.archive.path, readonly=True) if Path(config.archive.path).exists() else None
    try:
        model = load_model(config, db)
    finally:
        if db is not None:
            db.close()
    encoder, ml_encoder = config_encoder(config), config_ml_encoder(config)
    langs = [r.get("lang") for r in rows]   # hints only: each post's own text decides
    out = []
    for start in range(0, len(rows), 256):
        chunk = rows[start:start + 256]
        preds = model.predict([r.get("title", "") for r in chunk], [r["text"] for r in chunk],
                              langs[start:start + 256], encoder=encoder, ml_encoder=ml_encoder)
        out += [{"id": r["id"], "lang": p.lang, "labels": p.labels,
                 "scores": {k: round(v, 4) for k, v in p.scores.items()}}
                for r, p in zip(chunk, preds)]
    return out
