"""Event cards in the brief: built by `make_brief` from the tracked archive, as of the brief's
day, email-safe in the HTML part and present in the text part; story items name their event."""

import re
from dataclasses import replace
from datetime import date as Date
from datetime import timedelta

from crackdown.archive import events as store
from reports.daily import make_brief
from reports.event_cards import EventCard
from reports.render import MAX_HTML_BYTES, render_html, render_text
from tests.event_samples import D0, build, config, day
from tests.test_render import assert_email_safe, brief_of, post


def as_of(n: int) -> Date:
    return D0 + timedelta(days=n)


def card_block(html: str) -> str:
    start = html.index("Events under way")
    return html[start:html.index("</td></tr>", html.index("Bars: posts per day", start))]


def test_brief_leads_with_event_cards_as_of_its_day(tmp_path):
    db = build(tmp_path / "archive.db")
    db.close()
    cfg = config(tmp_path / "archive.db")
    first = make_brief(cfg, as_of(19))
    html, text = first.html, first.text
    assert html.index("Events under way") < html.index("Today by topic")   # above the stories
    # (css-inline writes entities as characters: &mdash; becomes —)
    assert re.search(r"<b>Review manipulation crackdown — Amazon</b> — day 2 —\s+"
                     r"14 posts from 4 sources", html)
    assert "named: Aukey (傲基), Mpow, Patozon (帕拓逊)" in html and "<b>rising</b>" in html
    assert "official since" not in card_block(html)                  # the statement comes on day 20
    # one bar per day since the first post: run-up 15, 16, 17 (empty), flag 18, today 19
    review = card_block(html).split("Store closures")[0]
    assert re.findall(r'title="(\d{4}-\d\d-\d\d): (\d+)"', review) == [
        (day(15), "1"), (day(16), "1"), (day(17), "0"), (day(18), "5"), (day(19), "7")]
    assert "Store closures &amp; suspensions — Walmart</b> — day 2" in html
    assert "Part of the event: Review manipulation crackdown — Amazon, day 2" in html
    assert_email_safe(html)
    assert len(html.encode()) < MAX_HTML_BYTES
    assert ("* Review manipulation crackdown - Amazon - day 2 - 14 posts from 4 sources - named: "
            "Aukey (傲基), Mpow, Patozon (帕拓逊) - rising") in text
    assert "  per day: 1 1 0 | 5 7" in text
    assert f"first post {day(15)} (Seller Forum, community); flagged {day(18)}" in text
    assert "Part of the event: Review manipulation crackdown - Amazon, day 2" in text

    # later days: official confirmation, fading, then one closing line
    day20 = make_brief(cfg, as_of(20))
    assert f"(official since {day(20)})" in day20.text and "day 3 - 18 posts" in day20.text
    assert "- fading" not in day20.text.split("Store closures")[0]
    day21 = make_brief(cfg, as_of(21))
    assert "Review manipulation crackdown - Amazon - day 4 - 19 posts from 5 sources" in day21.text
    assert day21.text.split("\n* Store")[0].rstrip().endswith(f"flagged {day(18)}")
    make_brief(cfg, as_of(22))
    day23 = make_brief(cfg, as_of(23))
    assert (f"- Over: Review manipulation crackdown - Amazon, {day(18)} to {day(23)} "
            "(3 active days, 19 posts from 5 sources, peak 7/day)") in day23.text
    assert "Over: Review manipulation crackdown" in day23.html
    assert "Over: Review" not in make_brief(cfg, as_of(24)).text          # said once

    # rebuilding an old day shows that day's figures and renders the same brief
    again = make_brief(cfg, as_of(19))
    assert again.html == first.html and again.text == first.text


def test_ended_since_last_brief_spans_days_without_a_brief(tmp_path):
    db = build(tmp_path / "archive.db")
    db.close()
    cfg = config(tmp_path / "archive.db")
    make_brief(cfg, as_of(20))
    # no brief on 21-24: the brief for 25 closes both waves that ended meanwhile
    text = make_brief(cfg, as_of(25)).text
    assert "- Over: Review manipulation crackdown - Amazon" in text
    assert "- Over: Store closures & suspensions - Walmart" in text
    assert "EVENTS UNDER WAY" in text and "\n* " not in text.split("WAVES")[0].split("No surge")[0]


def hostile_card(n: int) -> EventCard:
    bars = [(f"2021-05-{(i % 28) + 1:02d}", i % 9, "runup" if i < 10 else "event") for i in range(40)]
    return EventCard(n, "review_abuse", "Review <i>manipulation</i>", "amazon", 12, "2021-05-07",
                     123, 11, "peak", ['<script>alert("p")</script>', "Aukey (傲基)"], bars, 30,
                     "2021-05-11", "2021-05-02",
                     {"dated_at": "2021-05-02T09:00:00+00:00", "source_name": "<b>Forum</b>",
                      "tier": "community", "title": '<img src=x onerror=alert(1)>',
                      "url": "javascript:alert(1)"})


def test_cards_are_email_safe_with_hostile_text_and_many_events():
    brief = brief_of([post(i, f"Seller account suspended {i}") for i in range(60)])
    brief = replace(brief, events=[hostile_card(n) for n in range(12)]
                    + [replace(hostile_card(99), closing=True, end_day="2021-05-20", status="over")])
    html = render_html(brief)
    assert_email_safe(html)
    assert len(html.encode()) < MAX_HTML_BYTES
    assert "<script" not in html and "<img" not in html and "javascript:" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x" in html
    # six cards at most, 30 bars each, so the stories keep their room
    assert html.count("day 12 —") == 6 and "6 more under way" in html
    assert html.count("Over: Review") == 1
    assert len(re.findall(r'title="2021-05-\d\d: \d"', card_block(html))) == 6 * 30
    text = render_text(brief)
    assert text.count("- day 12 - 123 posts from 11 sources (official since 2021-05-11)") == 6
    assert 'named: <script>alert("p")</script>, Aukey (傲基)' in text    # plain text: shown as is
    assert "javascript:" not in text


def test_no_events_no_card_section(tmp_path):
    brief = brief_of([post(1, "Seller account suspended")])
    assert "Events under way" not in render_html(brief)
    assert "EVENTS UNDER WAY" not in render_text(brief)
    db = build(tmp_path / "archive.db", upto=5)
    db.close()
    cfg = config(tmp_path / "archive.db")
    assert "Events under way" not in make_brief(cfg, as_of(5)).html
    reopened = build(tmp_path / "archive.db", upto=5)
    assert store.tracked_days(reopened) == (day(0), day(5))
