"""Building the brief on a hand-made archive: surges, quiet days, stories, filters, health."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from crackdown.archive import open_archive, posts, sources, tags
from crackdown.config import ArchiveConfig, BriefConfig, Config, SourceConfig
from reports.brief import build_brief
from reports.daily import load_inputs, make_brief
from reports.excerpt import excerpt
from reports.render import render_html, render_text

DAY = date(2021, 5, 13)
SOURCES = [
    SourceConfig("notices", "Platform Notices", "feed", "http://127.0.0.1/n", tier="official"),
    SourceConfig("bytes", "Seller Bytes", "feed", "http://127.0.0.1/b", tier="media"),
    SourceConfig("wire", "Channel Wire", "feed", "http://127.0.0.1/w", tier="media"),
    SourceConfig("ledger", "Ledger", "feed", "http://127.0.0.1/l", tier="media"),
    SourceConfig("forum", "Seller Forum", "discourse", "http://127.0.0.1/f", tier="community"),
    SourceConfig("reddit", "r/Sellers", "reddit", "http://127.0.0.1/r", tier="community"),
    SourceConfig("zhnews", "跨境快讯", "feed", "http://127.0.0.1/z", tier="media", lang="zh"),
    SourceConfig("zhbbs", "卖家论坛", "feed", "http://127.0.0.1/zb", tier="community", lang="zh"),
]


class HandArchive:
    """A real SQLite archive filled by hand through the archive's own write functions."""

    def __init__(self, path: Path):
        self.path = path
        self.db = open_archive(path)
        sources.sync_sources(self.db, SOURCES)
        self.n = 0

    def add(self, source: str, title: str, when: datetime, topics: dict[str, float] | None = None,
            markets: tuple[str, ...] = ("amazon",), body: str = "", lang: str = "en",
            content_hash: str | None = None, vector: np.ndarray | None = None) -> int:
        self.n += 1
        post_id, _ = posts.save_post(self.db, {
            "url": f"https://example.com/{source}/{self.n}", "source_id": source, "title": title,
            "body": body or f"{title}. More details follow in the article.",
            "published_at": when.isoformat(), "fetched_at": when.isoformat(), "lang": lang,
            "content_hash": content_hash or hashlib.sha1(f"{title}{self.n}".encode()).hexdigest()})
        posts.set_marketplaces(self.db, post_id, markets)
        topics = topics or {}
        tags.save_classification(self.db, post_id, "hand", topics, list(topics), "hand")
        if vector is not None:
            tags.save_embeddings(self.db, [post_id], vector[None, :], "hand")
        return post_id

    def config(self, **brief) -> Config:
        return Config(path=self.path.parent / "config.toml", archive=ArchiveConfig(self.path),
                      sources=tuple(SOURCES), brief=replace(BriefConfig(), **brief))

    def brief(self, day: date = DAY, **brief):
        config = self.config(**brief)
        return build_brief(load_inputs(self.db, config, day), list(config.topics), config.brief)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=timezone.utc)


def unit(seed: int, base: np.ndarray | None = None, noise: float = 0.0) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=32)
    if base is not None:
        v = base + noise * v / np.linalg.norm(v)
    return (v / np.linalg.norm(v)).astype(np.float32)


def quiet_baseline(arch: HandArchive, topic: str = "verification", per_day=(0, 1)) -> None:
    """14 days before DAY with a trickle of posts on `topic`."""
    for d in range(1, 15):
        day = DAY - timedelta(days=d)
        for k in range(per_day[d % len(per_day)]):
            arch.add("forum", f"Question {d}-{k} about a verification letter", at(day, 9 + k),
                     {topic: 0.7})


@pytest.fixture
def arch(tmp_path):
    a = HandArchive(tmp_path / "archive.db")
    yield a
    a.db.close()


def test_surge_flagged_with_marketplace_sources_and_ratio(arch):
    quiet_baseline(arch)
    for k, src in enumerate(["notices", "bytes", "wire", "forum", "reddit"] * 2):
        arch.add(src, f"Amazon asks sellers for video verification, report {k}", at(DAY, 8 + k),
                 {"verification": 0.9})
    brief = arch.brief()
    assert [s.topic for s in brief.surges] == ["verification"]
    surge = brief.surges[0]
    assert (surge.count, surge.sources, surge.top_marketplaces) == (10, 5, ["amazon"])
    assert surge.tiers == ["official", "media", "community"]
    assert surge.test.p_value < 0.01 and surge.test.ratio == pytest.approx(10 / 0.5, rel=0.01)
    assert "Verification wave surge on Amazon (10 posts, 20× usual)" in brief.subject
    section = next(s for s in brief.sections if s.topic == "verification")
    assert section.trend[-1] == (DAY.isoformat(), 10) and len(section.trend) == 15
    assert brief.sections[0].topic == "verification"   # waves lead


def test_quiet_day_and_busy_but_normal_topic_are_not_surges(arch):
    quiet_baseline(arch)
    quiet_baseline(arch, "funds_hold", per_day=(5, 6, 4))
    arch.add("forum", "Verification letter question", at(DAY, 10), {"verification": 0.8})
    for k in range(7):  # 7 against a usual ~5/day: more, but not a wave
        arch.add("reddit", f"Payout held for {k + 3} days after a big order", at(DAY, 8 + k),
                 {"funds_hold": 0.8})
    brief = arch.brief()
    assert brief.surges == []
    assert brief.subject.endswith("no surge")


def test_two_posts_on_an_empty_baseline_are_not_a_wave(arch):
    for k in range(2):
        arch.add("bytes", f"Data leak exposes seller emails {k}", at(DAY, 9 + k), {"data_leak": 0.9})
    assert arch.brief().surges == []
    assert [s.topic for s in arch.brief(min_surge_count=2).surges] == ["data_leak"]


def test_per_marketplace_surge_when_the_topic_as_a_whole_is_calm(arch):
    for d in range(1, 15):  # Amazon listing takedowns are routine; Walmart's are not
        for k in range(4):
            arch.add("forum", f"Listing suppressed {d}-{k}", at(DAY - timedelta(days=d), 8 + k),
                     {"listing_takedown": 0.8})
    for k in range(5):
        arch.add(["bytes", "wire", "forum", "reddit", "ledger"][k], f"Walmart pulls listings {k}",
                 at(DAY, 8 + k), {"listing_takedown": 0.8}, markets=("walmart",))
    brief = arch.brief()
    assert [(s.topic, s.marketplace, s.count, s.sources) for s in brief.surges] == [
        ("listing_takedown", "walmart", 5, 5)]


def test_stories_grouped_across_sources_and_languages(arch):
    aukey = unit(1)
    topic = {"store_closure": 0.9}
    wire = arch.add("wire", "Aukey goes dark on Amazon.com", at(DAY, 9), topic,
                    vector=unit(2, aukey, 0.3))
    bytes_ = arch.add("bytes", "Aukey's Amazon listings disappear", at(DAY, 10), topic,
                      vector=unit(3, aukey, 0.3))
    reddit = arch.add("reddit", "AUKEY IS GONE FROM AMAZON", at(DAY, 11), topic,
                      vector=unit(4, aukey, 0.3))
    zh = arch.add("zhnews", "傲基Aukey亚马逊店铺“消失” 大卖封号事件再升级", at(DAY, 7), topic, lang="zh")
    copy = arch.add("ledger", "Aukey goes dark on Amazon.com", at(DAY, 15), topic,
                    content_hash="same", vector=unit(2, aukey, 0.3))
    syndicated = arch.add("forum", "Syndicated: what we know", at(DAY, 12), topic,
                          content_hash="same")
    # Chinese posts about other things: the English-only encoder gives them near-identical
    # vectors ([UNK] everywhere), which must not glue them together or onto the Aukey story.
    unk = unit(9)
    zh_fx = arch.add("zhbbs", "人民币又涨了,利润被汇率吃掉一截", at(DAY, 13), topic, lang="zh",
                     vector=unit(10, unk, 0.01))
    zh_ad = arch.add("zhnews", "测评服务商跑路了,预付的钱要不回来", at(DAY, 14), topic, lang="zh",
                     vector=unit(11, unk, 0.01))
    other = arch.add("forum", "Shopify closed my store for an AUP violation", at(DAY, 16), topic,
                     vector=unit(12))

    brief = arch.brief()
    groups = sorted(sorted(p["id"] for p in g) for g in brief.stories)
    assert sorted([wire, bytes_, reddit, zh, copy, syndicated]) in groups
    assert [zh_fx] in groups and [zh_ad] in groups and [other] in groups
    lead = next(s for s in brief.sections if s.topic == "store_closure").stories[0]
    # best tier leads, earliest first among equals: the Chinese trade-press report at 07:00
    assert lead.sources == 6 and lead.source_name == "跨境快讯" and lead.lang == "zh"
    assert {a["name"] for a in lead.also} == {"Channel Wire", "Seller Bytes", "r/Sellers",
                                              "Ledger", "Seller Forum"}


def test_story_that_broke_yesterday_names_its_first_report_and_keeps_its_id(arch, tmp_path):
    base = unit(20)
    first = arch.add("bytes", "Researchers find open database exposing review network",
                     at(DAY - timedelta(days=1), 22), {"data_leak": 0.9}, vector=unit(21, base, 0.3))
    arch.add("wire", "UK shoppers exposed in review-for-refund database leak", at(DAY, 8),
             {"data_leak": 0.9}, vector=unit(22, base, 0.3))
    config = arch.config()
    make_brief(config, DAY - timedelta(days=1))
    story_before = posts.get_post(arch.db, first)["story_id"]
    rendered = make_brief(config, DAY)
    story = next(s for s in rendered.brief.sections if s.topic == "data_leak").stories[0]
    assert story.first_reported["name"] == "Seller Bytes"
    assert story.first_reported["date"] == (DAY - timedelta(days=1)).isoformat()
    assert "First reported 2021-05-12 by Seller Bytes" in rendered.text
    assert posts.get_post(arch.db, first)["story_id"] == story_before is not None
    size = arch.db.execute("SELECT size FROM stories WHERE id = ?", [story_before]).fetchone()[0]
    assert size == 2


def test_marketplace_filter_counts_today_and_baseline_alike(arch):
    for d in range(1, 15):
        arch.add("forum", f"Amazon verification {d}", at(DAY - timedelta(days=d), 9),
                 {"verification": 0.8}, markets=("amazon", "walmart") if d == 3 else ("amazon",))
    for k in range(6):
        arch.add("bytes", f"Amazon verification wave {k}", at(DAY, 8 + k), {"verification": 0.9})
    arch.add("wire", "Walmart asks sellers to re-verify", at(DAY, 9), {"verification": 0.9},
             markets=("walmart",))
    arch.add("zhbbs", "二审视频验证", at(DAY, 10), {"verification": 0.9}, markets=(), lang="zh")

    unfiltered = arch.brief()
    assert unfiltered.total_posts == 8 and [s.topic for s in unfiltered.surges] == ["verification"]
    walmart = arch.brief(marketplaces=("walmart",))
    assert walmart.marketplaces == ["walmart"] and walmart.total_posts == 1
    assert walmart.unmatched_posts == 1
    section = next(s for s in walmart.sections if s.topic == "verification")
    assert [st.title for st in section.stories] == ["Walmart asks sellers to re-verify"]
    assert sum(n for _, n in section.trend[:-1]) == 1     # baseline counts Walmart posts only
    assert walmart.surges == []


def test_ranking_prefers_more_sources_then_tier_then_confidence(arch):
    topic = "policy_change"
    arch.add("reddit", "Forum rumour about fees", at(DAY, 8), {topic: 0.99})
    arch.add("notices", "Official: new fee for compliance reviews", at(DAY, 9), {topic: 0.6})
    arch.add("bytes", "Trade press on new rules", at(DAY, 10), {topic: 0.7}, content_hash="x")
    arch.add("forum", "Trade press on new rules (repost)", at(DAY, 11), {topic: 0.7},
             content_hash="x")
    arch.add("wire", "Another media take on rules", at(DAY, 12), {topic: 0.95})
    arch.add("ledger", "A media take with low confidence", at(DAY, 13), {topic: 0.55})
    section = next(s for s in arch.brief().sections if s.topic == topic)
    assert [s.title for s in section.stories] == [
        "Trade press on new rules", "Official: new fee for compliance reviews",
        "Another media take on rules", "A media take with low confidence",
        "Forum rumour about fees"]
    assert len(arch.brief(max_items_per_topic=2).sections[0].stories) == 2


def test_health_reports_failing_and_silent_sources_with_since_when(arch):
    for d in range(0, 15):  # the forum posts daily; the ledger stopped 6 days ago
        arch.add("forum", f"Daily thread {d}", at(DAY - timedelta(days=d), 9))
        if d >= 6:
            arch.add("ledger", f"Ledger daily {d}", at(DAY - timedelta(days=d), 10))
    sources.record_success(arch.db, "bytes", 3, 1, at="2021-05-10T06:00:00+00:00")
    sources.record_failure(arch.db, "bytes", "HTTP 503 from http://127.0.0.1/b",
                           at="2021-05-11T06:00:00+00:00")
    sources.record_failure(arch.db, "bytes", "HTTP 503 from http://127.0.0.1/b",
                           at="2021-05-12T06:00:00+00:00")
    problems = {p["source_id"]: p for p in arch.brief().unhealthy_sources}
    assert set(problems) == {"bytes", "ledger"}
    assert problems["bytes"]["status"] == "failing" and problems["bytes"]["since"] == "2021-05-10"
    assert "failing 2 runs" in problems["bytes"]["detail"]
    assert problems["ledger"]["status"] == "silent"
    assert problems["ledger"]["since"] == (DAY - timedelta(days=6)).isoformat()


def test_excerpt_keeps_domain_names_and_decimals_and_cuts_chinese_short():
    en = ("Demand moved to other brands on Amazon.com within a day. Prices rose 4.5 percent. "
          "Sellers of chargers saw the biggest change. " * 4)
    out = excerpt(en)
    assert out.startswith("Demand moved to other brands on Amazon.com within a day. Prices rose 4.5")
    assert len(out) <= 320 and out.endswith(".")
    zh = ("近一周来,亚马逊针对中国卖家的封号行动持续发酵。" * 3
          + "记者从多方了解到,除傲基、帕拓逊外,还有数家卖家店铺被停用" * 3)
    cut = excerpt(zh)
    assert cut.endswith("。") and len(cut) <= 120
    assert excerpt("短讯") == "短讯"


def test_a_story_shows_once_under_its_strongest_topic_with_the_others_as_labels(arch):
    # config order: ... store_closure, funds_hold ...; a tie goes to the earlier topic
    held = arch.add("bytes", "Amazon holds disbursements of closed accounts", at(DAY, 8),
                    {"store_closure": 0.7, "funds_hold": 0.9})
    tie = arch.add("wire", "Sellers suspended and paid out late", at(DAY, 9),
                   {"store_closure": 0.8, "funds_hold": 0.8})
    arch.add("ledger", "Suspension sweep hits toy sellers", at(DAY, 10), {"store_closure": 0.6},
             content_hash="sweep")
    arch.add("forum", "Toy sellers: suspended, and the money is frozen", at(DAY, 11),
             {"funds_hold": 0.95}, content_hash="sweep")
    only = arch.add("reddit", "My shop got closed today", at(DAY, 12), {"store_closure": 0.9})
    brief = arch.brief()
    sections = {s.topic: s for s in brief.sections}
    closure, funds = sections["store_closure"], sections["funds_hold"]
    assert [st.title for st in funds.stories] == ["Toy sellers: suspended, and the money is frozen",
                                                  "Amazon holds disbursements of closed accounts"]
    assert {st.post_ids[0] for st in closure.stories} == {tie, only}
    assert held not in {i for st in closure.stories for i in st.post_ids}
    shown = [i for s in brief.sections for st in s.stories for i in st.post_ids]
    assert len(shown) == len(set(shown)) == 5                  # every post once, in one story
    assert (closure.story_count, funds.story_count) == (2, 2)
    assert (closure.count, funds.count) == (4, 3)              # posts per topic: the trend's unit
    labels = {st.title: st.other_topics for s in brief.sections for st in s.stories}
    assert labels["Amazon holds disbursements of closed accounts"] == ["Store closures & suspensions"]
    assert labels["Sellers suspended and paid out late"] == ["Funds withheld"]
    assert labels["My shop got closed today"] == []

    html, text = render_html(brief), render_text(brief)
    for title in labels:   # (the excerpt repeats the title: count the headline lines)
        assert text.count(f"\n- {title}\n") == 1 and html.count(f">{title}</a>") == 1
    assert "== Store closures & suspensions (2 stories) ==" in text
    assert "== Funds withheld (2 stories) ==" in text
    assert "| also: Store closures & suspensions" in text
    assert re.search(r'<span class="topic-label"[^>]*style="[^"]*border[^"]*">Funds withheld</span>',
                     html)
    assert "<style" not in html                                 # labels styled inline too
