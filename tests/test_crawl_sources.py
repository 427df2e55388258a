"""Every spider and every way a source fails, in two real crawls (`crackdown crawl` in a subprocess)
against one server on 127.0.0.1; the second crawl is the incremental one an hour later.

The crawls run once per module; each test reads the archive, the server's request log and the
`crackdown sources` output they left behind.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import FIXTURES, FIXTURES_REAL, FixtureServer, run_cli, write_config
from tests.fixtures.crawl import site
from tests.fixtures.crawl.site import Statuses, article_page, conditional, rss

CRAWL = FIXTURES / "crawl"
EN_PARAGRAPHS = [
    "Sellers on the marketplace reported a wave of account suspensions this week, most of them "
    "citing a review policy violation that they say they never committed.",
    "Several of the affected stores had been selling for more than five years. The notices asked "
    "them to submit a plan of action within seventeen days or lose access to their funds.",
    "The platform did not respond to a request for comment on how many accounts were affected.",
]
ZH_PARAGRAPHS = [
    "本周多名跨境卖家反映店铺被封，平台通知称其违反了评论政策，要求在十七天内提交申诉材料。",
    "有卖家表示，自己经营店铺已经超过五年，从未参与刷单或操纵评论，但账号资金仍被冻结。",
    "业内人士认为，这是平台新一轮合规审核的开始，建议卖家尽快检查账户健康状况并保留经营记录。",
]
TW_PARAGRAPHS = [
    "本週多位賣家回報帳號遭到停權，平台通知指出其違反評論政策，要求於十七天內提交申訴資料。",
    "部分賣家表示經營已超過五年，從未參與刷評，但帳戶款項仍遭凍結，只能等待平台審核結果。",
    "業界人士認為這是新一輪合規審查的開始，建議賣家儘快檢查帳戶狀態並保留相關營運紀錄。",
]


def _cn_list_page() -> bytes:
    # GBK bytes under a gb2312 label: 镕 exists in GBK only; no charset in the HTTP header
    return ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
            '</head><body><ul class="news-list">'
            '<li class="item"><a class="title" href="/cn/article/101">朱镕基时代的外贸回忆与亚马逊封号潮</a>'
            '<span class="time">3小时前</span></li>'
            '<li class="item"><a class="title" href="/cn/article/102?utm_source=list">'
            '卖家资金被冻结怎么办</a>'
            '<span class="time">昨天 14:20</span></li>'
            '<li class="ad"><a href="javascript:void(0)">广告</a></li>'
            '</ul></body></html>').encode("gbk")


def _tw_list_page() -> bytes:
    return ('<html><head><meta charset="big5"></head><body><table id="threads">'
            '<tr class="thread"><td><a href="/tw/t/1">蝦皮賣家帳號停權討論</a></td>'
            '<td class="d">2021/5/12 14:33</td></tr>'
            '<tr class="thread"><td><a href="/tw/t/2">款項凍結申訴經驗</a></td>'
            '<td class="d"><span title="2021-05-11 09:05">前天</span></td></tr>'
            '</table></body></html>').encode("big5")


def _gb2312_feed() -> bytes:
    return rss([{"title": "朱镕基谈外贸：亚马逊卖家账号被封", "link": "http://127.0.0.1/bbs/1",
                 "description": "卖家反映账号被封，资金冻结。", "date": "2021/5/12 14:33:00"}],
               encoding="gbk").replace(b'encoding="gbk"', b'encoding="gb2312"')


def _feed_items(prefix: str, n: int, extra: str = "") -> list[dict]:
    return [{"title": f"{prefix} item {i}{extra}", "link": f"http://127.0.0.1/{prefix}/{i}",
             "description": f"Body of {prefix} item {i}: sellers report suspensions."} for i in range(n)]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("crawl")
    server = FixtureServer()
    statuses = Statuses()
    base = server.base
    server.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain")
    s = []

    # --- feeds -----------------------------------------------------------------------------
    wp_items = [{"title": f"Suspension wave story {i}", "description": "Short summary.",
                 "link": f"{base}/wp/a{i}?utm_source=rss&amp;utm_medium=feed"} for i in range(3)]
    wp_items.append({**wp_items[0], "link": f"{base}/wp/a0?utm_campaign=other"})  # same post again
    s.append({"id": "wp", "name": "WP", "type": "feed", "fetch_articles": True,
              "url": conditional(server, statuses, "/wp/feed", rss(wp_items))})
    for i in range(3):
        server.add(f"/wp/a{i}", article_page(f"Suspension wave story {i}", EN_PARAGRAPHS), "text/html")
    shared = {"title": "Review brokers database leaked", "link": f"{base}/wire/leak",
              "description": "A database of a review broker was left open, exposing sellers."}
    s.append({"id": "wire", "name": "Wire", "type": "feed",
              "url": conditional(server, statuses, "/wire/feed", rss([shared]))})
    s.append({"id": "lm_only", "name": "Last-Modified only", "type": "feed",
              "url": conditional(server, statuses, "/lm/feed", rss(_feed_items("lm", 2)), etag="")})
    s.append({"id": "syndic", "name": "Syndicator", "type": "feed",
              "url": server.add("/syndic/feed", rss([{**shared, "link": f"{base}/syndic/copy-of-leak"}]))})
    s.append({"id": "gnews", "name": "Google News", "type": "feed", "strip_title_suffix": True,
              "url": server.add("/rss/search", (CRAWL / "gnews_search.xml").read_bytes())})
    s.append({"id": "bing", "name": "Bing News", "type": "feed", "strip_title_suffix": True,
              "url": server.add("/news/search", "<!DOCTYPE html><html><body>Bing</body></html>",
                                "text/html; charset=utf-8")})
    s.append({"id": "gb2312", "name": "GB2312 forum", "type": "feed", "lang": "zh",
              "timezone": "Asia/Shanghai", "url": server.add("/bbs/rss.asp", _gb2312_feed(), "text/xml")})
    s.append({"id": "as_html", "name": "Feed as text/html", "type": "feed",
              "url": server.add("/ashtml/feed", rss(_feed_items("ashtml", 2)), "text/html")})
    s.append({"id": "silent", "name": "Goes silent", "type": "feed",
              "url": conditional(server, statuses, "/silent/feed", rss(_feed_items("silent", 2)))})

    # --- khoros ----------------------------------------------------------------------------
    s.append({"id": "ebay_selling", "name": "eBay Selling", "type": "khoros", "tier": "community",
              "url": server.add("/t5/Selling/bd-p/selling", (CRAWL / "khoros_board.html").read_bytes(),
                                "text/html; charset=UTF-8")})
    server.add("/kqfhn28475/rss/board", (CRAWL / "khoros_board_feed.xml").read_bytes(), "application/rss+xml")
    s.append({"id": "khoros_nolink", "name": "Board without RSS", "type": "khoros",
              "url": server.add("/t5/Other/bd-p/other", "<html><head></head><body>x</body></html>",
                                "text/html")})

    # --- html list pages ---------------------------------------------------------------------
    s.append({"id": "cn_list", "name": "CN list", "type": "html", "lang": "zh",
              "timezone": "Asia/Shanghai", "item_selector": "ul.news-list li.item",
              "link_selector": "a.title", "date_selector": "span.time",
              "url": conditional(server, statuses, "/cn/list", _cn_list_page(), "text/html")})
    server.add("/cn/article/101", article_page("朱镕基时代的外贸回忆与亚马逊封号潮", ZH_PARAGRAPHS, "gbk"),
               "text/html")
    server.add("/cn/article/102", article_page("卖家资金被冻结怎么办", ZH_PARAGRAPHS[::-1], "gbk"),
               "text/html")
    s.append({"id": "tw_list", "name": "TW list", "type": "html", "lang": "zh",
              "timezone": "Asia/Taipei", "item_selector": "//tr[@class='thread']",
              "link_selector": "./td/a", "date_selector": "td.d",
              "url": server.add("/tw/list", _tw_list_page(), "text/html; charset=big5")})
    server.add("/tw/t/1", article_page("蝦皮賣家帳號停權討論", TW_PARAGRAPHS, "big5"),
               "text/html; charset=big5")
    server.add("/tw/t/2", article_page("款項凍結申訴經驗", TW_PARAGRAPHS[::-1], "big5", meta_charset=False),
               "text/html")
    wrong = ('<html><body><div class="post"><h3><a href="/wrong/1">跨境卖家店铺被封申诉指南</a></h3>'
             '</div></body></html>').encode("gbk")
    s.append({"id": "wrong_charset", "name": "Wrong charset", "type": "html", "encoding": "gbk",
              "item_selector": "div.post", "link_selector": "h3 a",
              "url": server.add("/wrong/list", wrong, "text/html; charset=utf-8")})
    server.add("/wrong/1", article_page("跨境卖家店铺被封申诉指南", ZH_PARAGRAPHS, "gbk", meta_charset=False),
               "text/html; charset=utf-8")

    s.append({"id": "html_changed", "name": "Redesigned site", "type": "html",
              "item_selector": "ul.news-list li.item", "link_selector": "a",
              "url": server.add("/redesigned", "<html><body><div id='app'></div></body></html>",
                                "text/html")})

    # --- failures ----------------------------------------------------------------------------
    s.append({"id": "timeout", "name": "Slow", "type": "feed", "url": base + "/slow/feed"})
    server.routes["/slow/feed"] = site.slow(4.0)
    s.append({"id": "loop", "name": "Loop", "type": "feed", "url": base + "/loop/a"})
    server.add("/loop/a", b"", status=302, headers={"Location": base + "/loop/b"})
    server.add("/loop/b", b"", status=302, headers={"Location": base + "/loop/a"})
    full = rss(_feed_items("trunc", 3))
    s.append({"id": "truncated", "name": "Truncated", "type": "feed",
              "url": server.add("/trunc/feed", full[:full.index(b"<item><title>trunc item 2") + 40])})
    s.append({"id": "dataloss", "name": "Cut connection", "type": "feed", "url": base + "/cut/feed"})
    server.routes["/cut/feed"] = site.short_body(rss(_feed_items("cut", 2)))
    s.append({"id": "huge", "name": "20 MB", "type": "feed",
              "url": server.add("/huge/feed", b"<rss>" + b" " * 20_000_000 + b"</rss>")})
    s.append({"id": "garbage", "name": "Garbage", "type": "feed",
              "url": server.add("/garbage/feed", b"\x00\x01{not: xml at all", "application/rss+xml")})
    s.append({"id": "gone", "name": "Gone", "type": "feed", "url": base + "/gone/feed"})
    s.append({"id": "limited", "name": "429 once", "type": "feed", "url": base + "/limited/feed"})
    server.routes["/limited/feed"] = site.rate_limited_once(statuses, "/limited/feed", "1",
                                                            rss(_feed_items("limited", 2)))
    s.append({"id": "limited_long", "name": "429 for an hour", "type": "feed",
              "url": base + "/limited2/feed"})
    server.routes["/limited2/feed"] = site.always_429(statuses, "/limited2/feed", "3600")
    s.append({"id": "robots_blocked", "name": "Disallowed", "type": "feed",
              "url": server.add("/private/feed", rss(_feed_items("private", 1)))})
    s.append({"id": "robots_ignored", "name": "Allowed by config", "type": "feed", "obey_robots": False,
              "url": server.add("/private/other", rss(_feed_items("other", 1)))})

    # --- real payloads, when the shared folder is present --------------------------------------
    real = {}
    if (FIXTURES_REAL / "discourse/discourse_api__latest.json").exists():
        latest = (FIXTURES_REAL / "discourse/discourse_api__latest.json").read_bytes()
        s.append({"id": "discourse_real", "name": "Discourse", "type": "discourse", "tier": "community",
                  "url": server.add("/latest.json", latest, "application/json")})
        topic = (FIXTURES_REAL / "discourse/discourse_api__topic.json").read_bytes()
        for t in json.loads(latest)["topic_list"]["topics"]:
            server.add(f"/t/{t['slug']}/{t['id']}.json", topic, "application/json")
        real["discourse"] = json.loads(latest)
    if (FIXTURES_REAL / "reddit/go-reddit__subreddit_posts.json").exists():
        s.append({"id": "reddit_json", "name": "r/test", "type": "reddit", "tier": "community",
                  "url": server.add("/r/test/new.json",
                                    (FIXTURES_REAL / "reddit/go-reddit__subreddit_posts.json").read_bytes(),
                                    "application/json; charset=UTF-8")})
        real["reddit"] = True

    config = write_config(tmp, s)
    text = config.read_text().replace("retries = 0", "retries = 1").replace("timeout = 10.0", "timeout = 1.5")
    config.write_text(text)

    started = time.monotonic()
    first = run_cli("--config", str(config), "crawl")
    first_seconds = time.monotonic() - started
    hits_after_first = {p: server.hits(p) for p in {r[0].split("?")[0] for r in server.requests}}

    # An hour later: one feed has news, one went quiet; the slow failures are left out.
    server.routes_data["/wire/feed"] = {"etag": '"v2"', "body": rss([shared, {
        "title": "Etsy pauses payouts", "link": f"{base}/wire/etsy", "description": "Payouts paused."}])}
    server.routes_data["/silent/feed"] = {"etag": '"v2"', "body": rss([])}
    again = ["wp", "wire", "lm_only", "silent", "cn_list", "gb2312", "ebay_selling"]
    second = run_cli("--config", str(config), "crawl", *[a for sid in again for a in ("--source", sid)])
    health = run_cli("--config", str(config), "sources")
    yield SimpleNamespace(server=server, statuses=statuses, first=first, second=second, health=health,
                          db=sqlite3.connect(tmp / "archive.db"), hits_after_first=hits_after_first,
                          first_seconds=first_seconds, real=real)
    server.close()


def _posts(db, source_id: str) -> list[dict]:
    cur = db.execute("SELECT * FROM posts WHERE source_id = ? ORDER BY id", [source_id])
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def _health(db, source_id: str) -> dict:
    cur = db.execute("SELECT * FROM sources WHERE id = ?", [source_id])
    return dict(zip([c[0] for c in cur.description], cur.fetchone()))


def test_first_crawl_is_partial_and_names_each_failure(crawled):
    assert crawled.first.returncode == 1, crawled.first.stderr
    for source_id, reason in {
        "bing": "served HTML", "khoros_nolink": "no RSS <link>", "timeout": "timed out",
        "loop": "redirect loop", "truncated": "truncated feed", "dataloss": "truncated response",
        "huge": "too large", "garbage": "unparseable feed", "gone": "HTTP 404",
        "limited_long": "Retry-After 3600 s is over", "robots_blocked": "robots.txt",
        "html_changed": "matched nothing",
    }.items():
        row = _health(crawled.db, source_id)
        assert row["consecutive_failures"] == 1, source_id
        assert reason in row["last_error"], (source_id, row["last_error"])
        assert reason in crawled.first.stderr


def test_sources_command_shows_failures(crawled):
    out = crawled.health.stdout
    assert crawled.health.returncode == 0
    assert re.search(r"^timeout\s+FAILING", out, re.M) and "timed out fetching" in out
    assert re.search(r"^silent\s+FAILING", out, re.M) and "returned no items (had 2" in out
    assert re.search(r"^wp\s+ok", out, re.M)


def test_feed_with_articles_canonical_urls_and_dedupe(crawled):
    posts = _posts(crawled.db, "wp")
    assert sorted(p["url"] for p in posts) == [f"{crawled.server.base}/wp/a{i}" for i in range(3)]
    assert all("plan of action within seventeen days" in p["body"] for p in posts)
    assert all(crawled.hits_after_first[f"/wp/a{i}"] == 1 for i in range(3))


def test_syndicated_copies_share_a_content_hash(crawled):
    (wire,), (syndic,) = _posts(crawled.db, "wire")[:1], _posts(crawled.db, "syndic")
    assert wire["url"] != syndic["url"] and wire["content_hash"] == syndic["content_hash"]
    from sqlite_utils import Database

    from crackdown.archive.posts import syndicated_copies

    db = Database(crawled.db)
    assert syndicated_copies(db, wire["id"]) == [syndic["id"]]
    assert syndicated_copies(db, _posts(crawled.db, "gnews")[0]["id"]) == []


def test_news_search_titles_lose_the_outlet_and_keep_it_as_origin(crawled):
    posts = {p["title"]: p["origin"] for p in _posts(crawled.db, "gnews")}
    assert posts == {"Amazon bans more Chinese brands over fake reviews": "The Verge",
                     "Sellers say Walmart Marketplace froze payouts": "Marketplace Pulse"}


def test_gb2312_label_with_gbk_bytes_and_naive_date_in_source_zone(crawled):
    (post,) = _posts(crawled.db, "gb2312")
    assert post["title"] == "朱镕基谈外贸：亚马逊卖家账号被封" and post["lang"] == "zh"
    assert post["published_at"] == "2021-05-12T06:33:00+00:00"  # 14:33 in Shanghai


def test_feed_served_as_text_html_still_parses(crawled):
    assert len(_posts(crawled.db, "as_html")) == 2 and _health(crawled.db, "as_html")["last_error"] is None


def test_khoros_board_page_leads_to_its_board_feed(crawled):
    posts = _posts(crawled.db, "ebay_selling")
    assert [p["title"] for p in posts] == ["Account restricted after verification",
                                           "Payouts on hold for 30 days?"]
    assert posts[0]["author"] == "quiet_seller_22"
    assert crawled.hits_after_first["/kqfhn28475/rss/board"] == 1
    assert crawled.hits_after_first.get("/kqfhn28475/rss/Community") is None


def test_html_list_in_gbk_with_relative_dates(crawled):
    posts = {p["title"]: p for p in _posts(crawled.db, "cn_list")}
    assert set(posts) == {"朱镕基时代的外贸回忆与亚马逊封号潮", "卖家资金被冻结怎么办"}
    first = posts["朱镕基时代的外贸回忆与亚马逊封号潮"]
    assert "提交申诉材料" in first["body"] and "All rights reserved" not in first["body"]
    hours_ago = datetime.now(timezone.utc) - datetime.fromisoformat(first["published_at"])
    assert timedelta(hours=2, minutes=50) < hours_ago < timedelta(hours=3, minutes=10)
    second = posts["卖家资金被冻结怎么办"]
    assert second["url"].endswith("/cn/article/102")  # tracking parameter gone
    shanghai_yesterday = datetime.now(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=1)
    expected = datetime(shanghai_yesterday.year, shanghai_yesterday.month, shanghai_yesterday.day, 14, 20,
                        tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(timezone.utc)
    assert second["published_at"] == expected.isoformat()


def test_html_list_in_big5_with_xpath_selectors(crawled):
    posts = {p["title"]: p for p in _posts(crawled.db, "tw_list")}
    assert posts["蝦皮賣家帳號停權討論"]["published_at"] == "2021-05-12T06:33:00+00:00"
    assert posts["款項凍結申訴經驗"]["published_at"] == "2021-05-11T01:05:00+00:00"
    # the second article page declares no charset at all and still reads as Big5
    assert "提交申訴資料" in posts["蝦皮賣家帳號停權討論"]["body"]
    assert "申訴資料" in posts["款項凍結申訴經驗"]["body"]


def test_encoding_override_beats_a_wrong_declaration(crawled):
    (post,) = _posts(crawled.db, "wrong_charset")
    assert post["title"] == "跨境卖家店铺被封申诉指南" and "\ufffd" not in post["body"]
    assert "提交申诉材料" in post["body"]


def test_truncated_feed_keeps_complete_items(crawled):
    assert [p["title"] for p in _posts(crawled.db, "truncated")] == ["trunc item 0", "trunc item 1"]


def test_retry_after_is_honoured_then_capped(crawled):
    assert crawled.statuses.by_path["/limited/feed"] == [429, 200]
    first, second = crawled.statuses.times["/limited/feed"]
    assert second - first >= 0.95  # Retry-After: 1
    assert len(_posts(crawled.db, "limited")) == 2
    assert _health(crawled.db, "limited")["consecutive_failures"] == 0
    assert crawled.statuses.by_path["/limited2/feed"] == [429]  # an hour is over the cap: no retry


def test_robots_txt_is_obeyed_unless_the_source_opts_out(crawled):
    assert crawled.server.hits("/private/feed") == 0
    assert len(_posts(crawled.db, "robots_ignored")) == 1


def test_size_cap_abandons_the_body(crawled):
    assert _posts(crawled.db, "huge") == []


def test_second_crawl_revalidates_and_fetches_no_article(crawled):
    assert crawled.second.returncode == 1, crawled.second.stderr  # 'silent' went quiet
    assert crawled.statuses.by_path["/wp/feed"] == [200, 304]
    assert crawled.statuses.by_path["/cn/list"] == [200, 304]
    assert crawled.statuses.by_path["/lm/feed"] == [200, 304]  # If-Modified-Since alone
    assert crawled.statuses.by_path["/wire/feed"] == [200, 200]  # it changed (new ETag)
    hits_now = {p: crawled.server.hits(p) for p in crawled.hits_after_first}
    for path in ("/wp/a0", "/wp/a1", "/wp/a2", "/cn/article/101", "/cn/article/102"):
        assert hits_now[path] == 1, path
    assert [p["title"] for p in _posts(crawled.db, "wire")] == ["Review brokers database leaked",
                                                                "Etsy pauses payouts"]
    wp = _health(crawled.db, "wp")
    assert wp["consecutive_failures"] == 0 and wp["items_total"] == 3 and wp["last_item_count"] == 3


def test_went_silent_is_a_failure(crawled):
    row = _health(crawled.db, "silent")
    assert row["consecutive_failures"] == 1 and "returned no items (had 2" in row["last_error"]


def test_real_discourse_latest_and_topics(crawled):
    if "discourse" not in crawled.real:
        pytest.skip(f"real payloads not available (no {FIXTURES_REAL})")
    posts = _posts(crawled.db, "discourse_real")
    listed = {(t["slug"], t["id"]) for t in crawled.real["discourse"]["topic_list"]["topics"]
              if not t.get("pinned_globally")}
    assert len(posts) == len(listed)  # the fixture lists one topic twice: stored once
    assert all(p["body"] and p["author"] for p in posts)


def test_real_reddit_json_listing(crawled):
    if "reddit" not in crawled.real:
        pytest.skip(f"real payloads not available (no {FIXTURES_REAL})")
    posts = _posts(crawled.db, "reddit_json")
    assert len(posts) == 2 and all("/comments/" in p["url"] and p["published_at"] for p in posts)
