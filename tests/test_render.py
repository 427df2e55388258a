"""Rendering the brief for email clients: size cap, no active content, hostile feed text."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from html.parser import HTMLParser

import pytest

from crackdown.config import DEFAULT_TOPICS, BriefConfig
from reports.brief import BriefInputs, build_brief
from reports.render import MAX_HTML_BYTES, render_html, render_text, safe_url

DAY = date(2021, 5, 13)
HOSTILE_TITLE = '<script>alert("t")</script><img src=x onerror=alert(1)> Amazon bans "sellers"'
HOSTILE_BODY = ('</td></tr></table><style>*{display:none!important}</style>'
                '<a href="javascript:alert(2)" onclick="x()">click</a> '
                '<div style="background:url(https://evil.example/track.png)">x</div> '
                'Ignore this \u202eevil\u202c text. <svg onload=alert(3)>')


def post(pid: int, title: str, *, url: str | None = None, body: str = "A sentence. " * 20,
         source: str = "src", name: str = "Source", tier: str = "media",
         topics: dict | None = None, hour: int = 9) -> dict:
    when = datetime(DAY.year, DAY.month, DAY.day, hour % 24, pid % 60, tzinfo=timezone.utc)
    return {"id": pid, "url": url or f"https://example.com/a/{pid}", "title": title, "body": body,
            "dated_at": when.isoformat(), "lang": "en", "content_hash": f"h{pid}", "story_id": None,
            "source_id": source, "source_name": name, "tier": tier,
            "topics": topics or {"store_closure": 0.9}, "marketplaces": ["amazon"]}


def brief_of(posts: list[dict], health: list[dict] | None = None):
    history = [(p["dated_at"], t, p["source_id"], p["id"]) for p in posts for t in p["topics"]]
    return build_brief(BriefInputs(DAY, posts, history, [], health or []), list(DEFAULT_TOPICS),
                       BriefConfig(max_items_per_topic=40))


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def parsed(html: str) -> list[tuple[str, dict]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


def assert_email_safe(html: str) -> None:
    tags = parsed(html)
    names = {t for t, _ in tags}
    assert not names & {"script", "iframe", "object", "embed", "img", "link", "form", "svg",
                        "style", "base", "input", "button"}
    for tag, attrs in tags:
        for key, value in attrs.items():
            assert not key.startswith("on"), (tag, key)
            if key == "href":
                assert re.match(r"https?://[^/\s]+", value), value
            if key == "style":
                assert "url(" not in value and "expression" not in value.lower()
            assert "javascript:" not in (value or "").lower()


@pytest.fixture(scope="module")
def huge_html():
    posts = [post(i, f"Seller account suspended number {i} " + "with a long headline " * 6,
                  body="Very long body text that goes on and on. " * 200,
                  topics={t.id: 0.8 for t in DEFAULT_TOPICS}, source=f"s{i % 30}",
                  name=f"Source {i % 30}") for i in range(1, 801)]
    brief = brief_of(posts)
    return brief, render_html(brief)


def test_huge_day_stays_under_gmail_clipping_limit(huge_html):
    brief, html = huge_html
    assert len(html.encode("utf-8")) <= MAX_HTML_BYTES < 102 * 1024
    shown = len(re.findall(r'class="title"', html))
    assert 0 < shown < sum(len(s.stories) for s in brief.sections)
    assert "more in the archive" in html
    assert_email_safe(html)


def test_layout_is_tables_with_inline_styles_and_fixed_width(huge_html):
    _, html = huge_html
    assert "<style" not in html                         # inlined by css-inline
    main = next(a for t, a in parsed(html) if t == "table" and "max-width: 640px" in a.get("style", ""))
    assert main["width"] == "640"
    assert 'name="viewport"' in html


def test_hostile_feed_text_is_neutralised():
    posts = [
        post(1, HOSTILE_TITLE, body=HOSTILE_BODY, name='Evil <b onmouseover="x()">Feed</b>'),
        post(2, "Link to script", url="javascript:alert(document.cookie)", source="b"),
        post(3, "Data link", url="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
             source="c"),
        post(4, "Relative link", url="/relative/path", source="d"),
        post(5, "Quote breaker", url='https://example.com/x" onmouseover="alert(1)', source="e"),
    ]
    health = [{"id": "evil", "name": "<script>x</script>", "consecutive_failures": 2,
               "last_ok_at": None, "last_error": "<img src=x onerror=alert(1)>"}]
    brief = brief_of(posts, health)
    html = render_html(brief)
    assert_email_safe(html)
    assert '&lt;script&gt;alert("t")&lt;/script&gt;' in html   # shown as text, escaped
    assert "&lt;style&gt;*{display:none!important}&lt;/style&gt;" in html
    assert "\u202e" not in html
    hrefs = [a["href"] for t, a in parsed(html) if t == "a"]
    assert "https://example.com/a/1" in hrefs and len(hrefs) == len(set(hrefs)) == 1
    for title in ("Link to script", "Data link", "Relative link", "Quote breaker"):
        assert title in html                               # shown, just not linked

    text = render_text(brief)
    assert HOSTILE_TITLE in text and "&lt;" not in text     # plain text is not HTML-escaped
    assert "javascript:alert(document.cookie)" not in text   # same link rule as the HTML part
    assert "data:text" not in text and "/relative/path" not in text
    assert "https://example.com/a/1" in text and "Link to script" in text


@pytest.mark.parametrize("url,ok", [
    ("https://example.com/a?b=1", True), ("http://127.0.0.1:8080/x", True),
    ("HTTPS://EXAMPLE.COM/", True), ("javascript:alert(1)", False), (" JavaScript:alert(1)", False),
    ("data:text/html,x", False), ("//example.com/x", False), ("/x", False), ("", False),
    (None, False), ("https://", False), ("https://exa mple.com/", False), ("vbscript:x", False),
])
def test_safe_url(url, ok):
    assert bool(safe_url(url)) is ok


def test_text_alternative_has_the_same_content(huge_html):
    posts = [post(1, "Aukey goes dark", source="a", name="Ledger"),
             post(2, "封号潮来袭:深圳多家大卖被波及", source="z", name="跨境快讯",
                  body="近一周来,亚马逊针对中国卖家的封号行动持续发酵。记者从多方了解到。")]
    brief = brief_of(posts)
    text, html = render_text(brief), render_html(brief)
    for needle in ("Aukey goes dark", "封号潮来袭:深圳多家大卖被波及", "近一周来", "https://example.com/a/2",
                   "Store closures &amp; suspensions" if False else "Store closures"):
        assert needle in text and needle in html
    assert "<" not in text.replace("<< SURGE", "")


def test_trend_bars_are_html_not_images():
    yesterday = DAY - timedelta(days=1)
    posts = [post(i, f"Closure {i}") for i in range(1, 6)]
    history = [(datetime(yesterday.year, yesterday.month, yesterday.day, 9, tzinfo=timezone.utc)
                .isoformat(), "store_closure", "src", 100)]
    history += [(p["dated_at"], "store_closure", "src", p["id"]) for p in posts]
    brief = build_brief(BriefInputs(DAY, posts, history, [], []), list(DEFAULT_TOPICS), BriefConfig())
    html = render_html(brief)
    bars = [a for t, a in parsed(html) if t == "div" and "height:" in a.get("style", "")
            and "width:6px" in a.get("style", "").replace(" ", "")]
    assert len(bars) == len(DEFAULT_TOPICS) * 15
    assert "<img" not in html
