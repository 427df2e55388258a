"""The crawler's pure parts: dates, charsets, Retry-After, Khoros feed discovery, HTML selectors,
news-search titles, truncation, and the per-source config keys they rely on."""

from __future__ import annotations

import json
from datetime import datetime
from types import SimpleNamespace

import pytest

from classify.language import detect_language
from crackdown.config import ConfigError, parse_config
from crawlers.dates import zone
from crawlers.encoding import decode_body, feed_as_utf8
from crawlers.normalize import canonical_url, content_hash, to_utc_iso
from crawlers.politeness import retry_after_seconds
from crawlers.spiders.feed import entry_to_item, is_truncated, parse_feed_bytes
from crawlers.spiders.html import list_page_items
from crawlers.spiders.khoros import board_feed_url
from tests.conftest import FIXTURES

DATES = json.loads((FIXTURES / "crawl" / "dates.json").read_text(encoding="utf-8"))
NOW = datetime.fromisoformat(DATES["now"])


@pytest.mark.parametrize("case", DATES["cases"],
                         ids=lambda c: f"{c['text']}@{c['tz']}{'@clock' if 'now' in c else ''}")
def test_dates(case):
    # "now": null is the real clock: a non-date must not borrow today's month or year
    now = NOW if "now" not in case else case["now"] and datetime.fromisoformat(case["now"])
    assert to_utc_iso(case["text"], zone(case["tz"]), now=now) == case["utc"]


ZH = "朱镕基时代的外贸：亚马逊卖家账号被封"   # 镕 is in GBK, not in GB2312
TW = "蝦皮賣家帳號停權，款項凍結"


@pytest.mark.parametrize("body,content_type,override,expected", [
    (ZH.encode("utf-8"), "text/html; charset=utf-8", "", ZH),
    (ZH.encode("gbk"), "text/html; charset=gb2312", "", ZH),                 # label narrower than bytes
    (f'<meta charset="gbk"><p>{ZH}</p>'.encode("gbk"), "text/html", "", f'<meta charset="gbk"><p>{ZH}</p>'),
    (ZH.encode("utf-8"), "text/html; charset=gbk", "", ZH),                   # UTF-8 under a GBK label
    (TW.encode("big5"), "text/html; charset=big5", "", TW),
    (ZH.encode("gb18030"), "text/html; charset=utf-8", "gbk", ZH),            # operator override
    (b"\xef\xbb\xbf" + ZH.encode("utf-8"), "text/html; charset=gbk", "", ZH),  # BOM wins
])
def test_decode_body(body, content_type, override, expected):
    assert decode_body(body, content_type, override)[0] == expected


def test_a_few_broken_bytes_do_not_turn_utf8_into_mojibake():
    body = ZH.encode("utf-8") + b" \xff\xfe " + ZH.encode("utf-8")
    decoded, codec = decode_body(body, "application/rss+xml; charset=utf-8")
    assert codec == "utf-8" and decoded.count(ZH) == 2


def test_undeclared_gbk_is_guessed():
    text = ("亚马逊卖家账号被封，资金被冻结，平台要求卖家在十七天内提交申诉材料。" * 5).encode("gbk")
    decoded, codec = decode_body(text)
    assert decoded.startswith("亚马逊卖家账号被封") and codec == "gb18030"


def test_gb2312_feed_with_gbk_bytes_parses_readably():
    feed = (f'<?xml version="1.0" encoding="gb2312"?><rss version="2.0"><channel><title>t</title>'
            f"<item><title>{ZH}</title><link>http://127.0.0.1/1</link></item></channel></rss>").encode("gbk")
    parsed = parse_feed_bytes(feed_as_utf8(feed, "text/xml"), {"content-type": "text/xml; charset=utf-8"},
                              "http://127.0.0.1/feed")
    assert parsed.entries[0].title == ZH


@pytest.mark.parametrize("value,expected", [
    (b"120", 120.0), ("0", 0.0), ("Thu, 13 May 2021 12:01:00 GMT", 60.0), ("soon", None), (None, None),
])
def test_retry_after(value, expected):
    now = datetime.fromisoformat("2021-05-13T12:00:00+00:00").timestamp()
    assert retry_after_seconds(value, now=now) == expected


def test_khoros_board_page_names_the_board_feed_not_the_site_feed():
    html = (FIXTURES / "crawl" / "khoros_board.html").read_text()
    assert (board_feed_url(html, "https://community.ebay.com/t5/Selling/bd-p/selling")
            == "https://community.ebay.com/kqfhn28475/rss/board?board.id=selling")
    assert board_feed_url("<html><head></head></html>", "https://x.example/") is None


def _source(**selectors):
    return SimpleNamespace(**{"id": "s", "title_selector": "", "date_selector": "", **selectors})


def test_html_selectors_css_and_xpath_and_attributes():
    page = ('<div class="list"><div class="row"><h2><a href="/a/1?utm_source=x">First</a></h2>'
            '<time datetime="2021-05-13T08:00:00+08:00">3小时前</time></div>'
            '<div class="row"><h2><a href="javascript:void(0)">ad</a></h2></div>'
            '<div class="row"><h2><a href="https://other.example/a/2">Second</a></h2>'
            '<span class="meta">作者 张三</span></div></div>')
    items = list_page_items(page, "https://news.example/list", _source(
        item_selector="div.row", link_selector="h2 a", date_selector="time"))
    assert [(i.url, i.title, i.published) for i in items] == [
        ("https://news.example/a/1?utm_source=x", "First", "2021-05-13T08:00:00+08:00"),
        ("https://other.example/a/2", "Second", None)]
    xpath = list_page_items(page, "https://news.example/list", _source(
        item_selector="//div[@class='row']", link_selector=".//a/@href", title_selector=".//a"))
    assert [i.title for i in xpath] == ["First", "Second"]


def test_news_search_title_suffix():
    feed = parse_feed_bytes((FIXTURES / "crawl" / "gnews_search.xml").read_bytes(), {}, "https://news.google.com/rss")
    items = [entry_to_item(e, "g", strip_title_suffix=True) for e in feed.entries]
    assert [(i.title, i.origin) for i in items] == [
        ("Amazon bans more Chinese brands over fake reviews", "The Verge"),
        ("Sellers say Walmart Marketplace froze payouts", "Marketplace Pulse")]
    kept = entry_to_item(feed.entries[0], "g", strip_title_suffix=False)
    assert kept.title.endswith(" - The Verge") and kept.origin is None


def test_truncation_is_seen_in_the_missing_root_end():
    assert is_truncated(b"<rss><channel><item><title>a</title></item>")
    assert not is_truncated(b"<rss><channel></channel></rss>\n")
    assert not is_truncated(b"<feed xmlns='http://www.w3.org/2005/Atom'></feed>")


def test_canonical_url_and_content_hash():
    assert (canonical_url("HTTPS://News.Example:443/a/1?utm_source=rss&id=7&fbclid=x#top")
            == "https://news.example/a/1?id=7")
    assert content_hash("Title", "Body  text.") == content_hash("title", "body text")


def _config(**source):
    raw = {"sources": [{"id": "s", "name": "S", "type": "html", "url": "https://x.example/",
                        "item_selector": "li", "link_selector": "a", **source}]}
    return parse_config(raw)


def test_source_timezone_and_encoding_are_validated():
    src = _config(timezone="Asia/Shanghai", encoding="gbk").sources[0]
    assert src.timezone == "Asia/Shanghai" and src.encoding == "gbk"
    with pytest.raises(ConfigError, match=r"sources\[0\] \(s\)\.timezone.*IANA"):
        _config(timezone="Beijing")
    with pytest.raises(ConfigError, match=r"sources\[0\] \(s\)\.encoding.*charset"):
        _config(encoding="klingon-8")


def test_link_as_item_style_used_for_cifnews_and_amz123():
    page = ('<div><a href="/article/187800">亚马逊美国站新一轮封号潮，卖家如何申诉</a>'
            '<a href="/article/187801"><img src="x.png"></a><a href="/kx">快讯</a>'
            '<a href="/kx/TV3AT2yu" class="kx-item-title">TikTok Shop 冻结部分卖家资金</a></div>')
    cif = list_page_items(page, "https://www.cifnews.com/", _source(
        item_selector="a[href*='/article/']", link_selector="./@href"))
    assert [(i.url, i.title) for i in cif] == [
        ("https://www.cifnews.com/article/187800", "亚马逊美国站新一轮封号潮，卖家如何申诉")]
    amz = list_page_items(page, "https://www.amz123.com/kx", _source(
        item_selector="a[href^='/kx/']", link_selector="./@href"))
    assert [i.url for i in amz] == ["https://www.amz123.com/kx/TV3AT2yu"]


def test_shipped_config_covers_marketplaces_languages_and_tiers():
    from crackdown.config import MARKETPLACES, load_config
    from tests.conftest import REPO

    config = load_config(REPO / "config.toml")
    sources = config.sources
    assert len(sources) >= 20
    assert {s.tier for s in sources} == {"official", "media", "community"}
    assert {s.lang for s in sources} == {"en", "zh"}
    assert {s.type for s in sources} == {"feed", "reddit", "khoros", "html", "json", "browser"}
    covered = {m for s in sources for m in s.marketplaces}
    assert set(MARKETPLACES[:7]) <= covered  # amazon … temu
    hosts = {}
    for s in sources:
        hosts.setdefault(s.url.split("/")[2], []).append(s.download_delay)
    assert all(d == 10.0 for d in hosts["www.reddit.com"] + hosts["news.google.com"])


@pytest.mark.parametrize("text,hint,stored", [
    ("亚马逊封号潮持续发酵，多家深圳大卖店铺被关，资金被冻结。", None, "zh"),
    ("Amazon hat die Konten von mehreren hundert Händlern gesperrt und die Auszahlungen "
     "zurückgehalten.", "en", "de"),
    ("ร้านค้าของฉันบน Shopee ถูกระงับและยอดขายถูกพักไว้ 30 วัน", None, "th"),
    ("Amazonはレビュー操作を理由に多くのセラーのアカウントを停止した。", None, "ja"),
    ("Prime Day", "fr", "fr"),      # too short to call: the feed's language stands
    ("Amazon suspended hundreds of seller accounts this week.", None, "en"),
])
def test_posts_are_stored_with_the_language_the_classifier_reads(text, hint, stored):
    """posts.lang was 'zh' or 'en' only, so an analyst could not find German or Thai posts."""
    assert detect_language(text, hint) == stored
