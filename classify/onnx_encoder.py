"""A sentence-transformers model run as an int8 ONNX graph with onnxruntime (about 2–3x torch on CPU).

1. `export_int8` (once per model and machine, at first use, into the machine's cache folder, shared
   by every model_dir): the transformer is traced to ONNX with torch, its MatMuls quantised to int8
   per channel, and the result checked against the torch vectors on probe sentences. A model that
   fails the check is marked, and torch is used.
2. `OnnxEncoder.encode` needs only `tokenizers`, `onnxruntime` and numpy: running the exported
   graph never imports torch, so a classify run with nothing new to embed stays light.

Only plain models are exported: one Transformer module, mean or CLS pooling, optional Normalize.
Anything else (Dense layers, other poolings) runs with torch.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

EXPORT_VERSION = "2"        # bump when the export recipe changes: old exports are then ignored
MIN_COSINE = 0.98           # int8 vectors must stay this close to torch's, else torch is used
_PLAIN_MODULES = {"sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling",
                  "sentence_transformers.models.Normalize"}
# Probe sentences for the export check: short and long, English and Chinese, to exercise padding.
_PROBES = [
    "Amazon suspended hundreds of seller accounts for review manipulation this week.",
    "Payout on hold",
    "Etsy placed a 75% reserve on my shop after my best month ever; funds are released over "
    "45 days and support will not say why. " * 3,
    "亚马逊封号潮持续发酵，多家深圳大卖店铺被关，资金被冻结。",
    "Walmart will require new sellers to complete a video verification call before listing items.",
]


class ExportFailed(Exception):
    """The model could not be exported, or its int8 vectors were too far from torch's."""


def plain_layout(model_dir: Path) -> tuple[Path, str, bool] | None:
    """(transformer dir, pooling 'mean'|'cls', normalise) for a plain model, else None."""
    modules_file = model_dir / "modules.json"
    if not modules_file.exists():
        return None
    modules = json.loads(modules_file.read_text(encoding="utf-8"))
    if {m["type"] for m in modules} - _PLAIN_MODULES:
        return None
    transformer = next((m for m in modules if m["type"].endswith(".Transformer")), None)
    pooling = next((m for m in modules if m["type"].endswith(".Pooling")), None)
    if transformer is None or pooling is None:
        return None
    pool_cfg = json.loads((model_dir / pooling["path"] / "config.json").read_text(encoding="utf-8"))
    modes = [k for k, v in pool_cfg.items() if k.startswith("pooling_mode") and v]
    mode = {"pooling_mode_mean_tokens": "mean", "pooling_mode_cls_token": "cls"}.get(
        modes[0]) if len(modes) == 1 else None
    if mode is None:
        return None
    normalise = any(m["type"].endswith(".Normalize") for m in modules)
    return model_dir / transformer["path"], mode, normalise


def model_fingerprint(model_dir: Path) -> str:
    """Names and sizes of the model's files: changes when the weights do, without hashing 90 MB."""
    h = hashlib.sha256(EXPORT_VERSION.encode())
    for path in sorted(model_dir.rglob("*")):
        if path.is_file():
            h.update(f"{path.relative_to(model_dir)}:{path.stat().st_size}".encode())
    return h.hexdigest()[:12]


def export_dir(cache_root: Path, model_dir: Path) -> Path:
    return cache_root / "onnx" / f"{model_dir.name}-{model_fingerprint(model_dir)}"


def export_int8(model_dir: Path, target: Path, max_seq_length: int) -> dict:
    """Export, quantise and check `model_dir` into `target`, written whole or not at all (the
    folder is shared by every process on the machine); returns the check's figures."""
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        figures = _export_into(model_dir, work, max_seq_length)
        work.chmod(0o755)
        if (target / "export.json").exists():   # another process finished first: keep theirs
            shutil.rmtree(work)
        else:
            if target.exists():                 # what an interrupted export left behind
                shutil.rmtree(target)
            work.rename(target)
        return figures
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def _export_into(model_dir: Path, target: Path, max_seq_length: int) -> dict:
    layout = plain_layout(model_dir)
    if layout is None:
        raise ExportFailed("not a plain Transformer + Pooling model")
    transformer_dir, pooling, normalise = layout
    from classify.encoder import offline_environment

    offline_environment()
    import torch
    from transformers import AutoModel

    fp32_path, int8_path = target / "model_fp32.onnx", target / "model_int8.onnx"
    model = AutoModel.from_pretrained(str(transformer_dir), attn_implementation="eager")
    model.eval()
    tokenizer = load_tokenizer(transformer_dir, max_seq_length)
    input_names = ["input_ids", "attention_mask"] + (["token_type_ids"] if _takes_token_types(model)
                                                     else [])

    class Wrapped(torch.nn.Module):   # a fixed signature for the tracer
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, *inputs):
            return self.inner(**dict(zip(input_names, inputs))).last_hidden_state

    # The reference for the check: torch vectors on a padded batch of mixed length, computed
    # before tracing (the exporter can leave the module in a state that changes its output).
    ids, mask, types = _tokenize(tokenizer, _PROBES)
    with torch.no_grad():
        hidden = Wrapped(model)(*(torch.from_numpy(a) for a in (ids, mask, types)[:len(input_names)]))
    reference = _pool(hidden.numpy(), mask, pooling, normalise=True)

    ids, mask, types = _tokenize(tokenizer, _PROBES[:2])
    sample = tuple(torch.from_numpy(a) for a in (ids, mask, types)[:len(input_names)])
    dynamic = {name: {0: "batch", 1: "tokens"} for name in [*input_names, "last_hidden_state"]}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")   # tracer chatter about constant shapes; the check below decides
        torch.onnx.export(Wrapped(model), sample, str(fp32_path), input_names=input_names,
                          output_names=["last_hidden_state"], dynamic_axes=dynamic,
                          opset_version=17, dynamo=False)
    quantise_int8(fp32_path, int8_path)
    fp32_path.unlink()
    candidate = OnnxEncoder(int8_path, transformer_dir, "check", max_seq_length, pooling,
                            normalise=True).encode(_PROBES)
    cosine = (reference * candidate).sum(axis=1)
    figures = {"min_cosine": round(float(cosine.min()), 4), "mean_cosine": round(float(cosine.mean()), 4),
               "pooling": pooling, "normalise": normalise, "inputs": input_names,
               "transformer_dir": str(transformer_dir)}
    if cosine.min() < MIN_COSINE:
        raise ExportFailed(f"int8 vectors too far from torch (min cosine {cosine.min():.3f})")
    # Written last: its presence marks a complete, checked export.
    (target / "export.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return figures


def quantise_int8(source: Path, target: Path, op_types: tuple[str, ...] = ("MatMul",)) -> None:
    """Dynamic int8, per channel, MatMul only, except the first layer's FFN output projection.

    That projection's input (after GELU) is the most skewed in the model: measured on 1,000 posts,
    keeping it alone in float lifts the mean cosine to torch from 0.9946 to 0.9958, while keeping
    all six FFN outputs in float (0.9974) costs a quarter of the speed. `op_types` may add
    "Gather": a 250k-word embedding table is then stored in int8 too (a quarter of the size).
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(source)).graph
    ffn_outputs = [n.name for n in graph.node if n.op_type == "MatMul"
                   and "output/dense" in n.name and "attention" not in n.name]
    # onnxruntime logs a pre-processing hint on the root logger; it is advice for image models
    # and would otherwise land in cron's mail on the first run.
    root = logging.getLogger()
    previous = root.level
    root.setLevel(logging.ERROR)
    try:
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=list(op_types), nodes_to_exclude=ffn_outputs[:1])
    finally:
        root.setLevel(previous)


def _takes_token_types(model) -> bool:
    return getattr(model.config, "type_vocab_size", 0) > 1 or model.config.model_type == "bert"


def load_tokenizer(transformer_dir: Path, max_seq_length: int):
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(transformer_dir / "tokenizer.json"))
    # The file may carry fixed padding/truncation (all-MiniLM's pads to 128): set ours.
    tokenizer.enable_truncation(max_length=max_seq_length)
    tokenizer.enable_padding(pad_id=tokenizer.padding["pad_id"] if tokenizer.padding else 0,
                             pad_token=tokenizer.padding["pad_token"] if tokenizer.padding else "[PAD]")
    return tokenizer


def _tokenize(tokenizer, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    encoded = tokenizer.encode_batch(texts)
    ids = np.array([e.ids for e in encoded], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
    types = np.array([e.type_ids for e in encoded], dtype=np.int64)
    return ids, mask, types


def _pool(hidden: np.ndarray, mask: np.ndarray, pooling: str, normalise: bool) -> np.ndarray:
    if pooling == "cls":
        vectors = hidden[:, 0]
    else:
        weights = mask[..., None].astype(hidden.dtype)
        vectors = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    if normalise:
        vectors = vectors / np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)
    return vectors.astype(np.float32)


def cpu_session(onnx_path: Path):
    """An onnxruntime CPU session as both encoders run theirs."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.inter_op_num_threads = 1   # intra-op threads default to the physical cores
    # Idle threads sleep instead of spinning: a daily job shares the machine with others.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])


class OnnxEncoder:
    """Normalised sentence embeddings from an exported int8 graph (no torch)."""

    backend = "onnx-int8"

    def __init__(self, onnx_path: Path, transformer_dir: Path, name: str, max_seq_length: int = 128,
                 pooling: str = "mean", normalise: bool = True, batch_size: int = 16):
        self.name, self.max_seq_length, self.batch_size = name, max_seq_length, batch_size
        self.pooling, self.normalise = pooling, normalise
        self.tokenizer = load_tokenizer(transformer_dir, max_seq_length)
        self.session = cpu_session(onnx_path)
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.dim = self.session.get_outputs()[0].shape[-1]

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim if isinstance(self.dim, int) else 384), dtype=np.float32)
        # Batches of similar length waste little on padding; results go back in input order.
        order = np.argsort([len(t) for t in texts], kind="stable")
        out: list[np.ndarray | None] = [None] * len(texts)
        for start in range(0, len(texts), self.batch_size):
            index = order[start:start + self.batch_size]
            ids, mask, types = _tokenize(self.tokenizer, [texts[i] for i in index])
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            hidden = self.session.run(None, {k: feed[k] for k in self.inputs})[0]
            for i, vector in zip(index, _pool(hidden, mask, self.pooling, self.normalise)):
                out[i] = vector
        return np.stack(out)
