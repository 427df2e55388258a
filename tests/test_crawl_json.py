"""`type = "json"` sources, the new eBay board layout, and old list items skipped before their
pages are fetched, in two real crawls (`crackdown crawl` in a subprocess) against one API server on
127.0.0.1 that records every request (method, query, headers, body).

The crawls run once per module; each test reads the archive and the server's request log.
"""

from __future__ import annotations

import json
import sqlite3
import time
import tomllib
from datetime import datetime, timedelta, timezone

import pytest

from tests.api_server import ApiServer, Seen
from tests.conftest import FIXTURES, REPO, run_cli
from tests.fixtures.crawl.site import article_page, rss

NOW = time.time()
PARAGRAPHS = [
    "Sellers reported that their accounts were suspended after a new round of identity checks, "
    "and that the notices gave them seventeen days to appeal.",
    "Several said their funds were held while the review ran, with no date given for release.",
]
SHIPPED = tomllib.loads((REPO / "config.toml").read_text(encoding="utf-8"))


def shipped(source_id: str) -> dict:
    return next(s for s in SHIPPED["sources"] if s["id"] == source_id)


def _kx_row(item_id: int, title: str, published: float, ms: bool = False) -> dict:
    return {"id": item_id, "resource_id": f"r{item_id}", "title": title,
            "description": f"<p>{title}: 多名卖家反映账号被封，资金冻结。</p>",
            "published_at": int(published * 1000) if ms else int(published),
            "tags": [{"name": "亚马逊"}], "author": {"username": "AMZ123"}}


def kx_api(request: Seen):
    """An AMZ123-shaped kx_list answer: row_map values are a list of rows or one row."""
    page = request.json().get("page")
    if page == 1:
        data = {"row_map": {
            "2026-12-04": [{"date": "2026-12-04", "kx_content": [
                _kx_row(9003, "亚马逊美国站卖家二审视频验证增多", NOW - 3600),
                _kx_row(9002, "Temu 半托管卖家资金冻结", NOW - 7200),
                {"id": None, "title": "没有编号的快讯", "published_at": int(NOW)},
                {"id": 9010, "title": "", "published_at": int(NOW)},
            ]}],
            "2026-12-03": {"date": "2026-12-03", "kx_content": [
                _kx_row(9001, "欧盟 GPSR 新规生效", NOW - 86400)]},
        }, "total_count": 6}
    elif page == 2:
        data = {"row_map": {"2026-12-02": [{"kx_content": [
            _kx_row(9000, "TikTok Shop 下架违规商品", NOW - 2 * 86400, ms=True),
            _kx_row(8000, "置顶：亚马逊卖家大会回顾", NOW - 400 * 86400),   # pinned, a year old
        ]}]}}
    else:
        data = {"row_map": {"2026-12-01": [{"kx_content": [_kx_row(7000 + page, "x", NOW)]}]}}
    body = {"status": 0, "info": "ok", "data": data}
    return 200, {"Content-Type": "application/json"}, json.dumps(body, ensure_ascii=False).encode()


def topics_api(request: Seen):
    """A GET list with four pages (two topics each) and an ETag on every page."""
    page = int(request.query.get("page", ["1"])[0])
    etag = f'"topics-p{page}"'
    if request.headers.get("If-None-Match") == etag:
        return 304, {"ETag": etag}, b""
    topics = [{"id": page * 10 + i, "title": f"Listing removals thread {page}.{i}",
               "url": f"https://forum.example.test/t/{page * 10 + i}",
               "created": (datetime.now(timezone.utc) - timedelta(hours=page * 3 + i)
                           ).strftime("%Y-%m-%d %H:%M:%S"),
               "user": {"name": f"seller{i}"}, "excerpt": "My listings were removed overnight."}
              for i in range(2)]
    return 200, {"Content-Type": "application/json", "ETag": etag}, json.dumps(
        {"meta": {"page": page}, "topics": topics}).encode()


class RateLimitedOnce:
    def __init__(self):
        self.calls = 0

    def __call__(self, request: Seen):
        self.calls += 1
        if self.calls == 1:
            return 429, {"Retry-After": "1", "Content-Type": "application/json"}, b'{"error":"slow down"}'
        return 200, {"Content-Type": "application/json"}, json.dumps({"data": {"rows": [
            {"slug": "walmart-payouts-paused", "headline": "Walmart pauses payouts for new sellers",
             "ts": datetime.now(timezone.utc).isoformat()}]}}).encode()


def _toml_value(value) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k) if '-' in k else k} = {_toml_value(v)}"
                                for k, v in value.items()) + " }"
    return json.dumps(value)


def write_config(tmp_path, sources: list[dict]) -> str:
    """A config with [sources.request]/[sources.fields] sub-tables and max_age_days = 14."""
    lines = ["[archive]", f'path = "{tmp_path / "archive.db"}"', "", "[crawl]",
             'user_agent = "crackdown-test/0.1 (+mailto:test@example.com)"', "download_delay = 0.0",
             "max_age_days = 14", "retries = 1", "timeout = 5.0", ""]
    for src in sources:
        lines.append("[[sources]]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in src.items() if not isinstance(v, dict)]
        for sub in ("request", "fields"):
            if sub in src:
                lines.append(f"[sources.{sub}]")
                lines += [f"{k} = {_toml_value(v)}" for k, v in src[sub].items()]
        lines.append("")
    lines += ["[classify]", f'model_dir = "{tmp_path / "model"}"']
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return str(path)


def _cif_list() -> str:
    links = "".join(f'<li><a href="/article/{n}">跨境卖家快讯 {n}：平台新规解读</a></li>'
                    for n in (180104, 180103, 180101))
    pinned = ('<div class="top"><a href="/article/25783">置顶：2017 年亚马逊品牌注册指南</a>'
              '<a href="/article/154182">置顶：社交媒体营销趋势</a></div>')
    image_only = "<a href='/article/180102'><img src='x.png'></a>"
    return f"<html><body>{pinned}<ul>{links}</ul>{image_only}</body></html>"


def _dated_list() -> str:
    today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    return ("<html><body><ul class='news'>"
            "<li><a href='/dated/1'>Marketplace fee changes announced</a>"
            f"<time datetime='{today}'>today</time></li>"
            "<li class='sticky'><a href='/dated/0'>Welcome to the seller news board</a>"
            "<time datetime='2019-03-01'>1 Mar 2019</time></li>"
            "</ul></body></html>")


def _discourse_latest() -> dict:
    recent = (datetime.now(timezone.utc) - timedelta(hours=5)).isoformat()
    return {"topic_list": {"topics": [
        {"id": 501, "slug": "payouts-held-again", "title": "Payouts held again", "created_at": recent},
        {"id": 12, "slug": "read-this-first", "title": "Read this first", "pinned": True,
         "created_at": "2020-06-01T08:00:00.000Z"},
    ]}}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("jsoncrawl")
    api = ApiServer()
    base = api.base
    ebay, cif = shipped("ebay_community_selling"), shipped("cifnews")

    api.routes[("POST", "/ugc/v1/user_content/kx_list")] = kx_api
    for n in (9000, 9001, 9002, 9003, 8000):
        api.static("GET", f"/kx/{n}", article_page(f"快讯 {n}", ["多名卖家反映账号被封。" * 8]), "text/html")
    api.routes[("GET", "/api/topics.json")] = topics_api
    api.routes[("POST", "/api/limited")] = RateLimitedOnce()
    api.static("GET", "/api/html", "<!DOCTYPE html><html><body><div id='__nuxt'></div></body></html>",
               "text/html; charset=utf-8")
    api.static("GET", "/api/notjson", '{"data": {"rows": [{"title": "cut', "application/json")
    api.json_route("GET", "/api/moved", {"result": {"list": [{"title": "t", "url": "https://x.test/1"}]}})
    api.json_route("POST", "/api/signed", {"status": 401, "info": "sign expired", "data": None})
    api.static("GET", "/api/deep", "[" * 200_000 + "]" * 200_000, "application/json")
    api.json_route("GET", "/api/flood", {"rows": [{"t": f"Flood {i}", "u": f"https://flood.test/{i}"}
                                                  for i in range(5000)]})
    api.static("GET", "/forum/selling-57920/", (FIXTURES / "crawl/ebay_forum_board.html").read_bytes(),
               "text/html; charset=utf-8")
    for slug in ("account-suspended-after-verification-request-471205",
                 "funds-on-hold-for-30-days-no-explanation-471188",
                 "vero-takedown-on-my-own-brand-listings-471140"):
        api.static("GET", f"/forum/selling-57920/topic/{slug}/",
                   article_page(slug.replace("-", " "), PARAGRAPHS), "text/html")
    api.static("GET", "/cif/", _cif_list(), "text/html; charset=utf-8")
    for n in (180104, 180103, 180101, 180102, 25783, 154182):
        api.static("GET", f"/article/{n}", article_page(f"文章 {n}", ["卖家资金被冻结。" * 10]), "text/html")
    api.static("GET", "/dated/", _dated_list(), "text/html")
    for n in (0, 1):
        api.static("GET", f"/dated/{n}", article_page(f"Dated {n}", PARAGRAPHS), "text/html")
    api.json_route("GET", "/latest.json", _discourse_latest())
    for tid, slug in ((501, "payouts-held-again"), (12, "read-this-first")):
        api.json_route("GET", f"/t/{slug}/{tid}.json", {"post_stream": {"posts": [
            {"post_number": 1, "cooked": "<p>My payouts are held.</p>", "username": "s1"}]}})
    old = "Tue, 05 Mar 2019 10:00:00 GMT"
    recent = datetime.now(timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT")
    api.static("GET", "/kfeed", rss([
        {"title": "Etsy shops closed after verification", "link": f"{base}/kpost/1", "date": recent},
        {"title": "Board rules (pinned)", "link": f"{base}/kpost/0", "date": old}]), "application/rss+xml")
    for n in (0, 1):
        api.static("GET", f"/kpost/{n}", article_page(f"Khoros post {n}", PARAGRAPHS), "text/html")

    kx_fields = {"items": "data.row_map.*.kx_content", "id": "id", "title": "title",
                 "link_template": "/kx/{id}", "date": "published_at", "text": "description",
                 "status": "status", "status_ok": "0", "message": "info"}
    sources = [
        {"id": "kx", "name": "AMZ123-like", "type": "json", "lang": "zh", "timezone": "Asia/Shanghai",
         "fetch_articles": True, "url": f"{base}/ugc/v1/user_content/kx_list",
         "request": {"method": "POST", "page_param": "page", "max_pages": 3,
                     "headers": {"Origin": "https://www.amz123.com", "Referer": "https://www.amz123.com/",
                                 "app-id": "3"},
                     "body": {"is_important": -1, "category_id": 0, "start_time": "{now-2d}",
                              "end_time": "{now}", "keyword": "", "is_query_zb": 0,
                              "is_query_total_count": 1}},
         "fields": kx_fields},
        {"id": "paged", "name": "Paged GET", "type": "json", "url": f"{base}/api/topics.json?lang=en",
         "request": {"page_param": "page", "max_pages": 2},
         "fields": {"items": "topics", "id": "id", "title": "title", "link": "url", "date": "created",
                    "date_unit": "text", "author": "user.name", "text": "excerpt"}},
        {"id": "limited", "name": "429 once", "type": "json", "url": f"{base}/api/limited",
         "request": {"method": "POST", "body": {"since": "{now_ms-1d}", "size": 20}},
         "fields": {"items": "data.rows", "title": "headline", "date": "ts",
                    "link_template": "https://news.example.test/{slug}"}},
        {"id": "html_api", "name": "HTML", "type": "json", "url": f"{base}/api/html",
         "fields": {"items": "data", "title": "t", "link": "u"}},
        {"id": "notjson", "name": "Not JSON", "type": "json", "url": f"{base}/api/notjson",
         "fields": {"items": "data.rows", "title": "title", "link": "url"}},
        {"id": "moved", "name": "Path moved", "type": "json", "url": f"{base}/api/moved",
         "fields": {"items": "data.rows", "title": "title", "link": "url"}},
        {"id": "signed", "name": "API error", "type": "json", "url": f"{base}/api/signed",
         "request": {"method": "POST", "body": {"q": ""}},
         "fields": {**kx_fields, "link_template": "/kx/{id}"}},
        {"id": "deep", "name": "Nested 200k deep", "type": "json", "url": f"{base}/api/deep",
         "fields": {"items": "rows", "title": "t", "link": "u"}},
        {"id": "flood", "name": "5000 items", "type": "json", "url": f"{base}/api/flood",
         "fields": {"items": "rows", "title": "t", "link": "u"}},
        {"id": "ebay", "name": "eBay new layout", "type": "html", "url": f"{base}/forum/selling-57920/",
         "item_selector": ebay["item_selector"], "link_selector": ebay["link_selector"]},
        {"id": "cif", "name": "cifnews-like", "type": "html", "lang": "zh", "url": f"{base}/cif/",
         "item_selector": cif["item_selector"], "link_selector": cif["link_selector"],
         "max_id_gap": cif["max_id_gap"]},
        {"id": "dated", "name": "Dated list", "type": "html", "url": f"{base}/dated/",
         "item_selector": "ul.news li", "link_selector": "a", "date_selector": "time"},
        {"id": "disc", "name": "Discourse", "type": "discourse", "url": f"{base}/latest.json"},
        {"id": "khoros_feed", "name": "Khoros feed", "type": "khoros", "fetch_articles": True,
         "url": f"{base}/kfeed"},
    ]
    config = write_config(tmp, sources)
    runs = []
    # The request bodies' {now} is the crawl's clock, not the module's NOW: on a slow host the
    # tests before this fixture can take longer than the assertions' ten minutes of slack.
    crawled_at = time.time()
    for _ in range(2):
        mark = len(api.seen)
        started = time.monotonic()
        result = run_cli("--config", config, "crawl", timeout=120)
        runs.append((result, api.seen[mark:], time.monotonic() - started))
    db = sqlite3.connect(tmp / "archive.db")
    db.row_factory = sqlite3.Row
    yield {"api": api, "runs": runs, "db": db, "config": config, "at": crawled_at}
    db.close()
    api.close()


def _posts(crawled, source_id: str) -> dict[str, sqlite3.Row]:
    rows = crawled["db"].execute("SELECT * FROM posts WHERE source_id = ?", [source_id]).fetchall()
    return {r["url"]: r for r in rows}


def _health(crawled, source_id: str) -> sqlite3.Row:
    return crawled["db"].execute("SELECT * FROM sources WHERE id = ?", [source_id]).fetchone()


def _paths(seen: list[Seen], prefix: str) -> list[str]:
    return [r.path for r in seen if r.path.startswith(prefix)]


def test_post_api_sends_the_configured_body_and_headers_and_pages_until_old(crawled):
    first = [r for r in crawled["runs"][0][1] if r.path == "/ugc/v1/user_content/kx_list"]
    assert [r.method for r in first] == ["POST", "POST"]          # page 3 never asked: page 2 had an old item
    body = first[0].json()
    assert body["page"] == 1 and [r.json()["page"] for r in first] == [1, 2]
    assert body["is_important"] == -1 and body["keyword"] == "" and body["is_query_total_count"] == 1
    now = crawled["at"]
    assert abs(body["end_time"] - now) < 600 and abs(body["start_time"] - (now - 2 * 86400)) < 600
    headers = {k.lower(): v for k, v in first[0].headers.items()}
    assert headers["origin"] == "https://www.amz123.com"
    assert headers["referer"] == "https://www.amz123.com/" and headers["app-id"] == "3"
    assert headers["content-type"] == "application/json"
    assert "if-none-match" not in headers           # POSTs are never sent conditionally


def test_post_api_items_fields_dates_and_links(crawled):
    base = crawled["api"].base
    posts = _posts(crawled, "kx")
    assert set(posts) == {f"{base}/kx/{n}" for n in (9000, 9001, 9002, 9003)}
    # epoch seconds and (auto-detected) milliseconds both land on the right instant
    for n, age in ((9003, 3600), (9000, 2 * 86400)):
        stamp = datetime.fromisoformat(posts[f"{base}/kx/{n}"]["published_at"]).timestamp()
        assert abs(stamp - (NOW - age)) <= 1
    assert posts[f"{base}/kx/9003"]["guid"] == "9003"
    assert _health(crawled, "kx")["consecutive_failures"] == 0


def test_old_pinned_api_item_is_skipped_without_a_request_for_its_page(crawled):
    first_run = crawled["runs"][0][1]
    assert sorted(_paths(first_run, "/kx/")) == ["/kx/9000", "/kx/9001", "/kx/9002", "/kx/9003"]
    assert all(r.path != "/kx/8000" for run in crawled["runs"] for r in run[1])


def test_second_crawl_stops_at_the_first_known_page_and_fetches_no_item_page(crawled):
    second = crawled["runs"][1][1]
    assert len([r for r in second if r.path == "/ugc/v1/user_content/kx_list"]) == 1
    assert _paths(second, "/kx/") == []


def test_get_paging_stops_at_the_cap_and_revalidates_with_etag(crawled):
    first = [r for r in crawled["runs"][0][1] if r.path == "/api/topics.json"]
    assert [r.query["page"] for r in first] == [["1"], ["2"]]       # max_pages = 2 of 4
    assert all(r.query["lang"] == ["en"] for r in first)           # the url's own query kept
    posts = _posts(crawled, "paged")
    assert len(posts) == 4
    assert {p["author"] for p in posts.values()} == {"seller0", "seller1"}
    second = [r for r in crawled["runs"][1][1] if r.path == "/api/topics.json"]
    assert len(second) == 1 and second[0].headers.get("If-None-Match") == '"topics-p1"'


def test_429_retry_after_is_honoured(crawled):
    limited = [r for r in crawled["runs"][0][1] if r.path == "/api/limited"]
    assert len(limited) == 2 and limited[1].at - limited[0].at >= 0.95
    assert [r.method for r in limited] == ["POST", "POST"] and limited[1].body == limited[0].body
    assert abs(limited[0].json()["since"] / 1000 - (crawled["at"] - 86400)) < 600
    assert list(_posts(crawled, "limited")) == ["https://news.example.test/walmart-payouts-paused"]
    assert _health(crawled, "limited")["consecutive_failures"] == 0


@pytest.mark.parametrize("source_id, expected", [
    ("html_api", "served HTML (text/html; charset=utf-8) where JSON was expected"),
    ("notjson", "is not JSON"),
    ("deep", "is not JSON (RecursionError"),
    ("moved", "items path 'data.rows' matched nothing in the JSON from"),
    ("signed", "answered status = 401, not 0: sign expired"),
])
def test_api_failures_are_reported_by_name(crawled, source_id, expected):
    health = _health(crawled, source_id)
    assert health["consecutive_failures"] == 2
    assert expected in health["last_error"]
    assert _posts(crawled, source_id) == {}


def test_missing_path_names_what_the_response_holds(crawled):
    health = _health(crawled, "moved")
    assert "object with keys: result" in health["last_error"]
    assert health["empty_runs"] == 2 and "data.rows" in health["empty_reason"]


def test_new_ebay_board_layout_with_the_shipped_selectors(crawled):
    base = crawled["api"].base
    posts = _posts(crawled, "ebay")
    assert set(posts) == {
        f"{base}/forum/selling-57920/topic/account-suspended-after-verification-request-471205/",
        f"{base}/forum/selling-57920/topic/funds-on-hold-for-30-days-no-explanation-471188/",
        f"{base}/forum/selling-57920/topic/vero-takedown-on-my-own-brand-listings-471140/"}
    titles = {p["title"] for p in posts.values()}
    assert "Funds on hold for 30 days, no explanation" in titles and "Latest" not in titles
    fetched = _paths(crawled["runs"][0][1], "/forum/")
    assert not any(p.endswith(("/page-2/", "/post-thread/", "/buying-57921/")) for p in fetched)
    assert _health(crawled, "ebay")["consecutive_failures"] == 0


def test_cifnews_pinned_articles_skipped_by_id_gap_without_a_request(crawled):
    fetched = set(_paths(crawled["runs"][0][1], "/article/"))
    assert fetched == {"/article/180104", "/article/180103", "/article/180101"}   # 180102: image only
    assert not any(r.path in ("/article/25783", "/article/154182") for run in crawled["runs"]
                   for r in run[1])


@pytest.mark.parametrize("source_id, old_path, new_path", [
    ("dated", "/dated/0", "/dated/1"),
    ("disc", "/t/read-this-first/12.json", "/t/payouts-held-again/501.json"),
    ("khoros_feed", "/kpost/0", "/kpost/1"),
])
def test_old_list_items_skipped_for_every_list_type(crawled, source_id, old_path, new_path):
    first = [r.path for r in crawled["runs"][0][1]]
    assert new_path in first and old_path not in first
    assert len(_posts(crawled, source_id)) == 1


def test_a_flood_of_items_is_cut_at_the_per_page_cap(crawled):
    assert len(_posts(crawled, "flood")) == 1000
    assert _health(crawled, "flood")["last_item_count"] == 1000


def test_crawl_output_has_no_tracebacks(crawled):
    for result, _, _ in crawled["runs"]:
        assert result.returncode == 1            # partial: the broken APIs fail, the rest is fine
        assert "Traceback" not in result.stderr, result.stderr[-3000:]
