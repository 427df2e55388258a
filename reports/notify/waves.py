"""Wave starts on the day so far (`crackdown watch`): the brief's surge test with the expected
count scaled to the part of the day elapsed, and an alert once per topic × marketplace.

At local time `now` in `[brief] timezone`, with f = (now − local midnight) / (length of that
local day), a topic's (or a topic × marketplace's) posts dated from midnight to now are tested
against Poisson((baseline posts + 0.5) / baseline days × f): the same test, p-value, minimum
count and per-marketplace Bonferroni split as the daily brief (crackdown/surge_stats.py).

Once per wave: a surge is alerted when it names a marketplace not alerted for that topic today
(a topic-wide surge naming no marketplace counts as "*", and after it, or before it, nothing more
is alerted for that topic that day). Nothing is alerted for a day whose brief is stored: the
brief has said it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from crackdown.archive import notifications, open_archive, runs
from crackdown.archive.notifications import ANY_MARKET
from crackdown.config import Config
from reports.brief import build_brief
from reports.daily import load_inputs
from reports.notify.deliver import DeliveryReport, deliver_pending, queue
from reports.notify.messages import brief_link, wave_facts

log = logging.getLogger(__name__)


@dataclass
class WatchReport:
    date: str
    day_fraction: float
    already_briefed: bool = False
    waves: list[dict] = field(default_factory=list)      # new alerts: facts
    delivery: DeliveryReport = field(default_factory=DeliveryReport)


def day_fraction(now: datetime, tz: ZoneInfo) -> float:
    """How much of the local day has passed at `now` (DST days are 23 or 25 hours long)."""
    local = now.astimezone(tz)
    start = datetime(local.year, local.month, local.day, tzinfo=tz)
    nxt = start.date() + timedelta(days=1)
    end = datetime(nxt.year, nxt.month, nxt.day, tzinfo=tz)
    # timestamps, not datetime subtraction: within one tzinfo Python subtracts wall clocks
    return (local.timestamp() - start.timestamp()) / (end.timestamp() - start.timestamp())


def detect_and_alert(config: Config, now: datetime) -> WatchReport:
    """Test today so far, queue alerts for new waves, then deliver everything owed."""
    tz = ZoneInfo(config.brief.timezone)
    local = now.astimezone(tz)
    today = local.date()
    fraction = day_fraction(now, tz)
    report = WatchReport(today.isoformat(), round(fraction, 4))
    db = open_archive(config.archive.path)
    try:
        if runs.get_brief(db, today.isoformat()) is not None:
            report.already_briefed = True
        else:
            _find_waves(db, config, now, today, fraction, report)
        report.delivery = deliver_pending(config, db, today)
    finally:
        db.close()
    return report


def _find_waves(db, config: Config, now: datetime, today, fraction: float,
                report: WatchReport) -> None:
    inputs = load_inputs(db, config, today)
    cutoff = now.astimezone(ZoneInfo("UTC")).isoformat()
    inputs.posts = [p for p in inputs.posts if (p["dated_at"] or "") <= cutoff]
    brief = build_brief(inputs, list(config.topics), config.brief, language="en",
                        day_fraction=max(fraction, 1e-3))
    stories = [st for sec in brief.sections for st in sec.stories]
    as_of = now.astimezone(ZoneInfo(config.brief.timezone)).strftime("%H:%M")
    date = today.isoformat()
    for surge in brief.surges:
        markets = [surge.marketplace] if surge.marketplace else (list(surge.top_marketplaces)
                                                                 or [ANY_MARKET])
        done = notifications.alerted_markets(db, date, surge.topic)
        if ANY_MARKET in done or (done and markets == [ANY_MARKET]) or set(markets) <= done:
            continue
        facts = wave_facts(surge, date, as_of, config.brief.timezone,
                           _stories_for(surge, stories), brief_link(config.brief, date))
        key = f"{date}|{surge.topic}|{'+'.join(markets)}"
        with db.atomic():
            nid = queue(db, config, "wave_start", key, date, facts)
            # recorded even when no channel takes it: a channel added later gets no stale alert
            notifications.record_wave(db, date, surge.topic, markets, nid, surge.count,
                                      surge.test.baseline_mean, surge.test.p_value)
        report.waves.append(facts)
        log.info("wave starting: %s %s (%d posts by %s, %.1f expected)", surge.topic,
                 "+".join(markets), surge.count, as_of, surge.test.baseline_mean)


def _stories_for(surge, stories: list) -> list:
    """The wave's stories (any carrying its topic), strongest first; those naming its
    marketplace before the others."""
    found = sorted((s for s in stories if surge.topic in s.topics), key=lambda s: -s.score)
    if surge.marketplace:
        found.sort(key=lambda s: surge.marketplace not in s.marketplaces)
    return found
