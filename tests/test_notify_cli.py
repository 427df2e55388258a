"""Chat channels through the real CLI (`watch`, `notify test`, `notify status`, `doctor`), the
brief summary after the daily run, and the [[notify]] config errors."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from crackdown.config import ConfigError, load_config, parse_config
from crackdown.run import EXIT_OK, EXIT_PARTIAL, RunResult, _brief_and_send
from reports.notify import base
from tests.conftest import run_cli, write_config
from tests.notify_services import FakeServices, notify_env, notify_toml, secret_values
from tests.test_notify_watch import DAY, TODAY, at, save
from tests.test_notify_watch import SOURCES as WATCH_SOURCES


@pytest.fixture
def services():
    fake = FakeServices()
    yield fake
    fake.close()


def prepared(tmp_path: Path, services: FakeServices, hours: int = 24) -> Path:
    """A config with all seven channels and an archive holding the day's posts up to `hours`."""
    from datetime import timedelta

    from crackdown.archive import open_archive, sources

    path = write_config(tmp_path, [], '[brief]\ntimezone = "UTC"\n\n' + notify_toml(services))
    db = open_archive(load_config(path).archive.path)
    sources.sync_sources(db, WATCH_SOURCES)
    for n in range(1, 15):
        day = DAY - timedelta(days=n)
        save(db, f"base-{n}", datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc),
             f"Seller forum: account deactivated, day {n}", "store_closure", n % 4)
    for n, (h, m, title, topic) in enumerate(TODAY):
        if h < hours:
            save(db, f"today-{n}", at(h, m), title, topic, n % 4)
    db.close()
    return path


def assert_no_secret(services: FakeServices, *texts: str, files: list[Path] = ()) -> None:
    blob = "\n".join(texts).encode() + b"".join(p.read_bytes() for p in files if p.exists())
    for secret in secret_values(services):
        assert secret.encode() not in blob, secret


def test_watch_through_the_cli_alerts_once_and_keeps_secrets(tmp_path, services):
    config = prepared(tmp_path, services, hours=9)
    env = notify_env(services)
    log = tmp_path / "watch.log"
    first = run_cli("--config", str(config), "--log-file", str(log), "watch", "--no-crawl",
                    "--now", at(9).isoformat(), env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout == ""   # quiet under cron
    assert {k: len(v) for k, v in services.received.items()} == {k: 1 for k in services.received}
    again = run_cli("--config", str(config), "--log-file", str(log), "-v", "watch", "--no-crawl",
                    "--now", at(10).isoformat(), env=env)
    assert again.returncode == 0, again.stderr
    assert {k: len(v) for k, v in services.received.items()} == {k: 1 for k in services.received}
    assert "watch finished with exit code 0" in log.read_text()
    archive = [p for p in tmp_path.glob("archive.db*")]
    assert_no_secret(services, first.stdout, first.stderr, again.stdout, again.stderr,
                     files=[log, *archive])


def test_a_failed_channel_makes_watch_partial_and_names_it(tmp_path, services):
    config = prepared(tmp_path, services, hours=9)
    services.down.add("dingtalk")
    result = run_cli("--config", str(config), "watch", "--no-crawl", "--now", at(9).isoformat(),
                     env=notify_env(services))
    assert result.returncode == 1, result.stderr
    assert "channel dingtalk-team failed" in result.stderr and "503" in result.stderr
    assert len(services.received["slack"]) == 1 and services.received["dingtalk"] == []
    status = run_cli("--config", str(config), "notify", "status", env=notify_env(services))
    assert "dingtalk-team" in status.stdout and "pending" in status.stdout
    assert_no_secret(services, result.stderr, status.stdout)


def test_notify_test_sends_one_message(tmp_path, services):
    config = prepared(tmp_path, services, hours=0)
    ok = run_cli("--config", str(config), "notify", "test", "feishu-team", env=notify_env(services))
    assert ok.returncode == 0, ok.stderr
    assert "test message sent to feishu-team" in ok.stdout
    assert len(services.received["feishu"]) == 1
    unknown = run_cli("--config", str(config), "notify", "test", "nope", env=notify_env(services))
    assert unknown.returncode == 2 and "known: slack-team" in unknown.stderr
    env = {**notify_env(services), "CDTEST_TELEGRAM_TOKEN": ""}
    missing = run_cli("--config", str(config), "notify", "test", "telegram-team", env=env)
    assert missing.returncode == 3 and "CDTEST_TELEGRAM_TOKEN not set" in missing.stderr


def test_doctor_checks_channels_without_sending(tmp_path, services):
    config = prepared(tmp_path, services, hours=0)
    env = {**notify_env(services), "CDTEST_WECOM_URL": "not a url"}
    env.pop("CDTEST_SLACK_URL")
    result = run_cli("--config", str(config), "doctor", "--no-network",
                     env={**{k: v for k, v in os.environ.items() if k != "CDTEST_SLACK_URL"}, **env})
    lines = {ln.split(":")[0]: ln for ln in result.stdout.splitlines()}
    assert lines["[FAIL] notify slack-team"].endswith("CDTEST_SLACK_URL not set: export them where "
                                                      "crackdown runs (cron/systemd environment file)")
    assert "[FAIL] notify wecom-team" in lines and "not an http(s) URL" in lines["[FAIL] notify wecom-team"]
    assert "[ok] notify teams-team" in lines and "notify test teams-team" in lines["[ok] notify teams-team"]
    assert sum(len(v) for v in services.received.values()) == 0
    assert_no_secret(services, result.stdout, result.stderr)


def test_the_daily_brief_summary_reaches_every_channel_despite_one_down(tmp_path, services,
                                                                        monkeypatch):
    path = prepared(tmp_path, services)
    for k, v in notify_env(services).items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(base, "pause", lambda s: None)
    config = load_config(path)
    services.down.add("teams")
    result = RunResult(EXIT_OK)
    _brief_and_send(config, [DAY], emailing=False, result=result, chatting=True)
    assert result.exit_code == EXIT_PARTIAL and "channel teams-team failed" in result.messages[0]
    assert services.received["teams"] == [] and len(services.received["slack"]) == 1
    header = services.received["slack"][0]["payload"]["blocks"][0]["text"]["text"]
    assert header.startswith(f"Crackdown {DAY}: Store closures & suspensions surge on Amazon")
    services.down.clear()
    again = RunResult(EXIT_OK)
    _brief_and_send(config, [DAY], emailing=False, result=again, chatting=True)
    assert again.exit_code == EXIT_OK
    assert {k: len(v) for k, v in services.received.items()} == {k: 1 for k in services.received}
    assert services.received["webhook"][0]["event"] == "brief"


@pytest.mark.parametrize("entry, key, fragment", [
    ({"id": "a", "type": "slack", "url": "https://hooks.slack.com/services/T/B/x"}, "notify[0] (a).url",
     "put it in an environment variable"),
    ({"id": "a", "type": "slack"}, "notify[0] (a).url_env", "is required"),
    ({"id": "a", "type": "slack", "url_env": "MY-URL"}, "notify[0] (a).url_env",
     "not an environment variable name"),
    ({"id": "a", "type": "pager", "url_env": "X"}, "notify[0] (a).type", "choose from slack"),
    ({"id": "a", "type": "slack", "url_env": "X", "events": ["daily"]}, "notify[0] (a).events",
     "unknown event"),
    ({"id": "a", "type": "slack", "url_env": "X", "topics": ["nope"]}, "notify[0] (a).topics",
     "unknown topic"),
    ({"id": "a", "type": "telegram", "token_env": "T"}, "notify[0] (a).chat_id", "is required"),
    ({"id": "a", "type": "wecom", "url_env": "X", "secret_env": "S"}, "notify[0] (a).secret_env",
     "does not sign"),
    ({"id": "a", "type": "slack", "url_env": "X", "language": "fr"}, "notify[0] (a).language",
     "must be one of en, zh"),
    ({"id": "a", "type": "slack", "url_env": "X", "colour": "red"}, "notify[0] (a).colour",
     "unknown key"),
])
def test_notify_config_errors_name_the_key(entry, key, fragment):
    with pytest.raises(ConfigError) as err:
        parse_config({"notify": [entry]}, "cfg.toml")
    assert err.value.key == key and fragment in err.value.problem


def test_brief_language_and_topic_names_are_validated():
    with pytest.raises(ConfigError) as err:
        parse_config({"brief": {"language": "de"}}, "cfg.toml")
    assert err.value.key == "brief.language"
    config = parse_config({"topics": [{"id": "verification", "name": "Verify"},
                                      {"id": "mine", "name": "Mine", "name_zh": "我的"}]})
    assert [t.name_zh for t in config.topics] == ["审核验证潮", "我的"]


def test_watch_crawls_classifies_and_alerts_through_the_cli(tmp_path, services, http_server):
    """The whole hourly job: a feed on 127.0.0.1 with a burst of enforcement posts, crawled and
    classified by the real model (the shared test cache), alerted once per surging topic; an hour
    later more posts of the same waves arrive and nothing more is sent."""
    import sqlite3

    from tests.ops_support import FEED_DAY, enforcement_items, ops_config, rss, run_measured

    http_server.add("/feed.xml", rss(enforcement_items(http_server.base, "burst", 6)))
    config = ops_config(tmp_path, [{"id": "news", "name": "Seller News", "type": "feed",
                                    "url": http_server.base + "/feed.xml"}],
                        extra='[brief]\ntimezone = "UTC"\n\n' + notify_toml(services))
    # the feed's items are dated 10:00 that day; the first watch may train the shared model heads
    first = run_cli("--config", str(config), "watch", "--now", f"{FEED_DAY}T11:05:00+00:00",
                    env=notify_env(services), timeout=900)
    assert first.returncode == 0, first.stderr
    waves = sqlite3.connect(tmp_path / "archive.db").execute(
        "SELECT topic, marketplace FROM wave_alerts").fetchall()
    # the burst is about closures for fake reviews: one alert per topic that surged, on Amazon
    assert waves and {m for _, m in waves} == {"amazon"} and len({t for t, _ in waves}) == len(waves)
    assert {k: len(v) for k, v in services.received.items()} == {k: len(waves) for k in services.received}
    titles = [r["payload"]["blocks"][0]["text"]["text"] for r in services.received["slack"]]
    assert all(t.startswith("Wave starting: ") and t.endswith(" on Amazon") for t in titles)
    assert len(set(titles)) == len(titles)
    http_server.add("/feed.xml", rss(enforcement_items(http_server.base, "burst", 6)
                                     + enforcement_items(http_server.base, "more", 3)))
    again, rss_mb = run_measured("--config", str(config), "watch", "--now",
                                 f"{FEED_DAY}T12:05:00+00:00", env=notify_env(services))
    assert again.returncode == 0, again.stderr
    # crawl + classify 3 new posts + test + deliver: 243 MB on the int8 ONNX path (the benchmark);
    # after other tests have reshaped the shared model cache the classifier can take its torch
    # path (982-1,222 MB measured in the full suite), so the bound is the one the `run` tests use.
    assert 0 < rss_mb < 1500
    count = sqlite3.connect(tmp_path / "archive.db").execute("SELECT COUNT(*) FROM posts").fetchone()
    assert count == (9,)
    assert {k: len(v) for k, v in services.received.items()} == {k: len(waves) for k in services.received}
    assert_no_secret(services, first.stdout, first.stderr, again.stdout, again.stderr,
                     files=list(tmp_path.glob("archive.db*")))


def test_watch_waits_for_a_run_holding_the_lock(tmp_path, services):
    from crackdown.lock import RunLock, lock_path

    config = prepared(tmp_path, services, hours=9)
    with RunLock(lock_path(load_config(config).archive.path)):
        result = run_cli("--config", str(config), "watch", "--no-crawl", "--now", at(9).isoformat(),
                         env=notify_env(services))
    assert result.returncode == 75, result.stderr
    assert sum(len(v) for v in services.received.values()) == 0
