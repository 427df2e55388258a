"""The classify stage: tag archived posts that lack tags for the current model version."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from classify.classifier import Prediction, TopicModel
from classify.embedding_cache import cache_dir
from classify.encoder import Encoder, get_encoder
from classify.marketplaces import mentioned_marketplaces
from classify.multilingual import MultilingualEncoder, get_multilingual
from crackdown.archive import cross_language, open_archive, tags
from crackdown.archive import posts as post_rows
from crackdown.config import Config

log = logging.getLogger(__name__)


@dataclass
class ClassifyReport:
    model_version: str
    classified: int = 0
    tagged: int = 0
    corrected: int = 0
    grouping_vectors: int = 0   # posts read again for cross-language story grouping

    def as_stats(self) -> dict:
        return {"model_version": self.model_version, "classified": self.classified,
                "tagged": self.tagged, "corrected": self.corrected,
                "grouping_vectors": self.grouping_vectors}


def config_encoder(config: Config) -> Encoder:
    """The configured encoder. Its int8 ONNX export (if any) is made once per machine into the
    cache folder (`classify.embedding_cache.cache_dir`), so a new model_dir does not export again."""
    c = config.classify
    return get_encoder(c.model, c.max_seq_length, c.batch_size, cache_dir=cache_dir())


def config_ml_encoder(config: Config) -> MultilingualEncoder | None:
    """The multilingual encoder for posts the English one cannot read (None when not configured)."""
    c = config.classify
    return get_multilingual(c.multilingual, c.multilingual_max_tokens)


def load_model(config: Config, db=None) -> TopicModel:
    """The current model (trained on seed data plus the archive's corrections when `db` is given)."""
    from classify.train import load_or_train

    corrections = tags.corrected_posts(db) if db is not None else []
    return load_or_train(config, corrections, config_encoder(config), config_ml_encoder(config))


def classify_archive(config: Config, everything: bool = False) -> ClassifyReport:
    db = open_archive(config.archive.path)
    try:
        return _classify(config, db, everything)
    finally:
        db.close()


def _classify(config: Config, db, everything: bool) -> ClassifyReport:
    truth = tags.corrections(db)
    model = load_model(config, db)
    encoder = config_encoder(config)
    hints = {s.id: set(s.marketplaces) for s in config.sources}
    ml_encoder = config_ml_encoder(config)
    report = ClassifyReport(model.version)
    for batch in tags.posts_to_classify(db, model.version, everything):
        predictions = model.predict([p["title"] for p in batch], [p["body"] for p in batch],
                                    [p["lang"] for p in batch], encoder=encoder,
                                    ml_encoder=ml_encoder)
        for k, post in enumerate(batch):
            if post["id"] in truth:   # a person's correction outranks the model
                predictions[k] = corrected(predictions[k], truth[post["id"]], model.topics)
                report.corrected += 1
        with db.atomic():
            for attribute, table, encoder_name in (("vector", "embeddings", model.encoder_name),
                                                   ("ml_vector", "ml_embeddings",
                                                    model.ml_encoder_name)):
                embedded = [(p["id"], getattr(pred, attribute)) for p, pred in zip(batch, predictions)
                            if getattr(pred, attribute) is not None]
                if embedded:
                    tags.save_embeddings(db, [i for i, _ in embedded],
                                         np.stack([v for _, v in embedded]), encoder_name, table)
            for post, pred in zip(batch, predictions):
                tags.save_classification(db, post["id"], model.version, pred.scores, pred.labels,
                                         pred.method)
                # What the post names wins; the source's hint covers posts that name none.
                markets = (mentioned_marketplaces(f"{post['title']}\n{post['body']}")
                           or hints.get(post["source_id"], set()))
                post_rows.set_marketplaces(db, post["id"], markets)
                report.classified += 1
                report.tagged += bool(pred.labels)
            # In the batch's transaction: a run cut short leaves no classified post that a story
            # link can reach without its multilingual vector.
            if ml_encoder is not None and model.ml is not None:
                report.grouping_vectors += add_grouping_vectors(db, model, ml_encoder,
                                                                [p["id"] for p in batch])
    return report


def corrected(pred: Prediction, labels: set[str], topics: list[str]) -> Prediction:
    """A person's labels in place of the model's; the post's vectors are kept."""
    return Prediction(sorted(labels), {t: float(t in labels) for t in topics}, "label", pred.lang,
                      pred.vector, pred.ml_vector)


def add_grouping_vectors(db, model: TopicModel, ml_encoder: MultilingualEncoder,
                         classified: list[int], batch: int = 256) -> int:
    """Read the multilingual vector (the opening) of each post a cross-language story link can now
    reach and whose opening no multilingual route read (an English post on the fast route, a
    longer post in another language): a tagged post sharing a topic with a post across the
    Chinese/non-Chinese line of the same news cycle, one of the two just classified
    (`crackdown.archive.cross_language`). On an English-only day the second encoder stays off."""
    needed = cross_language.posts_needing_ml_vectors(db, classified)
    for start in range(0, len(needed), batch):
        rows = post_rows.titles_and_bodies(db, needed[start:start + batch])
        if not rows:
            continue
        ids, titles, bodies = zip(*rows)
        vectors = model.grouping_vectors(list(titles), list(bodies), ml_encoder)
        tags.save_embeddings(db, ids, vectors, model.ml_encoder_name, "ml_embeddings")
    if needed:
        log.info("read %d posts' multilingual vectors for cross-language story grouping", len(needed))
    return len(needed)
