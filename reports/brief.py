"""The brief model: archive rows for one day → what a seller reads. Pure; no I/O here.

`build_brief` takes plain rows (see `BriefInputs`) and returns a `Brief`; `reports.daily` reads
those rows from the archive and stores the result.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date as Date
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from crackdown.config import BriefConfig, TopicConfig
from crackdown.surge_stats import SurgeTest, surge_test
from reports.excerpt import excerpt
from reports.health import health_problems
from reports.i18n import format_date, list_separator, localized_topics, market_label, tr
from reports.stories import group_posts

TIER_RANK = {"official": 3, "media": 2, "community": 1}
TITLE_CHARS = 200   # a runaway feed title must not blow the email's size budget


@dataclass
class BriefInputs:
    date: Date
    posts: list[dict]                         # posts dated on `date` (queries.posts_between)
    history: list[tuple]                      # (dated_at, topic, source_id, post_id), baseline
    market_history: list[tuple]               # (dated_at, topic, marketplace, post_id)
    health: list[dict]                        # sources.source_health rows
    vectors: dict = field(default_factory=dict)  # post id → embedding, for story grouping
    ml_vectors: dict = field(default_factory=dict)  # post id → multilingual embedding (ditto)
    earlier_posts: list[dict] = field(default_factory=list)  # the day before: story continuity
    activity: dict = field(default_factory=dict)  # source id → {"last_post", "recent"}
    day_end: str = ""                         # end of the brief's day (ISO UTC), for silence


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
    sources: int = 1
    first_reported: dict | None = None   # {"name", "date", "url"} when it began before today
    other_topics: list[str] = field(default_factory=list)  # names of its other topics: labels
    event: dict | None = None            # the event it belongs to (reports/event_cards.py)


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
    story_count: int = 0           # stories shown under this topic, before the per-topic cap


@dataclass
class Brief:
    date: str
    timezone: str
    marketplaces: list[str]
    total_posts: int
    enforcement_posts: int
    surges: list[Surge]
    sections: list[TopicSection]
    unhealthy_sources: list[dict]       # health.health_problems entries
    stories: list[list[dict]] = field(default_factory=list)  # all groups, for storing story ids
    markets_seen: list[str] = field(default_factory=list)    # marketplaces named today
    unmatched_posts: int = 0            # filtered brief: posts naming no marketplace, left out
    events: list = field(default_factory=list)  # event cards (reports/event_cards.py), set by daily
    language: str = "en"                # "en" | "zh" (reports/i18n.py)

    @property
    def subject(self) -> str:
        lang = self.language
        date = format_date(self.date, lang)
        if self.surges:
            lead = self.surges[0]
            markets = list_separator(lang).join(market_label(m, lang) for m in lead.top_marketplaces)
            where = tr(lang, " on %(markets)s", markets=markets) if markets else ""
            return tr(lang, "Crackdown %(date)s: %(topic)s surge%(where)s (%(count)d posts, "
                      "%(ratio)s× usual)", date=date, topic=lead.topic_name, where=where,
                      count=lead.count, ratio=times(lead.test.ratio))
        return tr(lang, "Crackdown %(date)s: %(count)d enforcement posts, no surge", date=date,
                  count=self.enforcement_posts)


def times(ratio: float) -> str:
    """5.0 → "5", 9.6 → "10", 2.4 → "2.4": a wave's size needs no false precision."""
    return f"{ratio:.0f}" if ratio >= 3 else f"{ratio:.1f}".removesuffix(".0")


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


def build_brief(inputs: BriefInputs, topics: list[TopicConfig], cfg: BriefConfig,
                language: str | None = None, day_fraction: float = 1.0) -> Brief:
    """The brief for `inputs.date`, in `language` (default `cfg.language`).

    `day_fraction` < 1 judges a day so far (`crackdown watch`): each surge test expects only
    that fraction of a baseline day's posts (crackdown/surge_stats.py).

    Marketplace filter (`cfg.marketplaces`): only posts that name one of those marketplaces are
    counted and shown, today and in the baseline, so a surge is judged on the same footing; posts
    naming no marketplace are left out (their number is reported).
    """
    language = language or cfg.language
    topics = localized_topics(topics, language)
    tz = ZoneInfo(cfg.timezone)
    today = inputs.date.isoformat()
    days = [(inputs.date - timedelta(days=n)).isoformat() for n in range(cfg.baseline_days, -1, -1)]
    wanted = set(cfg.marketplaces)

    def keep(p: dict) -> bool:
        return not wanted or bool(wanted & set(p["marketplaces"]))

    posts = [p for p in inputs.posts if keep(p)]
    unmatched = sum(1 for p in inputs.posts if wanted and not p["marketplaces"])
    counts, market_counts = _daily_counts(inputs, tz, wanted)

    today_ids = {p["id"] for p in posts}
    groups = group_posts(posts + [p for p in inputs.earlier_posts if keep(p)], inputs.vectors,
                         ml_vectors=inputs.ml_vectors)
    groups = [g for g in groups if any(p["id"] in today_ids for p in g)]
    ranked = [_topics_by_strength(g, topics, today_ids) for g in groups]
    names = {t.id: t.name for t in topics}

    surges: list[Surge] = []
    sections: list[TopicSection] = []
    for topic in topics:
        topic_posts = [p for p in posts if topic.id in p["topics"]]
        trend = [(d, len(counts[topic.id][d])) for d in days[:-1]] + [(today, len(topic_posts))]
        surge = _surge_for(topic, None, topic_posts, [c for _, c in trend[:-1]], cfg,
                           day_fraction)
        if surge:
            surges.append(surge)
        markets = sorted({m for p in topic_posts for m in p["marketplaces"]
                          if not wanted or m in wanted})
        # one test per marketplace: share the false-alarm budget among them (Bonferroni)
        m_cfg = replace(cfg, surge_p_value=cfg.surge_p_value / max(len(markets), 1))
        for market in markets:
            m_posts = [p for p in topic_posts if market in p["marketplaces"]]
            base = [len(market_counts[(topic.id, market)][d]) for d in days[:-1]]
            m_surge = _surge_for(topic, market, m_posts, base, m_cfg, day_fraction)
            if m_surge and surge is None:  # a topic-wide wave already names its marketplaces
                surges.append(m_surge)
        # each story once, under its strongest topic; its other topics become labels, in config
        # order so that the same label sits in the same place on every story line
        stories = [_story(g, topic.id, today_ids, [names[t] for t in names if t in r[1:]])
                   for g, r in zip(groups, ranked) if r and r[0] == topic.id]
        stories.sort(key=lambda s: s.score, reverse=True)
        sections.append(TopicSection(topic.id, topic.name, len(topic_posts),
                                     stories[:cfg.max_items_per_topic], trend, surge, len(stories)))

    surges.sort(key=lambda s: (s.marketplace is not None, s.test.p_value, -s.count))
    sections.sort(key=lambda s: (s.surge is None, -s.count))
    problems = health_problems(inputs.health, inputs.activity, inputs.day_end, cfg.baseline_days)
    enforcement = sum(1 for p in posts if p["topics"])
    seen = sorted({m for p in posts for m in p["marketplaces"]})
    return Brief(today, cfg.timezone, sorted(wanted), len(posts), enforcement, surges, sections,
                 problems, groups, seen, unmatched, language=language)


def _daily_counts(inputs: BriefInputs, tz: ZoneInfo, wanted: set[str]):
    """Distinct post ids per topic per local day (all, or only the wanted marketplaces'), and
    per topic × marketplace."""
    counts: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    market_counts: dict[tuple[str, str], dict[str, set]] = defaultdict(lambda: defaultdict(set))
    if not wanted:
        for n, (dated_at, topic, *rest) in enumerate(inputs.history):
            counts[topic][local_day(dated_at, tz)].add(rest[1] if len(rest) > 1 else n)
    for n, (dated_at, topic, market, *rest) in enumerate(inputs.market_history):
        post = rest[0] if rest else n
        day = local_day(dated_at, tz)
        market_counts[(topic, market)][day].add(post)
        if wanted and market in wanted:
            counts[topic][day].add(post)
    return counts, market_counts


def _surge_for(topic: TopicConfig, market: str | None, posts: list[dict], baseline: list[int],
               cfg: BriefConfig, day_fraction: float = 1.0) -> Surge | None:
    today = len(posts)
    test = surge_test(today, baseline, cfg.min_surge_count, cfg.surge_p_value, day_fraction)
    if not test.is_surge:
        return None
    tiers = sorted({p["tier"] for p in posts}, key=lambda t: -TIER_RANK.get(t, 0))
    named = Counter(m for p in posts for m in p["marketplaces"])
    top = [m for m, n in named.most_common(3) if n * 4 >= today] if market is None else [market]
    return Surge(topic.id, topic.name, market, today, len({p["source_id"] for p in posts}),
                 tiers, test, top)


def _topics_by_strength(group: list[dict], topics: list[TopicConfig],
                        today_ids: set[int]) -> list[str]:
    """The configured topics of a group's posts of today, strongest first: the highest classifier
    score any of them has for the topic, ties in config order."""
    order = {t.id: k for k, t in enumerate(topics)}
    best: dict[str, float] = {}
    for p in group:
        if p["id"] in today_ids:
            for t, score in p["topics"].items():
                if t in order:
                    best[t] = max(best.get(t, 0.0), score or 0.0)
    return sorted(best, key=lambda t: (-best[t], order[t]))


def _story(group: list[dict], topic: str, today_ids: set[int],
           other_topics: list[str] | None = None) -> StoryItem:
    """One story from today's posts of a group: the best tier leads (earliest on a tie); other
    sources are 'also reported by'; a group that began the day before says who reported it first.

    Ranking score: distinct sources count most (2 each), then the lead's tier (official 3,
    media 2, community 1), then the classifier's confidence for this topic (0–1).
    """
    todays = [p for p in group if p["id"] in today_ids]
    on_topic = [p for p in todays if topic in p["topics"]] or todays
    lead = max(on_topic, key=lambda p: (TIER_RANK.get(p["tier"], 0), bool(p["body"]),
                                        -_ts(p["dated_at"])))
    seen_sources = {lead["source_id"]}
    also = []
    for p in todays:
        if p["source_id"] not in seen_sources:
            seen_sources.add(p["source_id"])
            also.append({"name": p["source_name"], "url": p["url"], "tier": p["tier"]})
    earlier = [p for p in group if p["id"] not in today_ids]
    first = ({"name": earlier[0]["source_name"], "date": (earlier[0]["dated_at"] or "")[:10],
              "url": earlier[0]["url"]} if earlier else None)
    confidence = max(p["topics"].get(topic, 0.0) for p in todays)
    score = 2.0 * len(seen_sources) + TIER_RANK.get(lead["tier"], 0) + confidence
    markets = sorted({m for p in todays for m in p["marketplaces"]})
    topics = sorted({t for p in todays for t in p["topics"]})
    title = lead["title"] if len(lead["title"]) <= TITLE_CHARS else lead["title"][:TITLE_CHARS] + "…"
    return StoryItem(title, lead["url"], excerpt(lead["body"] or lead["title"]),
                     lead["source_name"], lead["tier"], also, markets, topics, round(score, 3),
                     lead["dated_at"], lead.get("lang") or "en", [p["id"] for p in group],
                     len(seen_sources), first, other_topics or [])


def _ts(iso: str) -> float:
    try:
        return datetime.fromisoformat(iso).timestamp()
    except (TypeError, ValueError):
        return 0.0
