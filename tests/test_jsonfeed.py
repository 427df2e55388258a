"""JSON Feed 1.0/1.1 in `feed` sources: the parser on fixtures written for the project, then one
real `crackdown crawl` that serves them by media type and by sniffing, beside the same items as
RSS, and a broken document that fails with a message a person can act on."""

from __future__ import annotations

import sqlite3

import pytest

from crawlers.jsonfeed import JsonFeedError, is_json_feed, json_feed_items
from crawlers.normalize import canonical_url, html_to_text, to_utc_iso
from tests.conftest import FIXTURES, run_cli, write_config
from tests.fixtures.crawl.site import rss

JSONFEED = FIXTURES / "jsonfeed"


def _items(name: str, url: str = "https://sellerdesk.example/feed.json"):
    return json_feed_items((JSONFEED / name).read_bytes(), "application/feed+json", url, "src")


def test_version_1_0_fields():
    items = _items("feed_1_0.json")
    assert [i.guid for i in items] == ["https://sellerdesk.example/2021/05/review-sweep", "2", "3"]
    first, second, third = items
    # escaped slashes and a surrogate-pair emoji decode; tracking parameters go in canonical form
    assert html_to_text(first.title) == "Marketplace closes stores in review sweep 🚀"
    assert canonical_url(first.url) == "https://sellerdesk.example/2021/05/review-sweep"
    assert first.author == "Priya Raman"                 # the item's 1.0 author wins
    assert second.author == "Dana Whitfield"             # else the feed's
    body = html_to_text(first.body_html)
    assert "incentivised reviews" in body and "plan of action" in body
    assert "document.cookie" not in body and "evil.example" not in body
    assert to_utc_iso(first.published) == "2021-05-12T07:30:00+00:00"
    assert second.url == "https://sellerdesk.example/2021/05/verification-letters"  # relative → home page
    assert to_utc_iso(second.published) == "2021-05-12T22:05:00+00:00"
    assert "confirm their business address" in html_to_text(second.body_html)
    assert third.published is None and "Payouts paused" in html_to_text(third.body_html)


def test_version_1_1_fields():
    first, untitled, undated = _items("feed_1_1.json", "https://wire.example/feed.json")
    assert first.author == "Ana Souza, Bruno Lima"       # 1.1 authors; a nameless one is skipped
    assert first.lang == "pt" and undated.lang == "en"   # feed language, item language wins
    assert to_utc_iso(first.published) == "2021-05-10T22:42:40+00:00"   # Portuguese RFC 822
    assert "alert" not in html_to_text(first.body_html)
    # no title: the start of the text names it; external_url is the link; date_modified dates it
    assert untitled.title.startswith("Fundos retidos por 30 dias") and len(untitled.title) <= 120
    assert untitled.url == "https://news.example/story/frozen-funds"
    assert to_utc_iso(untitled.published) == "2021-05-11T08:00:00+00:00"
    assert undated.published is None and undated.author == "Redação"


def test_hostile_document_is_read_field_by_field():
    items = {i.guid: i for i in _items("hostile.json", "https://hostile.example/feed.json")}
    assert set(items) == {"js", "data", "markup", "old", "good"}   # no link or no words: dropped
    # the title is text: '<script>' in it stays words, escaped for the normalise pipeline
    assert html_to_text(items["markup"].title) == "Etsy closes shops <script>alert(4)</script>"
    assert html_to_text(items["markup"].body_html) == "Etsy closed shops over counterfeit complaints."
    assert items["markup"].author is None
    assert to_utc_iso(items["markup"].published) is None and to_utc_iso(items["old"].published) is None
    assert items["js"].url.startswith("javascript:")      # the normalise pipeline drops these


@pytest.mark.parametrize("body,message", [
    (b"[" * 200_000, "nested too deeply"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "not valid JSON"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": {"a": 1}}', "\"items\" list"),
    (b"[1, 2, 3]", "\"items\" list"),
])
def test_broken_documents_raise_a_readable_error(body, message):
    with pytest.raises(JsonFeedError, match=message):
        json_feed_items(body, "application/json", "https://x.example/feed.json", "src")


@pytest.mark.parametrize("content_type,body,expected", [
    ("application/feed+json", b'{"version": "https://jsonfeed.org/version/1", "items": []}', True),
    ("application/json; charset=utf-8", b'{"items": [], "title": "t"}', True),
    ("text/plain", b'\xef\xbb\xbf {"version":"https:\\/\\/jsonfeed.org\\/version\\/1.1","items":[]}', True),
    ("application/json", b'{"data": {"children": []}}', True),         # read, then refused by name
    ("text/plain", b'{"data": {"children": []}}', False),
    ("application/rss+xml", b"<?xml version='1.0'?><rss version='2.0'></rss>", False),
    ("text/html", b"<!DOCTYPE html><html></html>", False),
])
def test_json_feeds_are_told_by_type_or_body(content_type, body, expected):
    assert is_json_feed(content_type, body) is expected


def test_crawl_json_feeds_beside_rss(tmp_path, http_server):
    v10 = (JSONFEED / "feed_1_0.json").read_bytes().replace(
        b"https:\\/\\/sellerdesk.example", http_server.base.replace("/", "\\/").encode())
    v11 = (JSONFEED / "feed_1_1.json").read_bytes().replace(b"https://wire.example",
                                                            http_server.base.encode())
    hostile = (JSONFEED / "hostile.json").read_bytes()
    truncated = b'{"version": "https://jsonfeed.org/version/1'

    same_as_rss = rss([{"title": "RSS twin", "link": f"{http_server.base}/twin",
                        "description": "Same story as RSS.", "date": "Wed, 12 May 2021 07:30:00 GMT"}])
    sources = [
        {"id": "v10", "name": "JSON Feed 1.0", "type": "feed",
         "url": http_server.add("/feed.json", v10, "application/feed+json")},
        {"id": "v11", "name": "JSON Feed 1.1", "type": "feed", "timezone": "America/Sao_Paulo",
         "url": http_server.add("/wire/feed", v11, "text/plain; charset=utf-8")},   # sniffed
        {"id": "rss", "name": "RSS", "type": "feed",
         "url": http_server.add("/rss", same_as_rss, "application/rss+xml")},
        {"id": "hostile", "name": "Hostile JSON Feed", "type": "feed",
         "url": http_server.add("/hostile.json", hostile, "application/json")},
        {"id": "broken", "name": "Broken JSON", "type": "feed",
         "url": http_server.add("/broken.json", truncated, "application/json")},
    ]
    result = run_cli("--config", str(write_config(tmp_path, sources)), "crawl")
    assert result.returncode == 1, result.stderr            # partial: the broken one failed
    assert "Traceback" not in result.stderr
    db = sqlite3.connect(tmp_path / "archive.db")
    rows = {r[0]: r[1:] for r in db.execute(
        "SELECT url, source_id, title, author, published_at, body FROM posts")}
    base = http_server.base
    assert rows[f"{base}/2021/05/review-sweep"][:4] == (
        "v10", "Marketplace closes stores in review sweep 🚀", "Priya Raman", "2021-05-12T07:30:00+00:00")
    assert "document.cookie" not in rows[f"{base}/2021/05/review-sweep"][4]
    assert rows[f"{base}/2021/05/undated"][3] is None       # no date: first seen stands in later
    assert rows[f"{base}/noticias/contas-suspensas"][3] == "2021-05-10T22:42:40+00:00"
    assert rows[f"{base}/twin"][3] == "2021-05-12T07:30:00+00:00"
    counts = dict(db.execute("SELECT source_id, COUNT(*) FROM posts GROUP BY source_id"))
    assert counts == {"v10": 3, "v11": 3, "rss": 1, "hostile": 3}   # javascript:/data: links dropped
    title, body, published = db.execute("SELECT title, body, published_at FROM posts "
                                        "WHERE url = 'https://hostile.example/markup'").fetchone()
    assert title == "Etsy closes shops <script>alert(4)</script>"   # text, escaped when shown
    assert body == "Etsy closed shops over counterfeit complaints." and published is None
    error = db.execute("SELECT last_error FROM sources WHERE id = 'broken'").fetchone()[0]
    assert error.startswith(f"unparseable JSON Feed at {base}/broken.json: not valid JSON")
