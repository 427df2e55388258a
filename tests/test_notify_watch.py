"""Wave-start alerts over a day of arriving posts: hourly `watch` runs (driven through
detect_and_alert with a fake clock) against the local chat-service stand-ins, plus the brief
summary after the daily run."""

from __future__ import annotations

import hashlib
import logging
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from crackdown.archive import notifications, open_archive, posts, runs, sources, tags
from crackdown.config import SourceConfig, load_config
from crackdown.surge_stats import surge_test
from reports.notify import base
from reports.notify.waves import day_fraction, detect_and_alert
from tests.conftest import write_config
from tests.notify_services import FakeServices, notify_env, notify_toml, secret_values

DAY = date(2026, 11, 20)
SOURCES = [SourceConfig(id=f"s{i}", name=f"Seller News {i}", type="feed",
                        url=f"https://s{i}.example/feed") for i in range(4)]
HOSTILE = '@all <!channel> <at user_id="all">所有人</at> **Amazon** <b>bans</b> sellers \x1b[2J'
# Today's posts (hour, minute, title, topic): the store-closure wave on Amazon begins at 08:20.
TODAY = [(3, 10, "Seller asks about a routine account health warning", "store_closure"),
         (8, 20, HOSTILE, "store_closure"),
         (8, 50, "Amazon suspends hundreds of seller accounts overnight", "store_closure"),
         (10, 15, "More Amazon sellers report deactivations", "store_closure"),
         (12, 0, "Payout delay for one seller", "funds_hold"),
         (13, 0, "Amazon account suspensions spread to Europe", "store_closure"),
         (18, 0, "Amazon confirms store closures", "store_closure")]
KINDS = ("slack", "teams", "feishu", "dingtalk", "wecom", "telegram", "webhook")


@pytest.fixture
def services():
    fake = FakeServices()
    yield fake
    fake.close()


@pytest.fixture
def setup(tmp_path, services, monkeypatch):
    for k, v in notify_env(services).items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(base, "pause", lambda s: None)
    path = write_config(tmp_path, [], '[brief]\ntimezone = "UTC"\nbaseline_days = 14\n\n'
                        + notify_toml(services, language={"dingtalk": "zh", "wecom": "zh"}))
    config = load_config(path)
    db = open_archive(config.archive.path)
    sources.sync_sources(db, SOURCES)
    for n in range(1, 15):   # the baseline: one store-closure post a day
        day = DAY - timedelta(days=n)
        save(db, f"base-{n}", datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc),
             f"Seller forum: account deactivated, day {n}", "store_closure", n % 4)
    return config, db


def save(db, key: str, when: datetime, title: str, topic: str, source: int) -> int:
    pid, _ = posts.save_post(db, {
        "url": f"https://s{source}.example/{key}", "source_id": f"s{source}", "title": title,
        "body": title + ". " + "Sellers describe what happened. " * 5, "author": None,
        "published_at": when.isoformat(), "fetched_at": when.isoformat(), "lang": "en",
        "content_hash": hashlib.sha1(key.encode()).hexdigest(), "guid": None, "origin": None})
    tags.save_classification(db, pid, "test-model", {topic: 0.9}, [topic], "test")
    posts.set_marketplaces(db, pid, ["amazon"])
    return pid


def at(hour: int, minute: int = 5) -> datetime:
    return datetime(DAY.year, DAY.month, DAY.day, hour, minute, tzinfo=timezone.utc)


def hourly_day(config, db, services, hours=range(24), down: dict | None = None) -> dict[int, dict]:
    """Posts arrive as the day goes; a watch runs at HH:05. Returns per hour what each service
    received in that run."""
    down = down or {}
    arrived, per_hour = set(), {}
    for hour in hours:
        for n, (h, m, title, topic) in enumerate(TODAY):
            if n not in arrived and at(h, m) <= at(hour):
                save(db, f"today-{n}", at(h, m), title, topic, n % 4)
                arrived.add(n)
        services.down = set(down.get(hour, ()))
        before = {k: len(v) for k, v in services.received.items()}
        detect_and_alert(config, at(hour))
        per_hour[hour] = {k: len(v) - before[k] for k, v in services.received.items()}
    services.down = set()
    return per_hour


def expected_first_alert_hour() -> int:
    """The oracle: the first HH:05 at which the day so far tests as a surge."""
    for hour in range(24):
        count = sum(1 for h, m, _, topic in TODAY if topic == "store_closure" and at(h, m) <= at(hour))
        fraction = (hour * 60 + 5) / 1440
        if surge_test(count, [1] * 14, 3, 0.01, fraction).is_surge:
            return hour
    raise AssertionError("the fixture day has no surge")


def test_one_alert_when_the_surge_begins_and_none_on_rerun(setup, services):
    config, db = setup
    per_hour = hourly_day(config, db, services)
    first = expected_first_alert_hour()
    assert first == 9   # three posts by 08:50 against ~0.4 expected by 09:05
    for hour, got in per_hour.items():
        assert got == {k: (1 if hour == first else 0) for k in KINDS}, hour
    alerts = db.execute("SELECT date, topic, marketplace FROM wave_alerts").fetchall()
    assert alerts == [(DAY.isoformat(), "store_closure", "amazon")]
    # a rerun of the last hour, and of the alert hour, sends nothing
    before = sum(len(v) for v in services.received.values())
    detect_and_alert(config, at(23, 30))
    detect_and_alert(config, at(first))
    assert sum(len(v) for v in services.received.values()) == before


def test_the_alert_reads_naturally_in_each_channels_language(setup, services):
    config, db = setup
    hourly_day(config, db, services, hours=range(8, 10))
    slack = services.received["slack"][0]["payload"]["blocks"]
    assert slack[0]["text"]["text"] == "Wave starting: Store closures & suspensions on Amazon"
    assert "3 posts today so far (by 09:05 UTC)" in slack[1]["text"]["text"]
    ding = services.received["dingtalk"][0]["payload"]["markdown"]
    assert ding["title"] == "激增开始：封店与暂停·亚马逊"
    assert "今天截至 09:05（UTC）已有 3 篇" in ding["text"]


def test_a_channel_down_at_nine_gets_the_alert_at_ten(setup, services):
    config, db = setup
    per_hour = hourly_day(config, db, services, down={9: {"slack", "telegram"}})
    assert per_hour[9]["slack"] == 0 and per_hour[9]["telegram"] == 0 and per_hour[9]["teams"] == 1
    assert per_hour[10]["slack"] == 1 and per_hour[10]["telegram"] == 1 and per_hour[10]["teams"] == 0
    assert sum(per_hour[h]["slack"] for h in per_hour) == 1
    rows = {r["channel"]: r for r in notifications.deliveries(db, "wave_start")}
    assert rows["slack-team"]["status"] == "sent" and rows["slack-team"]["attempts"] == 2


def test_hostile_titles_arrive_inert(setup, services):
    config, db = setup
    hourly_day(config, db, services, hours=range(8, 10))
    import json

    for kind in KINDS:
        sent = json.dumps([r["payload"] for r in services.received[kind]], ensure_ascii=False)
        assert "\x1b" not in sent and "@all" not in sent, kind
        if kind != "webhook":
            assert "<!channel>" not in sent and '<at user_id="all">' not in sent, kind
    assert "Amazon" in services.received["telegram"][0]["shown"]
    assert "<b>bans</b>" in services.received["telegram"][0]["shown"]   # shown, not applied


def test_no_alert_for_a_day_already_briefed(setup, services):
    config, db = setup
    hourly_day(config, db, services, hours=range(0, 8))   # nothing yet
    runs.save_brief(db, DAY.isoformat(), "subject", "<html></html>", "text")
    hourly_day(config, db, services, hours=range(8, 24))
    assert sum(len(v) for v in services.received.values()) == 0
    assert db.execute("SELECT COUNT(*) FROM wave_alerts").fetchone()[0] == 0


def test_an_alert_still_owed_when_the_brief_goes_out_is_not_sent(setup, services):
    config, db = setup
    hourly_day(config, db, services, hours=range(8, 12), down={h: {"wecom"} for h in range(24)})
    runs.save_brief(db, DAY.isoformat(), "subject", "<html></html>", "text")
    detect_and_alert(config, at(23))
    assert services.received["wecom"] == []
    rows = {r["channel"]: r["status"] for r in notifications.deliveries(db, "wave_start")}
    assert rows["wecom-team"] == "superseded" and rows["slack-team"] == "sent"


def test_no_secret_in_logs_or_archive(setup, services, caplog, tmp_path):
    config, db = setup
    caplog.set_level(logging.DEBUG)
    hourly_day(config, db, services, down={9: {"feishu"}, 10: {"feishu"}})
    db.close()
    archive = b"".join(p.read_bytes() for p in Path(config.archive.path).parent.glob("archive.db*"))
    for secret in secret_values(services):
        assert secret.encode() not in archive, secret
        assert secret not in caplog.text, secret
    assert "feishu-team" in caplog.text   # the failure was logged, by channel id


def test_day_fraction_counts_real_hours_on_a_dst_day():
    from zoneinfo import ZoneInfo

    ny = ZoneInfo("America/New_York")
    # 2026-03-08 is 23 hours long in New York (02:00 → 03:00 skipped): noon is 11 hours in
    noon = datetime(2026, 3, 8, 12, tzinfo=ny)
    assert day_fraction(noon, ny) == pytest.approx(11 / 23)
    assert day_fraction(datetime(2026, 6, 1, 6, tzinfo=ny), ny) == pytest.approx(0.25)
