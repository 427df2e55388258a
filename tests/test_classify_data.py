"""The labelled data: every file parses, ids are unique, labels are topics, and no training example
copies text from the realistic splits (a post seen in training would flatter their scores).
Dev and test posts may share page chrome (the same made-up sites' footers): that is not checked."""

from __future__ import annotations

import re
from collections import Counter

from classify.data_io import DEV_FILE, TEST_FILE, read_jsonl, seed_files
from crackdown.config import DEFAULT_TOPICS

TOPICS = {t.id for t in DEFAULT_TOPICS}
# A shared run this long is a copied paragraph. Shorter ones occur where two posts quote the same
# law (the DSA's Article 30 wording, the INFORM Consumers Act's full name: up to 160 characters).
SHINGLE_CHARS = 200


def _all_rows() -> dict[str, list[dict]]:
    files = [*seed_files(), DEV_FILE, TEST_FILE]
    return {path.name: read_jsonl(path, require=("id", "title", "text", "labels")) for path in files}


def _shingles(text: str) -> set[int]:
    flat = re.sub(r"\s+", " ", text.lower()).strip()
    return {hash(flat[i:i + SHINGLE_CHARS]) for i in range(max(1, len(flat) - SHINGLE_CHARS + 1))}


def test_every_labelled_file_has_unique_ids_and_known_topics():
    rows = _all_rows()
    assert len(rows) >= 8
    ids = Counter(r["id"] for file_rows in rows.values() for r in file_rows)
    assert not [i for i, n in ids.items() if n > 1]
    for name, file_rows in rows.items():
        for r in file_rows:
            assert set(r["labels"]) <= TOPICS, (name, r["id"], r["labels"])
            assert r["title"].strip() and r["text"].strip(), (name, r["id"])
            assert r.get("split", "train") in ("train", "heldout"), (name, r["id"])


def test_training_examples_copy_no_text_from_the_realistic_splits():
    rows = _all_rows()
    dev, test = rows.pop(DEV_FILE.name), rows.pop(TEST_FILE.name)
    seen: dict[int, str] = {}
    for r in dev + test:
        for s in _shingles(f"{r['title']} {r['text']}"):
            seen.setdefault(s, r["id"])
    titles = {r["title"].strip().lower(): r["id"] for r in dev + test}
    for name, file_rows in rows.items():
        for r in file_rows:
            title = r["title"].strip().lower()
            assert title not in titles, (name, r["id"], titles.get(title))
            copied = {seen[s] for s in _shingles(f"{r['title']} {r['text']}") if s in seen}
            assert not copied, (name, r["id"], sorted(copied))
