"""Training the topic model from seed data plus user corrections, cached by fingerprint.

1. Gather examples: the seed JSONL files and the corrections recorded with `crackdown label`.
2. Fingerprint them with the encoder name and topics; a cached model with that version is reused.
3. Encode the examples the encoder can read — the non-Chinese ones, or all of them with a
   multilingual encoder — (embeddings cached by text hash) and fit one logistic regression per
   topic; fit the Chinese character n-gram model on the Chinese examples it cannot read.
4. Choose per-topic thresholds on out-of-fold predictions of the training split.
5. Score the held-out split (reported as metrics) and save the model directory.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import numpy as np

from classify.classifier import LEXICON_WEIGHT, TopicModel, is_chinese, post_text
from classify.data_io import load_seed
from classify.lexicon import Lexicon, topic_keywords
from crackdown.config import Config

log = logging.getLogger(__name__)

TRAINER_VERSION = "5"   # bump when training changes in a way that should invalidate cached models
CORRECTION_WEIGHT = 3.0
# Inverse regularisation per route, chosen on held-out and demo-corpus F1: embeddings are dense and
# few (384), n-gram features sparse and many, so the n-gram heads need a looser penalty.
EMBEDDING_C = 4.0
NGRAM_C = 10.0


def fingerprint(config: Config, examples: list[dict], encoder_key: str = "") -> str:
    """Changes with the seed data, the corrections, the topics and the encoder (incl. backend)."""
    h = hashlib.sha256()
    h.update(TRAINER_VERSION.encode())
    h.update(config.classify.model.encode())
    h.update(encoder_key.encode())
    h.update(str(config.classify.max_seq_length).encode())
    for t in config.topics:
        h.update(json.dumps([t.id, *topic_keywords(t)], ensure_ascii=False).encode())
    for ex in examples:
        h.update(json.dumps([ex["title"], ex["text"], ex.get("lang"), sorted(ex["labels"]),
                             ex.get("split"), ex.get("weight", 1.0)], ensure_ascii=False).encode())
    return h.hexdigest()[:12]


def training_examples(config: Config, corrections: list[dict]) -> list[dict]:
    topics = config.topic_ids()
    examples = load_seed(topics)
    for c in corrections:
        examples.append({**c, "split": "train", "weight": CORRECTION_WEIGHT,
                         "lang": "zh" if is_chinese(c.get("lang")) else "en"})
    return examples


def model_directory(config: Config, version: str) -> Path:
    """Where the model of this version is cached under [classify] model_dir."""
    return Path(config.classify.model_dir) / version.replace("/", "_").replace("@", "-")


def load_or_train(config: Config, corrections: list[dict], encoder) -> TopicModel:
    """The model for the current seed data, corrections, encoder and topics (trained if needed)."""
    examples = training_examples(config, corrections)
    # The backend and export recipe are part of the version: thresholds chosen on int8 vectors
    # belong to them.
    encoder_key = f"{encoder.vectors_id}|multilingual={encoder.reads_chinese}"
    version = f"{config.classify.model}@{fingerprint(config, examples, encoder_key)}"
    directory = model_directory(config, version)
    if (directory / "model.json").exists():
        try:
            return TopicModel.load(directory, list(config.topics))
        except Exception as exc:  # a half-written or incompatible cache is rebuilt, not fatal
            log.warning("cached model at %s unreadable (%s); retraining", directory, exc)
    model = train(config, examples, encoder, version)
    model.save(directory)
    log.info("trained model %s: %s", version, model.metrics.get("heldout", {}).get("macro"))
    return model


def _fit_binary(x, y, weights, c: float):
    from sklearn.linear_model import LogisticRegression

    if y.sum() == 0 or y.sum() == len(y):
        return None
    clf = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
    clf.fit(x, y, sample_weight=weights)
    return clf


def _oof_probs(x, y, weights, c: float, folds: int = 5) -> np.ndarray:
    """Out-of-fold probabilities for threshold selection."""
    from sklearn.model_selection import StratifiedKFold

    probs = np.zeros(len(y))
    n_splits = min(folds, int(y.sum()), int(len(y) - y.sum()))
    if n_splits < 2:
        return probs
    for train_idx, test_idx in StratifiedKFold(n_splits, shuffle=True, random_state=0).split(x, y):
        clf = _fit_binary(x[train_idx], y[train_idx], weights[train_idx], c)
        if clf is not None:
            probs[test_idx] = clf.predict_proba(x[test_idx])[:, 1]
    return probs


def best_threshold(scores: np.ndarray, truth: np.ndarray) -> float:
    """The threshold with the best F1, searched in [0.25, 0.85] (0.5 when there is no signal)."""
    best, best_f1 = 0.5, -1.0
    for th in np.arange(0.25, 0.851, 0.025):
        pred = scores >= th
        tp = float((pred & truth).sum())
        f1 = 2 * tp / (pred.sum() + truth.sum()) if (pred.sum() + truth.sum()) else 0.0
        if f1 > best_f1 + 1e-9:
            best, best_f1 = float(th), f1
    return best


def encode_cached(encoder, texts: list[str], cache_path: Path) -> np.ndarray:
    """Encode with a text-hash cache, so retraining after a correction costs one new embedding."""
    cache: dict[str, np.ndarray] = {}
    if cache_path.exists():
        data = np.load(cache_path)
        cache = dict(zip(data["keys"].tolist(), data["vectors"]))
    tag = encoder.vectors_id
    keys = [hashlib.sha1(f"{tag}|{t}".encode()).hexdigest() for t in texts]
    missing = [i for i, k in enumerate(keys) if k not in cache]
    if missing:
        vectors = encoder.encode([texts[i] for i in missing])
        for i, v in zip(missing, vectors):
            cache[keys[i]] = v
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache_path, keys=np.array(list(cache)), vectors=np.stack(list(cache.values())))
    return np.stack([cache[k] for k in keys]) if keys else np.zeros((0, 384), np.float32)


def train(config: Config, examples: list[dict], encoder, version: str) -> TopicModel:
    from classify.evaluate import score_predictions

    topics = config.topic_ids()
    lexicon = Lexicon(config.topics)
    train_rows = [e for e in examples if e.get("split", "train") != "heldout"]
    y_all = np.array([[t in e["labels"] for t in topics] for e in train_rows], dtype=bool)
    w_all = np.array([float(e.get("weight", 1.0)) for e in train_rows])
    lex_all = lexicon.matrix([e["title"] for e in train_rows], [e["text"] for e in train_rows])
    texts = [post_text(e["title"], e["text"]) for e in train_rows]
    multilingual = encoder.reads_chinese
    zh_mask = np.array([is_chinese(e.get("lang")) and not multilingual for e in train_rows],
                       dtype=bool).reshape(len(train_rows))

    # English head on embeddings
    en_rows = np.where(~zh_mask)[0]
    emb = encode_cached(encoder, [texts[i] for i in en_rows],
                        Path(config.classify.model_dir) / "embedding_cache.npz")
    coef = np.zeros((len(topics), emb.shape[1]))
    intercept = np.full(len(topics), -10.0)
    en_th = np.full(len(topics), 0.5)
    for j in range(len(topics)):
        y, w = y_all[en_rows, j], w_all[en_rows]
        clf = _fit_binary(emb, y, w, c=EMBEDDING_C)
        if clf is None:
            continue
        coef[j], intercept[j] = clf.coef_[0], clf.intercept_[0]
        oof = ((1 - LEXICON_WEIGHT) * _oof_probs(emb, y, w, c=EMBEDDING_C)
               + LEXICON_WEIGHT * lex_all[en_rows, j])
        en_th[j] = best_threshold(oof, y)

    # Chinese character n-gram model
    zh_rows = np.where(zh_mask)[0]
    zh_pipeline, zh_th = None, np.full(len(topics), 0.5)
    if len(zh_rows) >= 10:
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), min_df=1,
                                     sublinear_tf=True, max_features=50000)
        x = vectorizer.fit_transform([texts[i] for i in zh_rows])
        heads = []
        for j in range(len(topics)):
            y, w = y_all[zh_rows, j], w_all[zh_rows]
            heads.append(_fit_binary(x, y, w, c=NGRAM_C))
            if heads[-1] is not None:
                oof = ((1 - LEXICON_WEIGHT) * _oof_probs(x, y, w, c=NGRAM_C)
                       + LEXICON_WEIGHT * lex_all[zh_rows, j])
                zh_th[j] = best_threshold(oof, y)
        zh_pipeline = (vectorizer, heads)

    model = TopicModel(version=version, topics=topics, encoder_name=config.classify.model,
                       max_seq_length=config.classify.max_seq_length, en_coef=coef,
                       en_intercept=intercept, en_thresholds=en_th, zh_pipeline=zh_pipeline,
                       zh_thresholds=zh_th, lexicon_topics=list(config.topics),
                       multilingual=multilingual)
    heldout = [e for e in examples if e.get("split") == "heldout"]
    if heldout:
        read = [e for e in heldout if model.uses_embedding(e.get("lang"))]
        vectors = encode_cached(encoder, [post_text(e["title"], e["text"]) for e in read],
                                Path(config.classify.model_dir) / "embedding_cache.npz")
        by_id = {}
        read_ids = {id(e) for e in read}
        unread = [e for e in heldout if id(e) not in read_ids]
        for group, embeddings in ((read, vectors), (unread, None)):
            if group:
                preds = model.predict([e["title"] for e in group], [e["text"] for e in group],
                                      [e.get("lang") for e in group], embeddings=embeddings)
                by_id.update({id(e): p for e, p in zip(group, preds)})
        preds = [by_id[id(e)] for e in heldout]
        model.metrics = {"heldout": score_predictions(topics, [e["labels"] for e in heldout],
                                                      [p.labels for p in preds]),
                         "examples": {"train": len(train_rows), "heldout": len(heldout)}}
    return model
