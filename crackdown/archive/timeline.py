"""A topic's daily history with surges marked, for `crackdown timeline`.

Days are UTC calendar days (the archive's dates), each tested against the `baseline_days` days
before it with the brief's own surge test (crackdown.surge_stats, which reports.brief uses too),
so a day marked here is a day the brief would have called a wave.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date as Date
from datetime import timedelta

from sqlite_utils import Database

from crackdown.archive.days import DAY_EXPR, day_window
from crackdown.surge_stats import surge_test


@dataclass(frozen=True)
class TimelineDay:
    day: str
    posts: int
    sources: int
    baseline_mean: float
    ratio: float
    p_value: float
    surge: bool


def daily_counts(db: Database, topic: str, *, marketplace: str | None = None,
                 since: str | None = None, until: str | None = None) -> dict[str, tuple[int, int]]:
    """UTC day → (posts, distinct sources) for posts tagged `topic` dated in [since, until)."""
    where, params = ["t.topic = ?"], [topic]
    join = ""
    if marketplace:
        join = "JOIN marketplaces m ON m.post_id = p.id AND m.marketplace = ?"
        params.insert(0, marketplace)
    clauses, window_params = day_window(since, until)
    where += clauses
    params += window_params
    rows = db.execute(
        f"""SELECT substr({DAY_EXPR}, 1, 10) AS day, COUNT(*), COUNT(DISTINCT p.source_id)
            FROM tags t JOIN posts p ON p.id = t.post_id {join}
            WHERE {' AND '.join(where)} GROUP BY day""", params).fetchall()
    return {day: (posts, sources) for day, posts, sources in rows}


def topic_timeline(db: Database, topic: str, *, marketplace: str | None = None,
                   since: Date | None = None, until: Date | None = None, baseline_days: int = 14,
                   min_count: int = 3, p_value: float = 0.01) -> list[TimelineDay]:
    """Every day from `since` (else the topic's first post) to the day before `until` (else its
    last post), zeros included, each with its surge test against the preceding baseline."""
    fetch_from = (since - timedelta(days=baseline_days)).isoformat() if since else None
    counts = daily_counts(db, topic, marketplace=marketplace, since=fetch_from,
                          until=until.isoformat() if until else None)
    if not counts:
        return []
    first = since or Date.fromisoformat(min(counts))
    last = (until - timedelta(days=1)) if until else Date.fromisoformat(max(counts))
    out = []
    day = first
    while day <= last:
        baseline = [counts.get((day - timedelta(days=n)).isoformat(), (0, 0))[0]
                    for n in range(baseline_days, 0, -1)]
        posts, sources = counts.get(day.isoformat(), (0, 0))
        test = surge_test(posts, baseline, min_count, p_value)
        out.append(TimelineDay(day.isoformat(), posts, sources, test.baseline_mean, test.ratio,
                               test.p_value, test.is_surge))
        day += timedelta(days=1)
    return out
