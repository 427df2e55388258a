"""`crackdown similar`: nearest posts by stored embedding (sign-bit index + exact cosine rerank),
with the real packaged encoder for the themes and synthetic vectors for the index mechanics."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from classify.encoder import PACKAGED_MODEL, get_encoder
from crackdown.archive import similar, tags
from crackdown.archive.retention import prune_before
from crackdown.cli import cli
from tests.archive_samples import build, save
from tests.conftest import REPO

THEMES = {
    "funds": ["Amazon is holding my disbursements for 90 days after deactivation",
              "Payouts frozen: the marketplace keeps our balance while it reviews the account",
              "Reserve placed on my seller funds, money stuck for weeks"],
    "logistics": ["Inbound shipments to the fulfillment warehouse delayed at check-in",
                  "Freight carriers deliver late to warehouses before the holidays",
                  "FBA warehouse storage limits cut again for inbound shipments"],
    "reviews": ["Sellers banned for paying for five-star reviews",
                "Review brokers sued for selling fake ratings to merchants",
                "Incentivized reviews removed in a sweep across the store"],
}


@pytest.fixture(scope="module")
def themed(tmp_path_factory):
    path = tmp_path_factory.mktemp("similar") / "archive.db"
    db, ids = build(path)
    encoder = get_encoder(PACKAGED_MODEL)
    keys, texts = [], []
    for theme, titles in THEMES.items():
        for n, title in enumerate(titles):
            key = f"{theme}{n}"
            ids[key] = save(db, key, "pulse", f"2021-05-{10 + n:02d}", title, "", [], [], "en")
            keys.append(key)
            texts.append(title)
    tags.save_embeddings(db, [ids[k] for k in keys], encoder.encode(texts), PACKAGED_MODEL)
    yield path, db, ids
    db.close()


def _cli(path, *args):
    return CliRunner().invoke(cli, ["--config", str(REPO / "config.toml"), "--db", str(path), *args])


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_neighbours_of_a_post_share_its_theme(themed, theme):
    _, db, ids = themed
    similar.refresh_index(db)
    query = ids[f"{theme}0"]
    found = similar.nearest(db, similar.post_vector(db, query), limit=2, exclude=query)
    assert {n.post_id for n in found} == {ids[f"{theme}1"], ids[f"{theme}2"]}
    assert query not in {n.post_id for n in similar.nearest(db, similar.post_vector(db, query),
                                                             limit=9, exclude=query)}


def test_free_text_is_embedded_with_the_packaged_model(themed):
    path, _, ids = themed
    result = _cli(path, "similar", "my payout balance is on hold", "--limit", "3", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert {r["id"] for r in rows} == {ids[f"funds{n}"] for n in range(3)}
    assert rows[0]["similarity"] >= rows[-1]["similarity"] > 0.3


def test_post_without_embedding_or_unknown_id_is_a_usage_error(themed):
    path, _, ids = themed
    result = _cli(path, "similar", str(ids["zh_ban"]))
    assert result.exit_code == 2 and "no stored embedding" in result.output
    result = _cli(path, "similar", "999999")
    assert result.exit_code == 2 and "no post 999999" in result.output


def _synthetic(db, n, seed=7, start_day=1):
    """n clustered unit vectors saved as embeddings of new posts; returns (ids, matrix)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(20, 384))
    matrix = centres[rng.integers(0, 20, n)] + 0.8 * rng.normal(size=(n, 384))
    matrix = (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float32)
    ids = [save(db, f"syn{seed}-{i}", "forum", f"2021-03-{start_day + i % 20:02d}", f"post {i}", "",
                [], [], "en") for i in range(n)]
    tags.save_embeddings(db, ids, matrix, "synthetic")
    return np.array(ids), matrix


def test_index_search_matches_exact_search_across_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(similar, "CHUNK", 97)           # many full chunks plus an open one
    monkeypatch.setattr(similar, "MIN_CANDIDATES", 150)
    db, _ = build(tmp_path / "a.db")
    ids, matrix = _synthetic(db, 1500)
    assert similar.refresh_index(db) == 1500
    assert db.execute("SELECT COUNT(*) FROM embedding_index").fetchone()[0] == 16
    more_ids, more = _synthetic(db, 300, seed=8)          # appended later: fills the open chunk
    assert similar.refresh_index(db) == 300 and similar.refresh_index(db) == 0
    all_ids, all_vectors = np.concatenate([ids, more_ids]), np.vstack([matrix, more])
    recalls = []
    for q in (0, 17, 901, 1600):
        exact = all_ids[np.argsort(-(all_vectors @ all_vectors[q]))[:10]]
        found = [n.post_id for n in similar.nearest(db, all_vectors[q], limit=10)]
        assert found[0] == all_ids[q]                    # itself, similarity 1
        recalls.append(len(set(found) & set(exact.tolist())) / 10)
    assert min(recalls) >= 0.9, recalls


def test_prune_empties_the_index_and_pruned_posts_disappear(tmp_path):
    db, _ = build(tmp_path / "a.db")
    ids, matrix = _synthetic(db, 60)
    similar.refresh_index(db)
    prune_before(db, "2021-03-11", vacuum=False)        # removes the posts dated 1-10 March
    assert db.execute("SELECT COUNT(*) FROM embedding_index").fetchone()[0] == 0
    similar.refresh_index(db)
    kept = {n.post_id for n in similar.nearest(db, matrix[0], limit=60)}
    remaining = {r[0] for r in db.execute("SELECT post_id FROM embeddings")}
    assert kept == remaining and len(remaining) == 30


@pytest.mark.parametrize("width", [48, 5])   # 8-byte words (numpy >= 2), and the byte table
def test_hamming_counts_differing_bits(width):
    rng = np.random.default_rng(3)
    bits = rng.integers(0, 256, (200, width), dtype=np.uint8)
    query = rng.integers(0, 256, (1, width), dtype=np.uint8)
    assert similar.hamming(bits, query).tolist() == np.unpackbits(bits ^ query, axis=1).sum(axis=1).tolist()
