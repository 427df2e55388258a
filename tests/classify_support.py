"""The classifier trained once per test session (real packaged model) for every classify test module."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crackdown.config import load_config
from tests.conftest import write_config

_SESSION: dict[str, object] = {}
SOURCE = {"id": "forum", "name": "Seller forum", "type": "feed", "url": "http://127.0.0.1:9/feed",
          "marketplaces": ["amazon"]}


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """(config path, config, model): the real packaged encoder, int8 export and heads, trained once."""
    if "trained" not in _SESSION:
        from classify.stage import load_model

        folder = tmp_path_factory.mktemp("classify")
        path = write_config(folder, [SOURCE])
        config = load_config(path)
        _SESSION["trained"] = (path, config, load_model(config))
    return _SESSION["trained"]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path
