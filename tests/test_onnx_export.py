"""The int8 export folder is shared by every model_dir on a machine: it appears whole or not at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classify import onnx_encoder


def _fake_export(calls: list[Path], fail: bool = False):
    def export_into(model_dir: Path, target: Path, max_seq_length: int) -> dict:
        calls.append(target)
        (target / "model_int8.onnx").write_bytes(b"graph")
        if fail:
            raise onnx_encoder.ExportFailed("int8 vectors too far from torch")
        (target / "export.json").write_text(json.dumps({"min_cosine": 0.99}), encoding="utf-8")
        return {"min_cosine": 0.99}
    return export_into


def test_a_failed_export_leaves_nothing_behind(tmp_path, monkeypatch):
    calls: list[Path] = []
    monkeypatch.setattr(onnx_encoder, "_export_into", _fake_export(calls, fail=True))
    target = tmp_path / "onnx" / "model-abc" / "seq128"
    with pytest.raises(onnx_encoder.ExportFailed):
        onnx_encoder.export_int8(tmp_path / "model", target, 128)
    assert calls and calls[0] != target              # written beside the target, not into it
    assert list((tmp_path / "onnx" / "model-abc").iterdir()) == []


def test_an_export_replaces_an_interrupted_one_and_keeps_a_finished_one(tmp_path, monkeypatch):
    calls: list[Path] = []
    monkeypatch.setattr(onnx_encoder, "_export_into", _fake_export(calls))
    target = tmp_path / "onnx" / "model-abc" / "seq128"
    target.mkdir(parents=True)
    (target / "model_fp32.onnx").write_bytes(b"half")   # a kill before export.json was written
    assert onnx_encoder.export_int8(tmp_path / "model", target, 128) == {"min_cosine": 0.99}
    assert sorted(p.name for p in target.iterdir()) == ["export.json", "model_int8.onnx"]
    # Another process that finishes second keeps the first one's export and removes its own.
    (target / "model_int8.onnx").write_bytes(b"first")
    onnx_encoder.export_int8(tmp_path / "model", target, 128)
    assert (target / "model_int8.onnx").read_bytes() == b"first"
    assert [p.name for p in target.parent.iterdir()] == ["seq128"]
