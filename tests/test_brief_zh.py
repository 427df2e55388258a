"""The brief in Chinese: every fixed string translated (one template set, reports/locale_zh.py),
still email-safe and under Gmail's clipping limit, and readable on a 375 px phone with a CJK font
(headless Chromium)."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest

from crackdown.config import DEFAULT_TOPICS, BriefConfig
from reports import i18n
from reports.brief import BriefInputs, build_brief
from reports.daily import make_brief, render_brief
from reports.event_cards import EventCard, label_stories
from reports.locale_zh import ZH
from reports.render import MAX_HTML_BYTES, TEMPLATES, _env, render_html, render_text
from tests.event_samples import D0
from tests.event_samples import build as build_event_archive
from tests.event_samples import config as event_config
from tests.test_render import assert_email_safe

DAY = date(2021, 5, 13)
# Latin words that may stay in a Chinese brief: the product, brands, the time zone, and the
# commands shown as code.
ALLOWED = {"Crackdown", "eBay", "Etsy", "Shopify", "TikTok", "Shop", "Temu", "SHEIN", "UTC"}
CODE = re.compile(r"crackdown (search --topic [a-z_]+|label POST_ID TOPIC|events --active)")


def zh_post(pid: int, topics: dict, markets: list[str], source: int, hour: int = 9,
            day: date = DAY) -> dict:
    when = datetime(day.year, day.month, day.day, hour, pid % 60, tzinfo=timezone.utc)
    return {"id": pid, "url": f"https://zh{source}.example/p/{pid}",
            "title": f"亚马逊大规模封号第{pid}篇", "body": "卖家反映账号被封，资金冻结。" * 8,
            "dated_at": when.isoformat(), "lang": "zh", "content_hash": f"h{pid}",
            "story_id": None, "source_id": f"src{source}", "source_name": f"卖家论坛{source}",
            "tier": ("official", "media", "community")[source % 3], "topics": topics,
            "marketplaces": markets}


def rich_brief(language: str, marketplaces: tuple[str, ...] = ()):
    """A day that exercises every part of the templates: waves, stories with other sources and
    earlier coverage, more stories than shown, a failing and a silent source."""
    posts = [zh_post(i, {"store_closure": 0.9, "review_abuse": 0.7}, ["amazon", "walmart"], i % 4)
             for i in range(1, 13)]
    posts += [zh_post(100 + i, {"funds_hold": 0.8}, [], i % 2) for i in range(3)]
    earlier = [dict(zh_post(200, {"store_closure": 0.9}, ["amazon"], 3, day=date(2021, 5, 12)),
                    title="亚马逊大规模封号第1篇")]
    health = [{"id": "src0", "name": "卖家论坛0", "consecutive_failures": 2,
               "last_ok_at": "2021-05-10T06:00:00+00:00", "last_error": ""},
              {"id": "src9", "name": "跨境资讯", "consecutive_failures": 0, "last_ok_at": "x"},
              {"id": "src8", "name": "新论坛", "consecutive_failures": 1, "last_ok_at": None,
               "last_error": ""}]
    activity = {"src9": {"last_post": "2021-05-01T00:00:00+00:00", "recent": 20}}
    history = [(p["dated_at"], t, p["source_id"], p["id"]) for p in posts for t in p["topics"]]
    inputs = BriefInputs(DAY, posts, history, [], health, earlier_posts=earlier,
                         activity=activity, day_end="2021-05-14T00:00:00+00:00")
    cfg = BriefConfig(max_items_per_topic=3, marketplaces=marketplaces)
    return build_brief(inputs, list(DEFAULT_TOPICS), cfg, language=language)


def zh_card(n: int, status: str, topic: str = "store_closure", market: str = "amazon",
            language: str = "zh", **changes) -> EventCard:
    """An event card as reports/event_cards.py builds it, with Chinese feed text (post title,
    source and party names stay as written, so only fixed strings can be English)."""
    names = {t.id: t.name for t in i18n.localized_topics(DEFAULT_TOPICS, language)}
    bars = [((date(2021, 4, 14) + timedelta(days=i)).isoformat(), i % 7,
             "runup" if i < 5 else ("today" if i == 39 else "event")) for i in range(40)]
    first = {"dated_at": "2021-05-02T09:00:00+00:00", "source_name": "卖家论坛1",
             "tier": "community", "title": "有人收到评论被删的邮件吗", "url": "https://zh1.example/p/9"}
    card = EventCard(n, topic, names[topic], market, 12, "2021-05-07", 123, 11, status,
                     ["傲基", "帕拓逊"], bars, 30, "2021-05-11", "2021-05-02", first)
    return replace(card, **changes)


def brief_with_events(language: str, marketplaces: tuple[str, ...] = ()):
    """rich_brief plus every part of the event cards: seven events under way (each status, one
    with a single post from a single source, one without parties, official statement or first
    post; the seventh is "more under way"), two closing lines, and stories naming their event."""
    brief = rich_brief(language, marketplaces)
    statuses = ["rising", "peak", "fading", "peak", "fading", "rising", "fading"]
    live = [zh_card(n, st, language=language) for n, st in enumerate(statuses)]
    live[1] = replace(live[1], posts=1, sources=1, day_no=1, bars=live[1].bars[-1:])
    live[2] = zh_card(2, "fading", "review_abuse", "walmart", language, named=[],
                      official_since=None, first_post=None)
    ended = [zh_card(90, "over", language=language, closing=True, end_day="2021-05-12",
                     active_days=6),
             zh_card(91, "over", "funds_hold", "walmart", language=language, closing=True,
                     end_day="2021-05-13", active_days=1, posts=1, sources=1)]
    brief.events = live + ended
    label_stories(brief.sections, brief.events)
    return brief


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("style", "code")

    def handle_endtag(self, tag):
        self._skip -= tag in ("style", "code")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def english_words(text: str) -> set[str]:
    text = CODE.sub(" ", re.sub(r"https?://\S+", " ", text))
    return {w for w in re.findall(r"[A-Za-z]{2,}", text)} - ALLOWED


def html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def test_every_template_string_has_a_chinese_translation():
    env = _env("zh")
    missing = []
    for template in sorted(p.name for p in TEMPLATES.glob("*.j2")):
        source = env.loader.get_source(env, template)[0]
        for _, func, message in env.extract_translations(source):
            if isinstance(message, tuple):   # (id, None...) or (singular, plural, None)
                message = message[1] if func == "ngettext" else message[0]
            key = message
            if key not in ZH:
                missing.append(f"{template}: {key!r}")
    # the sentences built in Python (brief subject, chat messages)
    for module in ("reports/brief.py", "reports/notify/messages.py", "reports/notify/base.py"):
        code = (Path(__file__).parent.parent / module).read_text(encoding="utf-8")
        for joined in re.findall(r'tr\((?:lang|message\.language), ((?:"[^"]*"\s*)+)', code):
            key = "".join(re.findall(r'"([^"]*)"', joined))
            if key not in ZH:
                missing.append(f"{module}: {key!r}")
    assert not missing, "add these to reports/locale_zh.py:\n" + "\n".join(missing)


@pytest.mark.parametrize("marketplaces", [(), ("amazon",)])
def test_no_english_fixed_string_left_in_the_chinese_brief(marketplaces):
    brief = rich_brief("zh", marketplaces)
    assert brief.surges and brief.unhealthy_sources and any(s.also for sec in brief.sections
                                                            for s in sec.stories)
    html, text = render_html(brief), render_text(brief)
    assert english_words(html_text(html)) == set()
    assert english_words(text) == set()
    assert english_words(brief.subject) == set()
    assert '<html lang="zh-CN">' in html and "2021年5月13日" in html
    # the same check finds the English of the English brief: it can fail
    english = rich_brief("en", marketplaces)
    assert {"Wave", "Source", "health"} <= english_words(html_text(render_html(english)))


@pytest.mark.parametrize("marketplaces", [(), ("amazon",)])
def test_no_english_fixed_string_left_in_the_chinese_event_cards(marketplaces):
    brief = brief_with_events("zh", marketplaces)
    assert any(st.event for sec in brief.sections for st in sec.stories)
    html, text = render_html(brief), render_text(brief)
    assert english_words(html_text(html)) == set()
    assert english_words(text) == set()
    assert_email_safe(html)
    assert len(html.encode("utf-8")) <= MAX_HTML_BYTES < 102 * 1024
    for out in (html, text):
        assert "进行中的事件" in out and "第 12 天" in out and "123 篇，来自 11 个来源" in out
        assert "（自 2021年5月11日 起有官方消息）" in out and "涉及：傲基、帕拓逊" in out
        assert "首帖 2021年5月2日" in out and "于 2021年5月7日 判定为激增" in out
        assert "另有 1 个事件进行中：" in out and "所属事件：封店与暂停·亚马逊，第 12 天" in out
        assert ("已结束：封店与暂停·亚马逊，2021年5月7日至2021年5月12日（活跃 6 天，"
                "123 篇，来自 11 个来源，峰值每天 30 篇）") in out
        assert all(word in out for word in ("上升中", "高峰", "回落中"))
    assert "有人收到评论被删的邮件吗" in html and "每日帖数：" in text


def test_an_untranslated_event_card_string_is_caught(monkeypatch):
    """Each card string that has words in it, taken out of the catalogue, shows up as English
    in the Chinese brief: the check above cannot pass with a card string left untranslated."""
    env = _env("zh")
    ids = set()
    for template in sorted(p.name for p in TEMPLATES.glob("_*event*.j2")):
        source = env.loader.get_source(env, template)[0]
        for _, func, message in env.extract_translations(source):
            if isinstance(message, tuple):
                message = message[1] if func == "ngettext" else message[0]
            if re.search(r"[A-Za-z]{2,}", re.sub(r"%\(\w+\)[sd]", "", message)):
                ids.add(message)
    assert {"rising", "named: %(names)s", "Part of the event: %(event)s, day %(num)d",
            "per day: %(counts)s"} <= ids
    brief = brief_with_events("zh")
    for message in sorted(ids - {"over"}):   # "over" is the status of a closed event: not shown
        with monkeypatch.context() as m:
            m.delitem(ZH, message)
            shown = english_words(html_text(render_html(brief))) | english_words(render_text(brief))
        assert shown, f"{message!r} untranslated, yet the Chinese brief has no English in it"


def test_chinese_cards_from_the_archive(tmp_path):
    """make_brief with `[brief] language = "zh"` and the demo's render_brief in Chinese after an
    English run: the cards, closing lines and story events carry the Chinese topic names."""
    build_event_archive(tmp_path / "archive.db").close()
    cfg = event_config(tmp_path / "archive.db")
    zh_cfg = replace(cfg, brief=replace(cfg.brief, language="zh"))
    day19, day23 = D0 + timedelta(days=19), D0 + timedelta(days=23)
    rendered = make_brief(zh_cfg, day19)
    for out in (rendered.text, render_brief(cfg, day19, "zh").text):
        cards = out[out.index("进行中的事件"):out.index("\n\n激增\n")]   # up to WAVES
        assert "* 刷单测评打击·亚马逊 - 第 2 天 - 14 篇，来自 4 个来源 - 涉及：" in cards
        assert "首帖 2021年3月16日（Seller Forum，社区）；于 2021年3月19日 判定为激增" in cards
        # feed text (source and party names) is all the English the cards may hold
        assert english_words(cards) <= {"Seller", "Forum", "Press", "Aukey", "Mpow", "Patozon"}
        assert "所属事件：刷单测评打击·亚马逊，第 2 天" in out
    assert "Review manipulation" not in rendered.html and "<b>上升中</b>" in rendered.html
    assert_email_safe(rendered.html)
    closing = make_brief(zh_cfg, day23).text
    assert "- 已结束：刷单测评打击·亚马逊，2021年3月19日至2021年3月24日（活跃 3 天，" in closing


def test_titles_stay_as_written_and_topics_use_their_chinese_names():
    brief = rich_brief("zh")
    html = render_html(brief)
    assert re.search(r"亚马逊大规模封号第\d+篇", html) and "卖家论坛" in html
    assert "封店与暂停" in html and "Store closures" not in html
    assert brief.subject.startswith("Crackdown 2021年5月13日：")


def test_chinese_brief_is_email_safe_and_under_the_clipping_limit():
    posts = [dict(zh_post(i, {t.id: 0.8 for t in DEFAULT_TOPICS}, ["amazon"], i % 30),
                  title="卖家账号被封" * 30 + str(i), body="很长的正文。" * 400) for i in range(1, 801)]
    history = [(p["dated_at"], t, p["source_id"], p["id"]) for p in posts for t in p["topics"]]
    brief = build_brief(BriefInputs(DAY, posts, history, [], []), list(DEFAULT_TOPICS),
                        BriefConfig(max_items_per_topic=40), language="zh")
    html = render_html(brief)
    assert len(html.encode("utf-8")) <= MAX_HTML_BYTES < 102 * 1024
    assert_email_safe(html)
    assert english_words(html_text(html)) == set()


def test_dates_and_markets_localise():
    assert i18n.format_date("2021-05-13", "zh") == "2021年5月13日"
    assert i18n.format_date("2021-05-13", "en") == "2021-05-13"
    assert i18n.market_label("amazon", "zh") == "亚马逊" and i18n.market_label("ebay", "zh") == "eBay"


# --- 375 px with a CJK font, in headless Chromium -----------------------------------------------

# Headless Chromium will not make a window narrower than 500 px, so the brief is laid out in a
# 375 px iframe (srcdoc: same origin, measurable); the probe runs in the wrapper page.
WRAPPER = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="phone" style="width:375px;height:2400px;border:0" srcdoc="%s"></iframe>
<script>
window.addEventListener("load", function () {
  var doc = document.getElementById("phone").contentDocument;
  var c = document.createElement("canvas"); c.width = 40; c.height = 40;
  var g = c.getContext("2d");
  function ink(ch) { g.clearRect(0, 0, 40, 40); g.font = "32px sans-serif"; g.fillText(ch, 2, 32);
                     return Array.prototype.join.call(g.getImageData(0, 0, 40, 40).data, ""); }
  var tofu = ink("\\u{10FFFD}");
  var glyph = ink("\\u5c01") !== tofu && ink("\\u5c01") !== ink("\\u53f7");
  document.title = "W=" + doc.documentElement.scrollWidth + ";VW=" + doc.documentElement.clientWidth
                   + ";CJK=" + glyph;
});
</script></body></html>"""


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def test_chinese_brief_at_375px_with_a_cjk_font(tmp_path):
    browser = _chromium()
    if browser is None:
        if os.environ.get("CRACKDOWN_CI"):
            pytest.fail("chromium is missing in CI: .ci/run installs chromium and fonts-wqy-zenhei")
        pytest.skip("chromium not installed (apt-get install chromium fonts-wqy-zenhei); "
                    "CI runs this check")
    import html as html_lib

    brief_html = render_html(brief_with_events("zh"))
    page = tmp_path / "phone.html"
    page.write_text(WRAPPER % html_lib.escape(brief_html, quote=True), encoding="utf-8")
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--force-device-scale-factor=1", "--window-size=500,2400"]
    dom = subprocess.run(flags + ["--virtual-time-budget=3000", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=60)
    found = re.search(r"<title>W=(\d+);VW=(\d+);CJK=(\w+)</title>", dom.stdout)
    assert found, dom.stderr[-2000:]
    width, viewport, cjk = int(found.group(1)), int(found.group(2)), found.group(3)
    assert viewport == 375
    assert width <= 375, f"the brief is {width} px wide on a 375 px phone: it scrolls sideways"
    assert cjk == "true", "Chinese characters render as missing-glyph boxes: no CJK font"
    shot = tmp_path / "brief.zh.png"
    subprocess.run(flags + [f"--screenshot={shot}", page.as_uri()], capture_output=True,
                   timeout=60, check=True)
    assert _png_size(shot) == (500, 2400)
    assert shot.stat().st_size > 20_000   # a page of text, not a blank screen


@pytest.mark.parametrize("language", ["en", "zh"])
def test_feed_text_inside_translated_sentences_is_still_cleaned(language):
    posts = [zh_post(i, {"store_closure": 0.9}, ["amazon"], i) for i in range(1, 4)]
    earlier = [dict(zh_post(50, {"store_closure": 0.9}, ["amazon"], 7, day=date(2021, 5, 12)),
                    title="亚马逊大规模封号第1篇", source_name="早\x1b[2J报\u202e者")]
    brief = build_brief(BriefInputs(DAY, posts, [], [], [], earlier_posts=earlier),
                        list(DEFAULT_TOPICS), BriefConfig(), language=language)
    assert any(st.first_reported for sec in brief.sections for st in sec.stories)
    for out in (render_text(brief), render_html(brief)):
        assert "早[2J报者" in out and "\x1b" not in out and "\u202e" not in out
