"""Embeddings of training and calibration texts, cached by encoder and text, shared across models.

Training encodes ~1,500 seed examples and the dev split with two encoders; the multilingual one
takes minutes for that. The vectors depend only on the encoder and the text, so they are kept in
one cache per machine (`$CRACKDOWN_CACHE_DIR`, else `$XDG_CACHE_HOME/crackdown`, else
`~/.cache/crackdown`) and any model_dir — a new archive, a retrain after a correction, a test —
pays only for texts it has not seen. Deleting the folder is always safe.

The multilingual vectors of the seed and dev texts also ship with the package
(`classify/data/vectors/`, float16, built by `make vectors`), so a fresh install trains in
seconds; a text edited since is simply encoded again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

PACKAGED_DIR = Path(__file__).resolve().parent / "data" / "vectors"


def cache_dir() -> Path:
    explicit = os.environ.get("CRACKDOWN_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "crackdown"


class CachedEncoder:
    """Wraps an encoder (`encode`, `vectors_id`) with a text-keyed vector cache on disk."""

    def __init__(self, encoder, folder: Path | None = None):
        self.encoder = encoder
        self.vectors_id = encoder.vectors_id
        self.file_name = f"embeddings-{hashlib.sha1(self.vectors_id.encode()).hexdigest()[:16]}.npz"
        self.path = (folder or cache_dir()) / self.file_name
        self._cache: dict[str, np.ndarray] | None = None
        self._lengths: dict[int, CachedEncoder] = {}

    def _load(self) -> dict[str, np.ndarray]:
        if self._cache is None:
            self._cache = {}
            for path in (PACKAGED_DIR / self.file_name, self.path):
                if path.exists():
                    try:
                        data = np.load(path)
                        self._cache.update(zip(data["keys"].tolist(),
                                               data["vectors"].astype(np.float32)))
                    except Exception as exc:   # a torn write: the cache is rebuilt, never fatal
                        log.warning("embedding cache %s unreadable (%s); rebuilding", path, exc)
        return self._cache

    def with_max_tokens(self, max_tokens: int) -> CachedEncoder:
        """The wrapped encoder at another length (a multilingual one), cached in its own file."""
        if max_tokens not in self._lengths:
            self._lengths[max_tokens] = CachedEncoder(self.encoder.with_max_tokens(max_tokens),
                                                      self.path.parent)
        return self._lengths[max_tokens]

    def token_counts(self, texts: list[str]) -> list[int]:
        return self.encoder.token_counts(texts)

    def encode(self, texts: list[str]) -> np.ndarray:
        cache = self._load()
        keys = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
        missing = {k: t for k, t in zip(keys, texts) if k not in cache}
        if missing:
            vectors = self.encoder.encode(list(missing.values()))
            cache.update(zip(missing, vectors))
            self._save(cache)
        if not keys:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([cache[k] for k in keys]).astype(np.float32)

    def _save(self, cache: dict[str, np.ndarray]) -> None:
        """Write to a temporary file and rename, so a parallel reader never sees half a file."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, suffix=".npz")
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, keys=np.array(list(cache)), vectors=np.stack(list(cache.values())))
            os.replace(tmp, self.path)
        except OSError as exc:   # a read-only home: training still works, only slower next time
            log.warning("cannot write embedding cache %s (%s)", self.path, exc)


def write_packaged(encoder, texts: list[str]) -> Path:
    """Encode `texts` and write their vectors (float16) where every install finds them."""
    cached = CachedEncoder(encoder)
    vectors = cached.encode(texts)
    keys = list(dict.fromkeys(hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts))
    by_key = dict(zip((hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts), vectors))
    PACKAGED_DIR.mkdir(parents=True, exist_ok=True)
    target = PACKAGED_DIR / cached.file_name
    np.savez_compressed(target, keys=np.array(keys),
                        vectors=np.stack([by_key[k] for k in keys]).astype(np.float16))
    return target
