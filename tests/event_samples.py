"""A hand-built archive for the event tests: a review-manipulation wave on Amazon with a quiet
community start, trade press, an official statement and a fading tail; a store-closure wave on
Walmart at the same time; a one-day counterfeit blip. Every answer the tests expect follows from
the days below and the rules in reports/events.py."""

from __future__ import annotations

from datetime import date as Date
from datetime import timedelta
from pathlib import Path

from crackdown.archive import open_archive, sources
from crackdown.config import SourceConfig, parse_config
from tests.archive_samples import save

D0 = Date(2021, 3, 1)
SOURCES = [
    SourceConfig(id="notices", name="Platform Notices", type="feed", url="https://n.example/rss",
                 tier="official"),
    SourceConfig(id="press", name="Seller Press", type="feed", url="https://p.example/rss"),
    SourceConfig(id="wire", name="Trade Wire", type="feed", url="https://w.example/rss"),
    SourceConfig(id="forum", name="Seller Forum", type="discourse", url="https://f.example/latest.json",
                 tier="community"),
    SourceConfig(id="zhforum", name="卖家论坛", type="feed", url="https://z.example/rss",
                 tier="community", lang="zh"),
]
RA, SC, CF = ["review_abuse"], ["store_closure"], ["counterfeit_ip"]

# (day offset, source, title, topics, marketplaces)
POSTS = [
    (0, "forum", "Lost one review this week, normal churn?", RA, ["amazon"]),
    (4, "forum", "Review removed from my listing, any idea why", RA, ["amazon"]),
    (8, "press", "How review requests work in 2021", RA, ["amazon"]),
    (10, "press", "Counterfeit chargers seized at the port", CF, ["amazon"]),
    (10, "wire", "Customs seize counterfeit chargers bound for Amazon", CF, ["amazon"]),
    (10, "forum", "Counterfeit seizure, are our chargers affected?", CF, ["amazon"]),
    (15, "forum", "Anyone else get 'we removed reviews' emails today?", RA, ["amazon"]),
    (16, "press", "Sellers compare notes on a weekend of review removals", RA, ["amazon"]),
    (18, "forum", "Aukey goes dark: store gone from Amazon", RA, ["amazon"]),
    (18, "press", "Aukey listings vanish as Amazon targets review abuse", RA, ["amazon"]),
    (18, "wire", "Review abuse: Mpow and Aukey removed", RA, ["amazon"]),
    (18, "zhforum", "傲基Aukey的店也没了", RA, ["amazon"]),
    (18, "forum", "Is a review insert going to get me banned now?", RA, ["amazon"]),
    (18, "press", "Walmart closes marketplace stores over fake reviews", SC, ["walmart"]),
    (18, "forum", "Walmart closed my store today", SC, ["walmart"]),
    (18, "wire", "Walmart store closures spread", SC, ["walmart"]),
    (18, "zhforum", "沃尔玛大批店铺被关", SC, ["walmart"]),
    (19, "forum", "Megathread: review bans (Aukey, Mpow)", RA, ["amazon"]),
    (19, "press", "Mpow's catalogue is gone", RA, ["amazon"]),
    (19, "wire", "Who is next after Aukey?", RA, ["amazon"]),
    (19, "zhforum", "帕拓逊旗下Mpow也被封了", RA, ["amazon"]),
    (19, "forum", "Deactivated for review manipulation, what now", RA, ["amazon"]),
    (19, "press", "The review purge in numbers", RA, ["amazon"]),
    (19, "forum", "Our agency lost five clients overnight", RA, ["amazon"]),
    (19, "forum", "Walmart store closed, appeal denied", SC, ["walmart"]),
    (19, "press", "Walmart explains store closures", SC, ["walmart"]),
    (19, "wire", "Walmart sellers count the closures", SC, ["walmart"]),
    (20, "notices", "A statement on review abuse", RA, ["amazon"]),
    (20, "press", "Amazon confirms the review crackdown", RA, ["amazon"]),
    (20, "forum", "Official statement is out", RA, ["amazon"]),
    (20, "wire", "Amazon defends the purge", RA, ["amazon"]),
    (21, "forum", "Reinstated after the review ban", RA, ["amazon"]),
]
# What the rules make of POSTS (the tests check these; see reports/events.py)
REVIEW = {"first_day": 15, "start": 18, "media": 16, "official": 20, "peak": (19, 7), "end": 23,
          "posts": 1 + 1 + 5 + 7 + 4 + 1}
WALMART = {"first_day": 18, "start": 18, "end": 22, "posts": 7}
BLIP = {"start": 10, "end": 13, "posts": 3}


def day(n: int) -> str:
    return (D0 + timedelta(days=n)).isoformat()


def config(path: Path, **events):
    return parse_config({"archive": {"path": str(path)},
                         "brief": {"baseline_days": 14},
                         "events": {"known_names": ["Patozon|帕拓逊", "FTC"], **events}},
                        path.parent / "config.toml")


def build(path: Path, upto: int | None = None):
    """The archive at `path` with POSTS (those up to day `upto`); returns the open database."""
    db = open_archive(path)
    sources.sync_sources(db, SOURCES)
    for n, (offset, source, title, topics, markets) in enumerate(POSTS):
        if upto is None or offset <= upto:
            save(db, f"p{n}", source, day(offset), title, f"{title}. More in the article.",
                 topics, markets, "zh" if source == "zhforum" else "en", hour=8 + n % 10)
    return db
