"""A small archive written for the archive tests: English and Chinese posts with topics,
marketplaces and sources, saved through the archive's own functions (as crawl/classify do)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from crackdown.archive import open_archive, posts, sources, tags
from crackdown.config import SourceConfig

SOURCES = [
    SourceConfig(id="pulse", name="Marketplace Pulse", type="feed", url="https://pulse.example/feed"),
    SourceConfig(id="forum", name="Seller Forum", type="discourse", url="https://forum.example/latest.json",
                 tier="community"),
    SourceConfig(id="zhforum", name="卖家论坛", type="feed", url="https://zh.example/rss", lang="zh"),
]

# (key, source, day, title, body, topics, marketplaces, lang)
POSTS = [
    ("verify_title", "pulse", "2021-05-10", "Amazon video verification wave hits sellers",
     "Sellers in Europe were asked to join a video call with an account specialist before "
     "they could keep selling.", ["verification"], ["amazon"], "en"),
    ("verify_body", "forum", "2021-05-11", "Prime Day dates announced for June",
     "Amazon confirmed the dates of its summer event. One reseller noted that no verification "
     "was needed to join the deals program this year.", [], ["amazon"], "en"),
    ("fake_reviews", "forum", "2021-05-12", "Walmart suspends accounts for fake reviews",
     "Several sellers lost their accounts after the marketplace found paid reviews and "
     "incentivized ratings.", ["review_abuse", "store_closure"], ["walmart"], "en"),
    ("frozen", "pulse", "2021-05-13", "Sellers report frozen funds on eBay",
     "Disbursements were held for 30 days while eBay reviewed accounts flagged for "
     "verification of their bank details.", ["funds_hold", "verification"], ["ebay"], "en"),
    ("counterfeit", "pulse", "2021-04-01", "Counterfeit seizure at the port of Shenzhen",
     "Customs seized counterfeit headphones bound for Amazon warehouses.", ["counterfeit_ip"],
     ["amazon"], "en"),
    ("zh_ban", "zhforum", "2021-05-12", "亚马逊卖家大规模封号",
     "今天很多卖家收到视频验证通知，随后账号被封号，资金也被冻结。", ["store_closure", "verification"],
     ["amazon"], "zh"),
    ("zh_video", "zhforum", "2021-05-11", "视频验证流程分享",
     "视频验证需要准备营业执照和身份证，整个过程大约十分钟。", ["verification"], ["amazon"], "zh"),
    ("zh_rules", "zhforum", "2021-05-09", "沃尔玛发布新规",
     "平台发布新的商品合规政策，卖家需要在月底前更新资料。", ["policy_change"], ["walmart"], "zh"),
]


def save(db, key: str, source: str, day: str, title: str, body: str, topics, markets, lang,
         hour: int = 9) -> int:
    post_id, _ = posts.save_post(db, {
        "url": f"https://{source}.example/{key}", "source_id": source, "title": title, "body": body,
        "author": "someone", "published_at": f"{day}T{hour:02d}:00:00+00:00",
        "fetched_at": f"{day}T{hour:02d}:30:00+00:00", "lang": lang,
        "content_hash": hashlib.sha1((title + body).encode()).hexdigest(), "guid": None,
        "origin": None})
    tags.save_classification(db, post_id, "test-model", {t: 0.9 for t in topics}, topics, "test")
    posts.set_marketplaces(db, post_id, markets)
    return post_id


def build(path: Path) -> tuple[object, dict[str, int]]:
    """The sample archive at `path`: (open database, post key → id)."""
    db = open_archive(path)
    sources.sync_sources(db, SOURCES)
    ids = {row[0]: save(db, *row) for row in POSTS}
    return db, ids
