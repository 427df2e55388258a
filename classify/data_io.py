"""Reading labelled examples (seed data, eval files, predict input) from JSONL."""

from __future__ import annotations

import json
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


class DataError(ValueError):
    """A JSONL file is malformed; the message names the file and line."""


def read_jsonl(path: Path | str, require: tuple[str, ...] = ("id", "title", "text"),
               topics: list[str] | None = None) -> list[dict]:
    path = Path(path)
    rows = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 ({exc.reason})") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}:{n}: invalid JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise DataError(f"{path}:{n}: expected a JSON object per line")
        missing = [k for k in require if k not in row]
        if missing:
            raise DataError(f"{path}:{n}: missing {', '.join(missing)} (each line needs "
                            f"{', '.join(require)})")
        wrong = [k for k in ("title", "text", "lang") if row.get(k) is not None
                 and not isinstance(row[k], str)]
        if wrong:
            raise DataError(f"{path}:{n}: {', '.join(wrong)} must be a string")
        if "labels" in require:
            labels = row["labels"]
            if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
                raise DataError(f"{path}:{n}: labels must be a list of topic ids ([] = none)")
            if topics is not None:
                unknown = [x for x in labels if x not in topics]
                if unknown:
                    raise DataError(f"{path}:{n}: unknown topic(s) {', '.join(unknown)}; "
                                    f"known: {', '.join(topics)}")
        row["title"] = row.get("title") or ""
        row["text"] = row.get("text") or ""
        rows.append(row)
    if not rows:
        raise DataError(f"{path}: no examples (expected one JSON object per line)")
    return rows


def seed_files() -> list[Path]:
    return sorted(DATA_DIR.glob("seed_*.jsonl"))


def load_seed(topics: list[str]) -> list[dict]:
    """All seed examples whose labels are configured topics (others are dropped from labels)."""
    rows = []
    for path in seed_files():
        for row in read_jsonl(path, require=("id", "title", "text", "labels")):
            row["labels"] = [x for x in row["labels"] if x in topics]
            row.setdefault("split", "train")
            row.setdefault("lang", "en")
            rows.append(row)
    return rows


DEV_FILE = DATA_DIR / "realistic_dev.jsonl"
TEST_FILE = DATA_DIR / "realistic_test.jsonl"


def load_dev(topics: list[str]) -> list[dict]:
    """The realistic dev split: the posts thresholds are chosen on (never trained on).

    Its twin, realistic_test.jsonl, is read by nothing here: it is scored with `crackdown eval`.
    """
    if not DEV_FILE.exists():
        return []
    rows = read_jsonl(DEV_FILE, require=("id", "title", "text", "labels"), topics=None)
    for row in rows:
        row["labels"] = [x for x in row["labels"] if x in topics]
    return rows
