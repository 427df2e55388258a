"""classify / label / predict / eval through the real command line, on a real SQLite archive."""

from __future__ import annotations

import json
import sqlite3

import pytest

from classify.marketplaces import mentioned_marketplaces
from crackdown.archive import open_archive, posts, sources
from tests.classify_support import trained, write_jsonl  # noqa: F401  (session fixture)
from tests.conftest import run_cli

ARCHIVE_POSTS = [
    ("Amazon suspends seller accounts over fake reviews",
     "Hundreds of sellers report their Amazon accounts were deactivated this week for review "
     "manipulation; appeals are being rejected.", "en"),
    ("Prime Day 2021 dates announced", "Amazon confirmed Prime Day will run on June 21 and 22; "
     "sellers have until May 14 to submit deals.", "en"),
    ("Etsy shop reserve: 75% of my funds held", "Etsy put a reserve on my shop after a record month "
     "and my payouts are on hold for 45 days.", "en"),
    # Withheld payouts only (a frozen shop would share store_closure with the first post).
    ("虾皮卖家回款被暂扣", "Shopee多名卖家反映平台以风控为由暂扣回款，资金暂时无法提现。", "zh"),
    ("Holiday shipping deadlines", "UPS and FedEx published their last days for Christmas delivery; "
     "ground orders should ship by December 15.", "en"),
]


def _archive(path, config):
    db = open_archive(path)
    sources.sync_sources(db, config.sources)
    ids = []
    for i, (title, body, lang) in enumerate(ARCHIVE_POSTS):
        post_id, _ = posts.save_post(db, {"url": f"http://127.0.0.1/p/{i}", "source_id": "forum",
                                          "title": title, "body": body, "lang": lang,
                                          "fetched_at": "2021-05-13T08:00:00+00:00",
                                          "content_hash": f"h{i}"})
        ids.append(post_id)
    db.close()
    return ids


def _tags(path) -> dict[int, set[str]]:
    with sqlite3.connect(path) as conn:
        out: dict[int, set[str]] = {pid: set() for (pid,) in conn.execute("SELECT id FROM posts")}
        for pid, topic in conn.execute("SELECT post_id, topic FROM tags"):
            out[pid].add(topic)
    return out


def _ml_embedded(path) -> set[int]:
    with sqlite3.connect(path) as conn:
        return {p for (p,) in conn.execute("SELECT post_id FROM ml_embeddings")}


def test_classify_label_reclassify_keeps_the_correction(trained, tmp_path):  # noqa: F811
    config_path, config, model = trained
    db_path = tmp_path / "archive.db"
    ids = _archive(db_path, config)
    base = ["--config", str(config_path), "--db", str(db_path)]

    first = run_cli(*base, "classify")
    assert first.returncode == 0, first.stderr
    assert f"classified {len(ids)} posts" in first.stdout and model.version in first.stdout
    tags = _tags(db_path)
    assert "store_closure" in tags[ids[0]] and tags[ids[2]] >= {"funds_hold"}
    with sqlite3.connect(db_path) as conn:
        versions = {v for (v,) in conn.execute("SELECT model_version FROM classifications")}
        markets = set(conn.execute("SELECT post_id, marketplace FROM marketplaces"))
        embedded = {p for (p,) in conn.execute("SELECT post_id FROM embeddings")}
        ml_embedded = dict(conn.execute("SELECT post_id, dim FROM ml_embeddings"))
        methods = dict(conn.execute("SELECT post_id, method FROM tags"))
    assert versions == {model.version}
    assert {(ids[0], "amazon"), (ids[2], "etsy"), (ids[3], "shopee")} <= markets
    english = {ids[0], ids[1], ids[2], ids[4]}
    assert embedded == english               # the English encoder's vectors: English posts only
    # The multilingual vectors: the Chinese post, which that encoder classified, and each tagged
    # English post sharing a topic with it (story grouping links across languages only those).
    # The Amazon post shares none and took the fast route: the multilingual encoder never read it.
    assert tags[ids[4]] == set() and tags[ids[3]] & tags[ids[2]]
    assert methods[ids[0]] == "embedding+lexicon" and not tags[ids[0]] & tags[ids[3]]
    assert ml_embedded == {ids[2]: 384, ids[3]: 384}

    again = run_cli(*base, "classify")
    assert again.returncode == 0 and "classified 0 posts" in again.stdout

    # A person says the Prime Day post is not enforcement, and the Amazon one is about reviews only.
    labelled = run_cli(*base, "label", str(ids[0]), "review_abuse")
    assert labelled.returncode == 0, labelled.stderr
    assert run_cli(*base, "label", str(ids[1]), "--none").returncode == 0
    # ...and that the shipping-deadline post is news of a rule after all.
    assert run_cli(*base, "label", str(ids[4]), "policy_change").returncode == 0
    retrained = run_cli(*base, "classify")
    assert retrained.returncode == 0, retrained.stderr
    new_version = retrained.stdout.split("with model ")[-1].strip()
    assert new_version != model.version      # corrections change the training data, so the model
    tags = _tags(db_path)
    assert tags[ids[0]] == {"review_abuse"} and tags[ids[1]] == set()
    assert tags[ids[4]] == {"policy_change"}
    with sqlite3.connect(db_path) as conn:
        methods = dict(conn.execute("SELECT post_id, method FROM tags"))
        (scores,) = conn.execute("SELECT scores FROM classifications WHERE post_id = ?",
                                 (ids[1],)).fetchone()
    # A person's "--none" is stored as every topic at 0, whatever the model scored.
    assert methods[ids[0]] == "label" and set(json.loads(scores).values()) == {0.0}
    assert ids[4] not in _ml_embedded(db_path)   # no Chinese post about a new rule, yet
    # A Chinese report of a new rule arrives the same day: the next run reads the post the person
    # tagged, so that the two can join one story.
    db = open_archive(db_path)
    rule, _ = posts.save_post(db, {"url": "http://127.0.0.1/p/rule", "source_id": "forum",
                                   "title": "亚马逊发布新规：节日季订单配送时效调整",
                                   "body": "亚马逊宣布自12月1日起实施新政策，节日季订单须在规定时效内发货，"
                                           "卖家需及时调整物流设置。", "lang": "zh",
                                   "fetched_at": "2021-05-13T20:00:00+00:00", "content_hash": "h-rule"})
    db.close()
    assert run_cli(*base, "classify").returncode == 0
    assert "policy_change" in _tags(db_path)[rule]
    assert {ids[4], rule} <= _ml_embedded(db_path)
    everything = run_cli(*base, "classify", "--all")
    assert everything.returncode == 0 and f"classified {len(ids) + 1} posts" in everything.stdout
    assert _tags(db_path)[ids[0]] == {"review_abuse"} and _tags(db_path)[ids[1]] == set()


def test_label_rejects_unknown_topics_and_posts(trained, tmp_path):  # noqa: F811
    config_path, config, _ = trained
    db_path = tmp_path / "archive.db"
    ids = _archive(db_path, config)
    base = ["--config", str(config_path), "--db", str(db_path)]
    bad_topic = run_cli(*base, "label", str(ids[0]), "fraud")
    assert bad_topic.returncode == 2 and "unknown topic" in bad_topic.stderr
    assert run_cli(*base, "label", "9999", "--none").returncode == 2
    assert run_cli(*base, "label", str(ids[0])).returncode == 2


def test_predict_prints_one_json_object_per_post(trained, tmp_path):  # noqa: F811
    config_path, config, _ = trained
    rows = [{"id": "a", "title": "Walmart requires video verification for new sellers",
             "text": "New marketplace sellers must verify their identity on a video call."},
            {"id": 7, "title": "亚马逊大批店铺被封", "text": "卖家账号被封，申诉无果。", "lang": "zh"},
            {"id": "c", "text": "Holiday shipping deadlines for UPS and FedEx."}]
    result = run_cli("--config", str(config_path), "--db", str(tmp_path / "none.db"), "predict",
                     str(write_jsonl(tmp_path / "in.jsonl", rows)))
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", 7, "c"]
    for o in out:
        assert set(o) == {"id", "lang", "labels", "scores"}
        assert set(o["scores"]) == set(config.topic_ids())
        assert all(o["scores"][t] >= 0 for t in o["labels"])
    assert [o["lang"] for o in out] == ["en", "zh", "en"]     # read from each post's own text
    assert "verification" in out[0]["labels"] and "store_closure" in out[1]["labels"]
    assert out[2]["labels"] == []


@pytest.mark.parametrize("content, message", [
    ('{"id": 1, "title": "t", "text": "x"}\n{not json}\n', "in.jsonl:2: invalid JSON"),
    ('{"id": 1, "title": "t"}\n', "in.jsonl:1: missing text"),
    ('[1, 2]\n', "in.jsonl:1: expected a JSON object"),
])
def test_predict_bad_jsonl_is_a_usage_error_naming_the_line(trained, tmp_path, content, message):  # noqa: F811
    config_path, _, _ = trained
    (tmp_path / "in.jsonl").write_text(content, encoding="utf-8")
    result = run_cli("--config", str(config_path), "predict", str(tmp_path / "in.jsonl"))
    assert result.returncode == 2 and message in result.stderr, result.stderr


def test_eval_reports_per_topic_and_macro(trained, tmp_path):  # noqa: F811
    config_path, config, _ = trained
    rows = [{"id": 1, "title": "Amazon bans sellers for paying for five-star reviews",
             "text": "Accounts were suspended after Amazon found paid review schemes.",
             "labels": ["review_abuse", "store_closure"]},
            {"id": 2, "title": "Quarterly results", "text": "Revenue grew 12% on strong ads sales.",
             "labels": []},
            {"id": 3, "title": "亚马逊卖家资金被冻结", "text": "大批卖家账户资金冻结，无法提现。",
             "lang": "zh", "labels": ["funds_hold"]}]
    data = write_jsonl(tmp_path / "eval.jsonl", rows)
    result = run_cli("--config", str(config_path), "--db", str(tmp_path / "none.db"), "eval",
                     "--data", str(data), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report["per_topic"]) == set(config.topic_ids())
    assert report["examples"] == 3 and report["per_topic"]["funds_hold"]["support"] == 1
    assert {"precision", "recall", "f1"} <= set(report["macro"])
    low, high = report["macro_interval"]
    assert 0.0 <= low <= report["macro"]["f1"] <= high <= 1.0
    # Row 3's lang is given; rows 1 and 2 take the language read from their text.
    assert {lang: r["examples"] for lang, r in report["by_language"].items()} == {"en": 2, "zh": 1}
    table = run_cli("--config", str(config_path), "--db", str(tmp_path / "none.db"), "eval",
                    "--data", str(data))
    assert table.returncode == 0 and "macro" in table.stdout and "review_abuse" in table.stdout
    assert "macro-F1 95% interval" in table.stdout and "macro-F1 by language" in table.stdout

    (tmp_path / "bad.jsonl").write_text('{"id": 1, "text": "x", "labels": ["fraud"]}\n', encoding="utf-8")
    bad = run_cli("--config", str(config_path), "eval", "--data", str(tmp_path / "bad.jsonl"))
    assert bad.returncode == 2 and "unknown topic(s) fraud" in bad.stderr
    (tmp_path / "nolabels.jsonl").write_text('{"id": 1, "text": "x"}\n', encoding="utf-8")
    nolabels = run_cli("--config", str(config_path), "eval", "--data", str(tmp_path / "nolabels.jsonl"))
    assert nolabels.returncode == 2 and "missing labels" in nolabels.stderr


@pytest.mark.parametrize("market, english, chinese", [
    ("amazon", "Amazon sellers report", "亚马逊卖家"),
    ("ebay", "eBay managed payments", "易贝新规"),
    ("walmart", "Walmart Marketplace update", "沃尔玛平台"),
    ("etsy", "Etsy shop reserve", "Etsy卖家"),
    ("shopify", "Shopify Payments payouts", "Shopify独立站"),
    ("tiktok_shop", "TikTok Shop sellers", "TikTok Shop美区"),
    ("temu", "Temu semi-managed sellers", "拼多多跨境Temu"),
    ("aliexpress", "AliExpress Choice program", "速卖通卖家"),
    ("shein", "Shein marketplace opens", "希音平台"),
    ("shopee", "Shopee Philippines sellers", "虾皮卖家"),
])
def test_marketplaces_are_recognised_in_english_and_chinese(market, english, chinese):
    assert mentioned_marketplaces(english) == {market}
    assert market in mentioned_marketplaces(chinese)


def test_marketplace_names_inside_other_words_do_not_count():
    assert mentioned_marketplaces("Sheinfeld's etsyle amazonian adventures at the Temus") == set()
    assert mentioned_marketplaces("A tiktok video went viral") == set()
    # TTS is TikTok Shop only in capitals; lower-case it is text-to-speech.
    assert mentioned_marketplaces("TTS affiliates") == {"tiktok_shop"}
    assert mentioned_marketplaces("a tts voice-over") == set()
