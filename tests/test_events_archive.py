"""Events in a real SQLite archive: tracked by `update_events` (as `run`/`brief` do), idempotent
per day, caught up over missed days, kept through `prune`; and the backtest's figures."""

import json
import shutil
from datetime import date as Date
from datetime import timedelta

import pytest
from click.testing import CliRunner

from crackdown.archive import events as store
from crackdown.archive import open_archive
from crackdown.archive.retention import prune_before
from crackdown.cli import cli
from reports.event_tracking import backtest, update_events
from tests.event_samples import BLIP, D0, POSTS, REVIEW, WALMART, build, config, day


def as_of(n: int) -> Date:
    return D0 + timedelta(days=n)


def snapshot(db) -> list[dict]:
    rows = [dict(r, updated_at=None) for r in store.list_events(db)]
    stories = db.execute("SELECT * FROM event_stories ORDER BY event_id, story_id").fetchall()
    return sorted(rows, key=lambda r: (r["topic"], r["marketplace"], r["start_day"])) + [stories]


@pytest.fixture
def tracked(tmp_path):
    """The sample archive with events tracked through day 25, one day at a time."""
    db = build(tmp_path / "archive.db")
    cfg = config(tmp_path / "archive.db")
    for n in range(26):
        update_events(db, cfg, as_of(n))
    yield db, cfg, tmp_path
    db.close()


def by_key(db) -> dict:
    return {(r["topic"], r["marketplace"]): r for r in store.list_events(db)}


def test_episodes_start_continue_and_end_as_the_days_say(tracked):
    db, _, _ = tracked
    events = by_key(db)
    assert set(events) == {("review_abuse", "amazon"), ("store_closure", "walmart"),
                           ("counterfeit_ip", "amazon")}
    review = events[("review_abuse", "amazon")]
    assert (review["first_day"], review["start_day"], review["end_day"]) == (
        day(REVIEW["first_day"]), day(REVIEW["start"]), day(REVIEW["end"]))
    assert (review["peak_day"], review["peak_count"]) == (day(REVIEW["peak"][0]), REVIEW["peak"][1])
    assert review["posts"] == REVIEW["posts"] and review["sources"] == 5 and review["status"] == "over"
    assert review["first_post_source"] == "Seller Forum" and review["first_post_tier"] == "community"
    assert review["first_media_at"][:10] == day(REVIEW["media"])
    assert review["first_official_source"] == "Platform Notices"
    assert review["first_official_at"][:10] == day(REVIEW["official"])
    parties = {p["name"]: p for p in review["parties"]}
    assert parties["Aukey"]["sources"] == 4 and parties["Aukey"]["aliases"] == ["傲基"]
    assert parties["Mpow"]["sources"] == 4 and parties["Patozon"]["sources"] == 1
    assert [p["name"] for p in review["parties"]][:2] == ["Aukey", "Mpow"]
    # two marketplaces at once: the Walmart wave is its own event, same days
    walmart = events[("store_closure", "walmart")]
    assert (walmart["start_day"], walmart["end_day"], walmart["posts"]) == (
        day(WALMART["start"]), day(WALMART["end"]), WALMART["posts"])
    blip = events[("counterfeit_ip", "amazon")]
    assert (blip["start_day"], blip["end_day"], blip["posts"]) == (
        day(BLIP["start"]), day(BLIP["end"]), BLIP["posts"])


def test_a_rerun_of_a_day_changes_nothing(tracked):
    db, cfg, _ = tracked
    before = snapshot(db)
    for n in (19, 25, 3):
        assert update_events(db, cfg, as_of(n)) == []
    assert snapshot(db) == before


def test_catching_up_missed_days_gives_the_same_events_as_daily_updates(tracked, tmp_path):
    db, cfg, _ = tracked
    other = build(tmp_path / "catchup.db")
    other_cfg = config(tmp_path / "catchup.db")
    update_events(other, other_cfg, as_of(12))      # then the machine was off for 13 days
    update_events(other, other_cfg, as_of(25))
    assert snapshot(other) == snapshot(db)
    assert store.tracked_days(other) == (day(0), day(25))


def test_an_open_event_goes_on_across_runs_as_posts_arrive(tmp_path):
    """Posts come in day by day (as crawls add them); the event grows, then ends."""
    path = tmp_path / "live.db"
    db = build(path, upto=18)
    cfg = config(path)
    update_events(db, cfg, as_of(18))
    review = by_key(db)[("review_abuse", "amazon")]
    assert review["end_day"] is None and review["status"] == "rising" and review["posts"] == 7
    db.close()
    shutil.copy(path, tmp_path / "day18.db")
    full = build(path)                               # the later posts arrive (same URLs kept)
    update_events(full, cfg, as_of(19))
    review = by_key(full)[("review_abuse", "amazon")]
    assert review["posts"] == 14 and review["end_day"] is None and review["last_day"] == day(19)
    update_events(full, cfg, as_of(25))
    assert by_key(full)[("review_abuse", "amazon")]["end_day"] == day(REVIEW["end"])


def test_events_survive_prune_of_their_posts(tracked):
    db, cfg, _ = tracked
    before = {k: dict(v, updated_at=None) for k, v in by_key(db).items()}
    prune_before(db, day(30), vacuum=False)
    assert db.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 0
    after = {k: dict(v, updated_at=None) for k, v in by_key(db).items()}
    assert after == before
    review = after[("review_abuse", "amazon")]
    assert review["first_post_title"] == "Anyone else get 'we removed reviews' emails today?"
    assert [d for d, _, _ in review["daily"]][0] == day(REVIEW["first_day"])
    # the tracker goes on over the empty archive without touching the finished events
    update_events(db, cfg, as_of(40))
    assert {k: dict(v, updated_at=None) for k, v in by_key(db).items()} == before


def test_event_command_shows_history_after_prune(tracked):
    db, _, tmp = tracked
    prune_before(db, day(30), vacuum=False)
    review_id = by_key(db)[("review_abuse", "amazon")]["id"]
    args = ["--config", str(tmp / "none.toml"), "--db", str(tmp / "archive.db")]
    (tmp / "none.toml").write_text('[events]\nquiet_days = 3\n', encoding="utf-8")
    result = CliRunner().invoke(cli, [*args, "event", str(review_id)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"flagged {day(18)}, first post {day(15)}" in out
    assert "Aukey / 傲基  4" in out and "Platform Notices: A statement on review abuse" in out
    assert f"{day(18)}     5    4 src" in out and "FLAG" in out and "run-up" in out
    listed = CliRunner().invoke(cli, [*args, "events", "--topic", "review_abuse", "--format", "json"])
    rows = [json.loads(line) for line in listed.output.splitlines()]
    assert [r["id"] for r in rows] == [review_id]
    active = CliRunner().invoke(cli, [*args, "events", "--active"])
    assert active.exit_code == 0 and "no events" in active.output
    missing = CliRunner().invoke(cli, [*args, "event", "999"])
    assert missing.exit_code == 2 and "no event 999" in missing.output


def test_backtest_figures_on_the_known_archive(tmp_path):
    path = tmp_path / "bt.db"
    db = build(path)
    cfg = config(path)
    result = backtest(db, cfg, as_of(0), as_of(25))
    got = {(e.topic, e.marketplace): e for e in result.events}
    assert set(got) == {("review_abuse", "amazon"), ("store_closure", "walmart")}
    assert [(e.topic, e.start_day) for e in result.false_alarms] == [("counterfeit_ip", day(10))]
    # nothing stored: the backtest only reads
    assert db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM event_days").fetchone()[0] == 0
    db.close()
    (tmp_path / "c.toml").write_text('[brief]\nbaseline_days = 14\n', encoding="utf-8")
    args = ["--config", str(tmp_path / "c.toml"), "--db", str(path), "backtest",
            "--from", day(0), "--to", day(25)]
    as_json = CliRunner().invoke(cli, [*args, "--format", "json"])
    rows = [json.loads(line) for line in as_json.output.splitlines()]
    review = next(r for r in rows if r["topic"] == "review_abuse")
    assert review == {**review, "first_post_day": day(15), "first_post_source": "Seller Forum",
                      "first_post_tier": "community", "flagged": day(18),
                      "first_media_day": day(16), "lead_over_media": -2,
                      "first_official_day": day(20), "lead_over_official": 2,
                      "peak_day": day(19), "peak_posts": 7, "end_day": day(23), "false_alarm": False}
    walmart = next(r for r in rows if r["topic"] == "store_closure")
    assert (walmart["lead_over_media"], walmart["lead_over_official"]) == (0, None)
    assert [r["false_alarm"] for r in rows if r["topic"] == "counterfeit_ip"] == [True]
    table = CliRunner().invoke(cli, args)
    assert table.exit_code == 0
    assert "2 event(s), 1 false alarm(s)" in table.output
    line = next(x for x in table.output.splitlines() if x.startswith("Review manipulation"))
    assert f"{day(15)} Seller Forum (community)" in line and " -2 " in line and " +2 " in line
    # a window that ends mid-wave reports it open
    short = backtest(open_archive(path), cfg, as_of(0), as_of(19))
    assert {e.topic: e.end_day for e in short.events}["review_abuse"] is None
    bad = CliRunner().invoke(cli, [*args[:4], "backtest", "--from", day(5), "--to", day(1)])
    assert bad.exit_code == 2


def test_series_counts_local_days_and_the_marketplace_filter(tmp_path):
    """UTC days are counted by SQLite, other zones in Python: both give distinct posts and
    sources per local day, and [brief] marketplaces narrows what is tracked."""
    from dataclasses import replace

    from reports.event_tracking import load_series

    path = tmp_path / "series.db"
    db = build(path)
    cfg = config(path)
    utc = load_series(db, cfg, as_of(17), as_of(19))
    assert utc[("review_abuse", "amazon")][day(18)] == (5, ("forum", "press", "wire", "zhforum"))
    assert utc[("store_closure", "walmart")][day(19)] == (3, ("forum", "press", "wire"))
    # posts are saved at 08:00-17:00 UTC (hour 8 + index % 10): in Asia/Tokyo (UTC+9) those from
    # 15:00 UTC on belong to the next local day
    tokyo = load_series(db, replace(cfg, brief=replace(cfg.brief, timezone="Asia/Tokyo")),
                        as_of(17), as_of(20))
    expected: dict[str, int] = {}
    for n, (offset, _, _, topics, markets) in enumerate(POSTS):
        if topics == ["review_abuse"] and markets == ["amazon"]:
            local = day(offset + (1 if 8 + n % 10 >= 15 else 0))
            if day(17) <= local <= day(20):
                expected[local] = expected.get(local, 0) + 1
    got = {d: n for d, (n, _) in tokyo[("review_abuse", "amazon")].items()}
    assert got == expected and got != {d: n for d, (n, _) in utc[("review_abuse", "amazon")].items()}
    walmart_only = load_series(db, replace(cfg, brief=replace(cfg.brief, marketplaces=("walmart",))),
                               as_of(17), as_of(19))
    assert set(walmart_only) == {("store_closure", "walmart")}
