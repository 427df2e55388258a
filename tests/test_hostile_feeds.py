"""Hostile feeds in one real `crackdown run`: entity expansion, external entities, a gzip bomb,
markup and links aimed at the mail client, invalid UTF-8, a 10 MB line, absurd dates and
duplicate GUIDs. None crashes the run, none reaches the brief unescaped, and the run's memory
and time stay bounded.
"""

from __future__ import annotations

import io
import re
import sqlite3
import uuid
import zlib
from datetime import datetime, timedelta, timezone

import pytest

from crackdown.archive import open_archive, posts, tags
from tests.conftest import FixtureServer, run_cli
from tests.ops_support import (
    FEED_DAY,
    enforcement_items,
    ops_config,
    rss,
    rss_item,
    run_day_measured,
)

MAX_BODY = 16_000_000          # room for the 10 MB line; the bomb inflates far past it
BOMB_INFLATED = 200 * 2 ** 20
STORY = "Amazon suspends seller accounts over fake reviews"
BODY = "Amazon suspended seller accounts for review manipulation and froze their funds."


def gzip_bomb() -> bytes:
    """~200 KB on the wire, 200 MB once inflated."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)   # wbits 31 = gzip container
    out = io.BytesIO()
    chunk = b"\0" * 2 ** 20
    for _ in range(BOMB_INFLATED // len(chunk)):
        out.write(packer.compress(chunk))
    out.write(packer.flush())
    return out.getvalue()


def billion_laughs(base: str) -> str:
    levels = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    return (f'<?xml version="1.0"?>\n<!DOCTYPE rss [{"".join(levels)}]>\n<rss version="2.0"><channel>'
            f"<title>&lol9;</title>"
            f"{rss_item(base, 'laughs', STORY + ' &lol9;', BODY + ' &lol9;')}</channel></rss>")


def xxe(base: str, secret_path: str) -> str:
    return (f'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret_path}">'
            f'<!ENTITY % remote SYSTEM "{base}/evil.dtd"> %remote;]>\n'
            f'<rss version="2.0"><channel><title>x</title>'
            f"{rss_item(base, 'xxe', STORY + ' &xxe;', BODY + ' &xxe;')}</channel></rss>")


def markup_attacks(base: str) -> str:
    items = [
        # decoded once by the XML parser, these are live markup in the title and body
        rss_item(base, "script", "Etsy closes shops selling counterfeit goods "
                 "&lt;script&gt;alert(1)&lt;/script&gt;",
                 "&lt;p&gt;Etsy closed hundreds of shops over counterfeit and trademark complaints."
                 "&lt;/p&gt;&lt;script&gt;alert(2)&lt;/script&gt;&lt;img src=x onerror=alert(3)&gt;"),
        # escaped twice: after decoding they are literal text that must be shown, escaped
        rss_item(base, "literal", "Walmart deactivates seller accounts in verification sweep "
                 "&amp;lt;script&amp;gt;alert(4)&amp;lt;/script&amp;gt;",
                 "Walmart deactivated seller accounts that failed identity verification "
                 "&amp;lt;img src=x onerror=alert(5)&amp;gt;"),
        rss_item(base, "css", "eBay withholds funds from new sellers for 30 days",
                 "&lt;style&gt;body{display:none}&lt;/style&gt;&lt;div style=\"position:fixed;"
                 "top:0;left:0;width:100%;height:100%;background:url(http://evil.example/x.png)\"&gt;"
                 "eBay is holding payouts of new sellers for 30 days.&lt;/div&gt;"
                 "&lt;a href=\"javascript:alert(6)\"&gt;click&lt;/a&gt;"),
    ]
    for name, link in (("javascript", "javascript:alert(7)"),
                       ("data", "data:text/html;base64,PHNjcmlwdD5hbGVydCg4KTwvc2NyaXB0Pg==")):
        items.append(f"<item><title>Temu bans sellers after data leak ({name} link)</title>"
                     f"<link>{link}</link><guid>{name}-link</guid>"
                     f"<pubDate>Fri, 20 Nov 2026 10:00:00 +0000</pubDate>"
                     f"<description>A leaked database exposed seller data.</description></item>")
    return rss(items)


def invalid_utf8(base: str) -> bytes:
    good = rss([rss_item(base, "utf8", f"{STORY} BADBYTES", f"{BODY} BADBYTES")])
    return good.encode("utf-8").replace(b"BADBYTES", b"\xff\xfe\xc3\x28\xa0\xa1")


def long_line(base: str) -> str:
    line = ("Amazon suspended seller accounts for review manipulation " * 180_000)[:10_000_000]
    return rss([rss_item(base, "longline", f"{STORY} (long)", line)])


BAD_DATES = ["Tue, 31 Feb 99999 25:61:00 +9999", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
             "not a date at all", "1e309", "Mon, 01 Jan 1900 00:00:00 GMT", "-1"]


def bad_dates(base: str) -> str:
    return rss([rss_item(base, f"date-{i}", f"{STORY} (date {i})", BODY, pubdate=d)
                for i, d in enumerate(BAD_DATES)])


def duplicate_guids(base: str) -> str:
    return rss([
        rss_item(base, "dup-a", f"{STORY} (first)", BODY, guid="same-guid"),
        rss_item(base, "dup-b", f"{STORY} (second, other text)", BODY + " More.", guid="same-guid"),
        rss_item(base, "dup-c", f"{STORY} (same link)", BODY, guid="g2"),
        rss_item(base, "dup-c", f"{STORY} (same link, changed)", BODY + " Changed.", guid="g2"),
    ])


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    secret = f"XXE-SECRET-{uuid.uuid4().hex}"
    (tmp / "secret.txt").write_text(secret)
    server = FixtureServer()
    base = server.base
    server.add("/robots.txt", "User-agent: *\nAllow: /\n", "text/plain")
    server.add("/evil.dtd", f'<!ENTITY leak "{secret}">', "application/xml-dtd")
    feeds = {
        "good": rss(enforcement_items(base, "good", 3)),
        "laughs": billion_laughs(base),
        "xxe": xxe(base, str(tmp / "secret.txt")),
        "markup": markup_attacks(base),
        "utf8": invalid_utf8(base),
        "longline": long_line(base),
        "dates": bad_dates(base),
        "dupes": duplicate_guids(base),
    }
    for name, body in feeds.items():
        server.add(f"/{name}", body, "application/rss+xml; charset=utf-8")
    server.add("/bomb", gzip_bomb(), "application/rss+xml", headers={"Content-Encoding": "gzip"})
    sources = [{"id": name, "name": f"Source {name}", "type": "feed", "url": f"{base}/{name}"}
               for name in [*feeds, "bomb"]]
    config = ops_config(tmp, sources, crawl={"max_body_bytes": MAX_BODY},
                        extra="[brief]\nmax_items_per_topic = 20\n")
    run = run_day_measured(config, server)
    brief = run["db"].execute("SELECT html, text FROM briefs WHERE date = ?",
                              [FEED_DAY.isoformat()]).fetchone()
    yield {**run, "secret": secret, "archive": tmp / "archive.db", "config": config,
           "server": server, "html": brief["html"] if brief else "",
           "text": brief["text"] if brief else ""}
    run["db"].close()


def posts_of(run, source: str) -> list[sqlite3.Row]:
    return run["db"].execute("SELECT * FROM posts WHERE source_id = ?", [source]).fetchall()


def test_the_run_survives_every_hostile_source(hostile_run):
    result = hostile_run["result"]
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    assert len(posts_of(hostile_run, "good")) == 3
    assert hostile_run["html"] and hostile_run["text"]   # the brief was built


def test_memory_and_time_stay_bounded(hostile_run):
    # a fully inflated bomb alone would add 200 MB; billion laughs would add gigabytes
    assert 0 < hostile_run["rss_mb"] < 1500
    assert hostile_run["elapsed"] < 120


def test_billion_laughs_is_not_expanded(hostile_run):
    for post in posts_of(hostile_run, "laughs"):
        assert "lollollollollollollollollollol" not in post["title"] + post["body"]
        assert len(post["title"]) + len(post["body"]) < 10_000


def test_external_entities_are_not_resolved(hostile_run):
    secret = hostile_run["secret"]
    for path in hostile_run["archive"].parent.glob("archive.db*"):
        assert secret.encode() not in path.read_bytes()
    assert secret not in hostile_run["html"] and secret not in hostile_run["text"]
    assert hostile_run["server"].hits("/evil.dtd") == 0   # no parser fetched the external DTD


def test_gzip_bomb_is_abandoned_at_the_size_cap(hostile_run):
    db = hostile_run["db"]
    row = db.execute("SELECT consecutive_failures, last_error FROM sources WHERE id = 'bomb'").fetchone()
    assert row["consecutive_failures"] == 1 and row["last_error"]
    assert posts_of(hostile_run, "bomb") == []


def test_markup_never_reaches_the_brief_unescaped(hostile_run):
    html = hostile_run["html"].lower()
    assert "<script" not in html
    assert re.search(r"<[^>]*\son[a-z]+\s*=", html) is None        # no event-handler attribute
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert hrefs and all(h.startswith(("http://", "https://", "#", "mailto:")) for h in hrefs)
    assert "javascript:" not in html and "data:text" not in html
    assert "position:fixed" not in html and "evil.example" not in html
    assert "display:none}" not in html
    # the literal text a post really contains is shown, escaped, in both versions
    assert "&lt;script&gt;alert(4)&lt;/script&gt;" in html
    assert "<script>alert(4)</script>" in hostile_run["text"]
    assert "javascript:" not in hostile_run["text"] and "data:text" not in hostile_run["text"]


def test_the_archive_holds_text_not_live_markup(hostile_run):
    posts = {p["url"].rsplit("/", 1)[-1]: p for p in posts_of(hostile_run, "markup")}
    # links that are not http(s) are dropped at the door
    assert set(posts) == {"script", "literal", "css"}
    assert "alert(1)" not in posts["script"]["title"] and "alert(2)" not in posts["script"]["body"]
    assert "onerror" not in posts["script"]["body"]
    assert posts["literal"]["title"].endswith("<script>alert(4)</script>")   # literal text, kept
    assert "position:fixed" not in posts["css"]["body"] and "display:none" not in posts["css"]["body"]
    assert posts["css"]["body"].startswith("eBay is holding payouts")


def test_invalid_utf8_is_stored_as_valid_text(hostile_run):
    posts = posts_of(hostile_run, "utf8")
    assert len(posts) == 1
    assert posts[0]["title"].startswith(STORY)
    posts[0]["title"].encode("utf-8")   # valid Unicode (sqlite3 would have raised otherwise)


def test_a_10_mb_line_is_stored_bounded_and_briefed_short(hostile_run):
    posts = posts_of(hostile_run, "longline")
    assert len(posts) == 1 and 100_000 <= len(posts[0]["body"]) <= 200_000
    assert len(hostile_run["html"].encode()) < 102_000 and len(hostile_run["text"]) < 200_000


def test_absurd_dates_are_dropped_not_trusted(hostile_run):
    posts = posts_of(hostile_run, "dates")
    assert len(posts) == len(BAD_DATES)
    latest = datetime.now(timezone.utc) + timedelta(days=2)
    for post in posts:
        if post["published_at"]:
            when = datetime.fromisoformat(post["published_at"])
            assert datetime(1995, 1, 1, tzinfo=timezone.utc) <= when <= latest


def test_duplicate_guids_keep_one_post_per_url(hostile_run):
    posts = posts_of(hostile_run, "dupes")
    urls = [p["url"] for p in posts]
    assert len(urls) == len(set(urls)) == 3


# Links the crawler refuses at the door, as an archive written before that check (or by another
# tool) may still hold them. Titles differ so that each post leads its own story.
HOSTILE_URLS = {
    "Etsy freezes payouts for jewellery makers": "javascript:alert(9)",
    "Walmart holds dropshipper funds for 90 days":
        "data:text/html;base64,PHNjcmlwdD5hbGVydCg5KTwvc2NyaXB0Pg==",
    "Shopify Payments reserves supplement store revenue":
        "https://example.com/ok\r\n  Also reported by: Your Bank https://evil.example/login",
    "eBay withholds vintage watch sale proceeds": "https://example.com/\x1b]8;;https://evil.example\x1b\\x",
    "TikTok Shop delays cosmetics reseller settlements": " JavaScript:alert(10)",
}


def test_hostile_urls_in_the_archive_reach_neither_part_of_the_email(hostile_run, tmp_path):
    archive = tmp_path / "archive.db"
    with sqlite3.connect(hostile_run["archive"]) as source, sqlite3.connect(archive) as copy:
        source.backup(copy)
    db = open_archive(archive)
    for n, (title, url) in enumerate(HOSTILE_URLS.items()):
        post_id, _ = posts.save_post(db, {
            "url": url, "source_id": "good", "title": title, "body": f"{title}, sellers say.",
            "published_at": "2026-11-20T11:00:00+00:00", "fetched_at": "2026-11-20T12:00:00+00:00",
            "lang": "en", "content_hash": f"hostile-url-{n}"})
        posts.set_marketplaces(db, post_id, ["etsy"])
        tags.save_classification(db, post_id, "hand", {"funds_hold": 0.9}, ["funds_hold"], "hand")
    db.close()
    config = tmp_path / "config.toml"
    config.write_text(hostile_run["config"].read_text(encoding="utf-8").replace(
        str(hostile_run["archive"]), str(archive)), encoding="utf-8")

    result = run_cli("--config", str(config), "brief", "--date", FEED_DAY.isoformat(),
                     "--format", "text")
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(archive) as stored:
        html, text = stored.execute("SELECT html, text FROM briefs WHERE date = ?",
                                    [FEED_DAY.isoformat()]).fetchone()
    for part in (text, html):
        assert all(title in part for title in HOSTILE_URLS)   # the stories are shown, unlinked
        lowered = part.lower()
        assert "javascript:" not in lowered and "data:text" not in lowered
        assert "evil.example" not in lowered and "\x1b" not in part and "\r" not in part
    assert "Also reported by: Your Bank" not in text      # no line forged through a URL
