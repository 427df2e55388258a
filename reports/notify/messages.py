"""What a chat message says: facts stored with a notification → a `Message` in a channel's
language, narrowed to the channel's topics and marketplaces.

Facts (JSON in `notifications.data`) hold ids, numbers and feed text only; names and sentences
come from the config and the catalogue at sending time, so one notification reads naturally on an
English Slack and a Chinese DingTalk.
"""

from __future__ import annotations

from crackdown.archive.notifications import ANY_MARKET
from crackdown.config import BriefConfig, TopicConfig
from crackdown.config_notify import NotifyConfig
from reports.brief import Brief, times
from reports.i18n import (
    format_date,
    list_separator,
    localized_topics,
    market_label,
    ngettext,
    tier_label,
    tr,
)
from reports.notify.base import Message, Story

TOP_STORIES = 5


def brief_link(cfg: BriefConfig, date: str) -> str:
    """`[brief] link` with {date} filled in, or ""."""
    return cfg.link.replace("{date}", date) if cfg.link else ""


def wave_facts(surge, date: str, as_of: str, tz: str, stories: list, link: str) -> dict:
    markets = ([surge.marketplace] if surge.marketplace else list(surge.top_marketplaces))
    return {"date": date, "topic": surge.topic, "topic_name": surge.topic_name,
            "markets": markets or [ANY_MARKET], "count": surge.count,
            "expected": round(surge.test.baseline_mean, 2), "ratio": surge.test.ratio,
            "p_value": surge.test.p_value, "sources": surge.sources, "tiers": surge.tiers,
            "as_of": as_of, "tz": tz, "link": link,
            "stories": [{"title": s.title, "url": s.url, "source": s.source_name}
                        for s in stories[:TOP_STORIES]]}


def brief_facts(brief: Brief, link: str) -> dict:
    ranked = sorted((st for sec in brief.sections for st in sec.stories),
                    key=lambda st: -st.score)
    return {"date": brief.date, "enforcement_posts": brief.enforcement_posts,
            "total_posts": brief.total_posts, "link": link,
            "surges": [{"topic": s.topic, "topic_name": s.topic_name,
                        "markets": [s.marketplace] if s.marketplace else list(s.top_marketplaces),
                        "count": s.count, "ratio": s.test.ratio} for s in brief.surges],
            "stories": [{"title": st.title, "url": st.url, "source": st.source_name,
                         "topics": st.topics, "markets": st.marketplaces}
                        for st in ranked[:20]]}


def _wanted(channel: NotifyConfig, topics: list[str], markets: list[str]) -> bool:
    if channel.topics and not set(channel.topics) & set(topics):
        return False
    real = [m for m in markets if m != ANY_MARKET]
    return not channel.marketplaces or bool(set(channel.marketplaces) & set(real))


def wants(channel: NotifyConfig, kind: str, facts: dict) -> bool:
    """Does `channel` take this notification? Events first; a wave must match the channel's
    topic and marketplace filters (a brief summary goes out, narrowed to them)."""
    if kind == "test":
        return True
    if kind not in channel.events:
        return False
    return kind != "wave_start" or _wanted(channel, [facts["topic"]], facts["markets"])


def _names(topics: list[TopicConfig], lang: str) -> dict[str, str]:
    return {t.id: t.name for t in localized_topics(topics, lang)}


def _where(markets: list[str], lang: str) -> str:
    shown = [market_label(m, lang) for m in markets if m != ANY_MARKET]
    return tr(lang, " on %(markets)s", markets=list_separator(lang).join(shown)) if shown else ""


def _footer(facts: dict, lang: str) -> str:
    if facts.get("link"):
        return tr(lang, "Full brief: %(url)s", url=facts["link"])
    return tr(lang, "Full brief: in your email, or `crackdown brief --date %(date)s`",
              date=facts["date"])


def wave_message(facts: dict, lang: str, topics: list[TopicConfig]) -> Message:
    name = _names(topics, lang).get(facts["topic"], facts["topic_name"])
    title = tr(lang, "Wave starting: %(topic)s%(where)s", topic=name,
               where=_where(facts["markets"], lang))
    n = facts["sources"]
    sources = ngettext(lang)("%(num)d source", "%(num)d sources", n) % {"num": n}
    lines = [
        tr(lang, "%(count)d posts today so far (by %(time)s %(tz)s); about %(expected)s expected "
           "by now", count=facts["count"], time=facts["as_of"], tz=facts["tz"],
           expected=f"{facts['expected']:.1f}"),
        tr(lang, "Reported by %(sources)s (%(tiers)s)", sources=sources,
           tiers=list_separator(lang).join(tier_label(t, lang) for t in facts["tiers"])),
    ]
    stories = [Story(s["title"], s["url"], s["source"]) for s in facts["stories"]]
    if stories:
        lines.append(tr(lang, "Top stories:"))
    return Message("wave_start", title, lines, stories, _footer(facts, lang), facts.get("link", ""),
                   facts, lang)


def brief_message(facts: dict, lang: str, topics: list[TopicConfig],
                  channel: NotifyConfig) -> Message:
    names = _names(topics, lang)
    surges = [s for s in facts["surges"] if _wanted(channel, [s["topic"]], s["markets"] or [ANY_MARKET])]
    date = format_date(facts["date"], lang)
    if surges:
        lead = surges[0]
        title = tr(lang, "Crackdown %(date)s: %(topic)s surge%(where)s (%(count)d posts, "
                   "%(ratio)s× usual)", date=date, topic=names.get(lead["topic"], lead["topic_name"]),
                   where=_where(lead["markets"], lang), count=lead["count"],
                   ratio=times(lead["ratio"]))
    else:
        title = tr(lang, "Crackdown %(date)s: %(count)d enforcement posts, no surge", date=date,
                   count=facts["enforcement_posts"])
    lines = [tr(lang, "%(topic)s%(where)s: %(count)d posts, %(ratio)s× the usual",
                topic=names.get(s["topic"], s["topic_name"]), where=_where(s["markets"], lang),
                count=s["count"], ratio=times(s["ratio"])) for s in surges]
    if not surges:
        lines.append(tr(lang, "No surge today: every topic is within its usual range."))
    chosen = [s for s in facts["stories"] if _wanted(channel, s["topics"], s["markets"] or [ANY_MARKET])]
    stories = [Story(s["title"], s["url"], s["source"]) for s in chosen[:TOP_STORIES]]
    if stories:
        lines.append(tr(lang, "Top stories:"))
    return Message("brief", title, lines, stories, _footer(facts, lang), facts.get("link", ""),
                   facts, lang)


def trial_message(channel: NotifyConfig, lang: str) -> Message:
    return Message("test", tr(lang, "Crackdown test"),
                   [tr(lang, "Test message from Crackdown: channel %(id)s (%(type)s) is set up.",
                       id=channel.id, type=channel.type)], [], "", "",
                   {"channel": channel.id}, lang)
