"""Feed parsing on real payloads (from ../shared/fixtures_real; skipped when absent).

Data-driven: each file's expectation lives in tests/fixtures/real_feeds.json.
"""

import json
import sqlite3

import pytest

from crawlers.normalize import html_to_text, to_utc_iso
from crawlers.spiders.discourse import first_post, topic_list_items
from crawlers.spiders.feed import entry_to_item, looks_like_html, parse_feed_bytes
from crawlers.spiders.reddit import listing_to_items
from tests.conftest import FIXTURES, real_fixture, run_cli, write_config

EXPECTED = {k: v for k, v in json.loads((FIXTURES / "real_feeds.json").read_text()).items()
            if not k.startswith("_")}


def _items(path):
    parsed = parse_feed_bytes(path.read_bytes(), {}, "http://127.0.0.1:8000/feed")
    return [i for i in (entry_to_item(e, "src") for e in parsed.entries) if i is not None]


@pytest.mark.parametrize("relative", sorted(EXPECTED))
def test_real_feed_items(relative):
    expected = EXPECTED[relative]
    items = _items(real_fixture(relative))
    assert len(items) == expected["items"]
    first = items[0]
    assert expected["first_title"] in first.title
    assert to_utc_iso(first.published) == expected["first_published"]
    assert all(i.url.startswith("http") for i in items)
    assert sum(1 for i in items if html_to_text(i.body_html)) >= len(items) * 0.8


def test_gb2312_forum_feed_decodes_chinese():
    items = _items(real_fixture("forum_cn/netnewswire__kc0011_dvbbs_gb2312.rss"))
    text = html_to_text(items[0].body_html)
    assert "和平鸽" in text and "\ufffd" not in text
    assert items[0].author == "大鱼儿"


def test_reddit_json_listing():
    listing = json.loads(real_fixture("reddit/go-reddit__subreddit_posts.json").read_text())
    items = listing_to_items(listing, "r_test", "https://www.reddit.com/r/test/new.json")
    assert len(items) == 2
    assert all(i.url.startswith("https://www.reddit.com/r/") and "/comments/" in i.url for i in items)
    assert all(i.published and i.published.startswith("20") for i in items)
    assert all(i.guid.startswith("t3_") for i in items)


def test_discourse_topic_list_and_topic():
    latest = json.loads(real_fixture("discourse/discourse_api__latest.json").read_text())
    items = topic_list_items(latest, "forum", "https://forum.example/latest.json")
    assert items and all(i.url.startswith("https://forum.example/t/") for i in items)
    topic = json.loads(real_fixture("discourse/discourse_api__topic.json").read_text())
    cooked, author, created = first_post(topic)
    assert html_to_text(cooked) and author and created


@pytest.mark.parametrize("content_type,body,expected", [
    ("text/html; charset=utf-8", b"<!DOCTYPE html><html><body>blocked</body></html>", True),
    ("text/html", b"<?xml version='1.0'?><rss version='2.0'></rss>", False),
    ("application/rss+xml", b"\n\n<rss version='2.0'></rss>", False),
    ("", b"<html><head></head></html>", True),
])
def test_html_served_instead_of_feed(content_type, body, expected):
    assert looks_like_html(content_type, body) is expected


def test_crawl_real_feeds_over_http(tmp_path, http_server):
    """The real spider stack (Scrapy → feedparser → pipelines → SQLite) on real payloads."""
    gb = real_fixture("forum_cn/netnewswire__kc0011_dvbbs_gb2312.rss").read_bytes()
    wp = real_fixture("rss_atom/netnewswire__macworld.rss").read_bytes()
    reddit = real_fixture("reddit/feed-rs__atom_mediarss_reddit_1_r-homelab-new.xml").read_bytes()
    sources = [
        {"id": "bbs", "name": "BBS", "type": "feed", "lang": "zh", "tier": "community",
         "url": http_server.add("/bbs/rss.asp", gb, "text/xml")},
        {"id": "mw", "name": "Macworld", "type": "feed",
         "url": http_server.add("/mw.rss", wp, "application/rss+xml")},
        {"id": "homelab", "name": "r/homelab", "type": "reddit", "tier": "community",
         "url": http_server.add("/r/homelab/new/.rss", reddit, "application/atom+xml")},
        {"id": "blocked", "name": "Blocked", "type": "feed",
         "url": http_server.add("/blocked", "<html><body>captcha</body></html>", "text/html")},
    ]
    config = write_config(tmp_path, sources)
    result = run_cli("--config", str(config), "crawl")
    assert result.returncode == 1, result.stderr  # partial: one source served HTML
    db = sqlite3.connect(tmp_path / "archive.db")
    counts = dict(db.execute("SELECT source_id, COUNT(*) FROM posts GROUP BY source_id"))
    assert counts == {"bbs": 20, "mw": 30, "homelab": 25}
    title, lang, published = db.execute(
        "SELECT title, lang, published_at FROM posts WHERE source_id = 'bbs' ORDER BY id").fetchone()
    assert "和平鸽" in title and lang == "zh" and published == "2020-01-10T14:33:00+00:00"
    health = {r[0]: r[1:] for r in db.execute(
        "SELECT id, consecutive_failures, last_error FROM sources")}
    assert health["blocked"][0] == 1 and "served HTML" in health["blocked"][1]
    assert health["bbs"][0] == 0
