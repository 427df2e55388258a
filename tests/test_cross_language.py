"""Which posts need a multilingual vector for cross-language story grouping, on a real archive."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from crackdown.archive import open_archive, posts, sources, tags
from crackdown.archive.cross_language import is_chinese, posts_needing_ml_vectors
from crackdown.config import SourceConfig
from tests.classify_support import trained  # noqa: F401  (session fixture)


@pytest.fixture
def db(tmp_path):
    db = open_archive(tmp_path / "archive.db")
    sources.sync_sources(db, [SourceConfig(id="forum", name="Forum", type="rss",
                                             url="http://127.0.0.1/feed")])
    yield db
    db.close()


def _post(db, n: int, title: str, at: str, topics: list[str], lang: str | None = "en",
          ml_vector: bool = False, published: bool = True) -> int:
    post_id, _ = posts.save_post(db, {
        "url": f"http://127.0.0.1/p/{n}", "source_id": "forum", "title": title, "body": "",
        "lang": lang, "published_at": at if published else None, "fetched_at": at,
        "content_hash": f"h{n}"})
    tags.save_classification(db, post_id, "v1", {t: 0.9 for t in topics}, topics, "test")
    if ml_vector:
        tags.save_embeddings(db, [post_id], np.ones((1, 4)), "e5", "ml_embeddings")
    return post_id


def test_a_tagged_english_post_needs_one_only_with_a_chinese_partner_in_the_window(db):
    funds = _post(db, 1, "Etsy payouts on hold", "2021-05-13T08:00:00+00:00", ["funds_hold"])
    closure = _post(db, 2, "Amazon closes stores", "2021-05-13T09:00:00+00:00", ["store_closure"])
    untagged = _post(db, 3, "Prime Day dates", "2021-05-13T09:30:00+00:00", [])
    far = _post(db, 4, "Etsy reserve again", "2021-05-15T12:00:00+00:00", ["funds_hold"])
    chinese = _post(db, 5, "Etsy资金被冻结", "2021-05-13T20:00:00+08:00", ["funds_hold"], lang="zh",
                    ml_vector=True)
    new = [funds, closure, untagged, far, chinese]
    # The Chinese post (12:00 UTC) is 4 hours from the first and 51 from the fourth.
    assert posts_needing_ml_vectors(db, new) == [funds]


def test_a_later_chinese_post_reaches_back_to_yesterdays_english_posts(db):
    first_day = [_post(db, 1, "Amazon suspends sellers over reviews", "2021-05-12T22:00:00+00:00",
                       ["review_abuse", "store_closure"]),
                 _post(db, 2, "Already read", "2021-05-12T23:00:00+00:00", ["store_closure"],
                       ml_vector=True),
                 _post(db, 3, "A week earlier", "2021-05-05T23:00:00+00:00", ["store_closure"])]
    assert posts_needing_ml_vectors(db, first_day) == []          # no Chinese post yet
    chinese = _post(db, 4, "亚马逊封号潮", "2021-05-13T10:00:00+00:00", ["store_closure"], lang="zh",
                    ml_vector=True)
    assert posts_needing_ml_vectors(db, [chinese]) == [first_day[0]]
    # A run that classified only an unrelated post settles nothing older.
    other = _post(db, 5, "Shipping rates", "2021-05-13T11:00:00+00:00", [])
    assert posts_needing_ml_vectors(db, [other]) == []
    assert posts_needing_ml_vectors(db, []) == []


def test_a_han_title_counts_as_chinese_and_other_languages_need_vectors_too(db):
    german = _post(db, 1, "Amazon sperrt Händlerkonten", "2021-05-13T08:00:00+00:00",
                   ["store_closure"], lang="de")
    han_title = _post(db, 2, "大卖被封", "2021-05-13T09:00:00", ["store_closure"], lang=None,
                      published=False, ml_vector=True)
    assert is_chinese(None, "大卖被封") and not is_chinese("ja-latn", "Amazon")
    # A timestamp without an offset still compares (story grouping reads it the same way).
    assert posts_needing_ml_vectors(db, [german, han_title]) == [german]


def test_a_long_chinese_post_needs_its_opening_only_with_a_partner_across_the_line(db):
    # Long Chinese posts: the multilingual route read more than their opening, so none is stored.
    closures = _post(db, 1, "亚马逊大批卖家店铺被封", "2021-05-13T02:00:00+00:00", ["store_closure"],
                     lang="zh")
    untagged = _post(db, 2, "深圳卖家旺季备货", "2021-05-13T03:00:00+00:00", [], lang="zh")
    leak = _post(db, 3, "刷单数据库泄露", "2021-05-13T04:00:00+00:00", ["data_leak"], lang="zh")
    german = _post(db, 4, "Amazon-Konten ohne Vorwarnung gesperrt", "2021-05-13T06:00:00+00:00",
                   ["store_closure"], lang="de", ml_vector=True)   # short: read as its opening
    # Neither Chinese post on a topic the German one shares, nor the untagged one, needs it.
    assert posts_needing_ml_vectors(db, [closures, untagged, leak, german]) == [closures]
    # An English report of the leak, the next morning and unread by the second encoder, reaches
    # back to the Chinese one: both need their opening, for the link needs both vectors.
    english = _post(db, 5, "Review-broker database left open", "2021-05-14T01:00:00+00:00",
                    ["data_leak", "review_abuse"])
    assert posts_needing_ml_vectors(db, [english]) == [leak, english]
    # Once both have theirs, nothing more is read.
    for post_id in (leak, english):
        tags.save_embeddings(db, [post_id], np.ones((1, 4)), "e5", "ml_embeddings")
    assert posts_needing_ml_vectors(db, [english]) == []


def test_a_batch_commits_with_its_grouping_vectors_or_not_at_all(trained, tmp_path, monkeypatch):  # noqa: F811
    from classify.classifier import TopicModel
    from classify.stage import classify_archive

    _, config, _ = trained
    config = replace(config, archive=replace(config.archive, path=tmp_path / "archive.db"))
    db = open_archive(config.archive.path)
    sources.sync_sources(db, config.sources)
    for n, (title, body, lang) in enumerate([
            ("Etsy shop reserve: 75% of my funds held", "Etsy put a reserve on my shop after a "
             "record month and my payouts are on hold for 45 days.", "en"),
            ("虾皮卖家店铺被冻结", "Shopee多个店铺因违规被冻结，卖家资金暂时无法提现。", "zh")]):
        posts.save_post(db, {"url": f"http://127.0.0.1/p/{n}", "source_id": "forum", "title": title,
                             "body": body, "lang": lang, "fetched_at": "2021-05-13T08:00:00+00:00",
                             "content_hash": f"h{n}"})
    db.close()

    def broken(*args, **kwargs):
        raise RuntimeError("the multilingual encoder failed")

    monkeypatch.setattr(TopicModel, "grouping_vectors", broken)
    with pytest.raises(RuntimeError):
        classify_archive(config)
    db = open_archive(config.archive.path)
    assert db.execute("SELECT COUNT(*) FROM classifications").fetchone()[0] == 0
    db.close()
    monkeypatch.undo()
    report = classify_archive(config)   # the next run classifies the batch again, vectors and all
    assert report.classified == 2 and report.grouping_vectors == 1
    db = open_archive(config.archive.path)
    assert db.execute("SELECT COUNT(*) FROM ml_embeddings").fetchone()[0] == 2
    db.close()
