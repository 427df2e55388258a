"""The brief model: archive rows for one day → what a seller reads. Pure; no I/O here.

`build_brief` takes plain rows (see `BriefInputs`) and returns a `Brief`; `reports.daily` reads
those rows from the archive and stores the result.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date as Date
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from crackdown.config import BriefConfig, TopicConfig
from reports.stories import group_posts
from reports.surges import SurgeTest, test_surge

TIER_RANK = {"official": 3, "media": 2, "community": 1}
EXCERPT_CHARS = 320


@dataclass
class BriefInputs:
    date: Date
    posts: list[dict]                         # posts dated on `date` (queries.posts_between)
    history: list[tuple[str, str, str]]       # (dated_at, topic, source_id), baseline + today
    market_history: list[tuple[str, str, str]]  # (dated_at, topic, marketplace)
    health: list[dict]                        # sources.source_health rows
    vectors: dict = field(default_factory=dict)  # post id → embedding, for story grouping


@dataclass
class StoryItem:
    title: str
    url: str
    excerpt: str
    source_name: str
    tier: str
    also: list[dict]          # [{"name", "url", "tier"}] other sources reporting it
    marketplaces: list[str]
    topics: list[str]
    score: float
    dated_at: str
    lang: str
    post_ids: list[int]


@dataclass
class Surge:
    topic: str
    topic_name: str
    marketplace: str | None
    count: int
    sources: int
    tiers: list[str]
    test: SurgeTest
    top_marketplaces: list[str] = field(default_factory=list)  # most-named first


@dataclass
class TopicSection:
    topic: str
    name: str
    count: int
    stories: list[StoryItem]
    trend: list[tuple[str, int]]   # (day, count) over the baseline window and today
    surge: Surge | None


@dataclass
class Brief:
    date: str
    timezone: str
    marketplaces: list[str]
    total_posts: int
    enforcement_posts: int
    surges: list[Surge]
    sections: list[TopicSection]
    unhealthy_sources: list[dict]
    stories: list[list[dict]] = field(default_factory=list)  # all groups, for storing story ids

    @property
    def subject(self) -> str:
        if self.surges:
            lead = self.surges[0]
            where = (f" on {', '.join(market_label(m) for m in lead.top_marketplaces)}"
                     if lead.top_marketplaces else "")
            return (f"Crackdown {self.date}: {lead.topic_name} surge{where} "
                    f"({lead.count} posts, {lead.test.ratio:g}× usual)")
        return f"Crackdown {self.date}: {self.enforcement_posts} enforcement posts, no surge"


def market_label(m: str | None) -> str:
    return {"tiktok_shop": "TikTok Shop", "ebay": "eBay", "aliexpress": "AliExpress"}.get(
        m or "", (m or "").title())


def day_bounds(day: Date, tz_name: str) -> tuple[str, str]:
    """[start, end) of a local calendar day, as ISO-8601 UTC strings."""
    tz = ZoneInfo(tz_name)
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    end = start + timedelta(days=1)
    utc = ZoneInfo("UTC")
    return start.astimezone(utc).isoformat(), end.astimezone(utc).isoformat()


def local_day(iso: str, tz: ZoneInfo) -> str:
    dt = datetime.fromisoformat(iso)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=ZoneInfo("UTC"))
    return dt.astimezone(tz).date().isoformat()


def excerpt(body: str, limit: int = EXCERPT_CHARS) -> str:
    """The first two or three sentences, cut at a sentence end where possible."""
    text = re.sub(r"\s+", " ", body or "").strip()
    if len(text) <= limit:
        return text
    sentences = re.split(r"(?<=[.!?。！？])\s*", text)
    out = ""
    for s in sentences[:3]:
        if len(out) + len(s) > limit:
            break
        out = f"{out} {s}".strip() if out and not re.match(r"[\u4e00-\u9fff]", s) else out + s
    return out if len(out) >= 80 else text[:limit].rsplit(" ", 1)[0] + " …"


def build_brief(inputs: BriefInputs, topics: list[TopicConfig], cfg: BriefConfig) -> Brief:
    tz = ZoneInfo(cfg.timezone)
    today = inputs.date.isoformat()
    days = [(inputs.date - timedelta(days=n)).isoformat() for n in range(cfg.baseline_days, -1, -1)]
    wanted = set(cfg.marketplaces)

    posts = [p for p in inputs.posts if not wanted or wanted & set(p["marketplaces"])]

    # daily counts per topic (and per topic × marketplace) for trends and surge tests
    counts: dict[str, Counter] = defaultdict(Counter)
    for dated_at, topic, _source in inputs.history:
        counts[topic][local_day(dated_at, tz)] += 1
    market_counts: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for dated_at, topic, market in inputs.market_history:
        if not wanted or market in wanted:
            market_counts[(topic, market)][local_day(dated_at, tz)] += 1

    groups = group_posts(posts, inputs.vectors)
    surges: list[Surge] = []
    sections: list[TopicSection] = []
    for topic in topics:
        topic_posts = [p for p in posts if topic.id in p["topics"]]
        trend = [(d, counts[topic.id][d]) for d in days]
        if wanted:  # a filtered brief counts only the chosen marketplaces' posts today
            trend[-1] = (today, len(topic_posts))
        surge = _surge_for(topic, None, topic_posts, [c for _, c in trend[:-1]], len(topic_posts), cfg)
        if surge:
            surges.append(surge)
        for market in sorted({m for p in topic_posts for m in p["marketplaces"]}):
            m_posts = [p for p in topic_posts if market in p["marketplaces"]]
            base = [market_counts[(topic.id, market)][d] for d in days[:-1]]
            m_surge = _surge_for(topic, market, m_posts, base, len(m_posts), cfg)
            if m_surge and surge is None:  # a topic-wide wave already names its marketplaces
                surges.append(m_surge)
        stories = [_story(g, topic.id) for g in groups
                   if any(topic.id in p["topics"] for p in g)]
        stories.sort(key=lambda s: s.score, reverse=True)
        sections.append(TopicSection(topic.id, topic.name, len(topic_posts),
                                     stories[:cfg.max_items_per_topic], trend, surge))

    surges.sort(key=lambda s: (s.marketplace is not None, s.test.p_value, -s.count))
    sections.sort(key=lambda s: (s.surge is None, -s.count))
    unhealthy = [h for h in inputs.health if h.get("consecutive_failures")]
    enforcement = sum(1 for p in posts if p["topics"])
    return Brief(today, cfg.timezone, sorted(wanted), len(posts), enforcement, surges, sections,
                 unhealthy, groups)


def _surge_for(topic: TopicConfig, market: str | None, posts: list[dict], baseline: list[int],
               today: int, cfg: BriefConfig) -> Surge | None:
    test = test_surge(today, baseline, cfg.min_surge_count, cfg.surge_p_value)
    if not test.is_surge:
        return None
    tiers = sorted({p["tier"] for p in posts}, key=lambda t: -TIER_RANK.get(t, 0))
    named = Counter(m for p in posts for m in p["marketplaces"])
    top = [m for m, n in named.most_common(3) if n * 4 >= today] if market is None else [market]
    return Surge(topic.id, topic.name, market, today, len({p["source_id"] for p in posts}),
                 tiers, test, top)


def _story(group: list[dict], topic: str) -> StoryItem:
    """One story: the best-tier, earliest post leads; the other sources are 'also reported by'."""
    lead = max(group, key=lambda p: (TIER_RANK.get(p["tier"], 0), len(p["body"] or ""),
                                     -_ts(p["dated_at"])))
    seen_sources = {lead["source_id"]}
    also = []
    for p in group:
        if p["source_id"] not in seen_sources:
            seen_sources.add(p["source_id"])
            also.append({"name": p["source_name"], "url": p["url"], "tier": p["tier"]})
    confidence = max(p["topics"].get(topic, 0.0) for p in group)
    score = 2.0 * len(seen_sources) + TIER_RANK.get(lead["tier"], 0) + confidence
    markets = sorted({m for p in group for m in p["marketplaces"]})
    topics = sorted({t for p in group for t in p["topics"]})
    return StoryItem(lead["title"], lead["url"], excerpt(lead["body"]), lead["source_name"],
                     lead["tier"], also, markets, topics, round(score, 3), lead["dated_at"],
                     lead.get("lang") or "en", [p["id"] for p in group])


def _ts(iso: str) -> float:
    try:
        return datetime.fromisoformat(iso).timestamp()
    except (TypeError, ValueError):
        return 0.0
