"""Cron safety with real processes: the run lock, SIGKILL and SIGTERM mid-crawl and mid-write,
the next run completing the work, quiet output and the log file."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import stat
import threading
import time
from datetime import date as Date

import pytest

from crackdown.cli import LOG_FILE_BYTES, _file_handler
from crackdown.run import brief_dates
from tests.conftest import run_cli
from tests.ops_support import FEED_DAY, enforcement_items, ops_config, popen_cli, rss, wait_until

DAY = FEED_DAY.isoformat()


def gated_feed(server, path: str, body: str) -> threading.Event:
    """A feed that answers only once the returned event is set (a hanging source until then)."""
    gate = threading.Event()

    def route(_handler):
        gate.wait(30)
        return 200, {"Content-Type": "application/rss+xml"}, body.encode()

    server.routes[path] = route
    return gate


def archive_state(path) -> dict:
    db = sqlite3.connect(path)
    try:
        return {
            "integrity": db.execute("PRAGMA integrity_check").fetchone()[0],
            "runs": [r[0] for r in db.execute("SELECT status FROM runs ORDER BY id")],
            "posts": db.execute("SELECT COUNT(*) FROM posts").fetchone()[0],
            "urls": db.execute("SELECT COUNT(DISTINCT url) FROM posts").fetchone()[0],
            "fts": db.execute("SELECT COUNT(*) FROM posts_fts").fetchone()[0],
        }
    finally:
        db.close()


def test_second_run_exits_75_at_once_and_a_killed_run_is_completed(tmp_path, http_server):
    gate = gated_feed(http_server, "/feed", rss(enforcement_items(http_server.base, "k", 6)))
    config = ops_config(tmp_path, [{"id": "slow", "name": "Slow", "type": "feed",
                                    "url": http_server.base + "/feed"}])
    first = popen_cli("--config", str(config), "run", "--date", DAY, "--no-send")
    try:
        wait_until(lambda: http_server.hits("/feed") >= 1, 60, "the first run to reach the feed")
        started = time.monotonic()
        second = run_cli("--config", str(config), "run", "--date", DAY, "--no-send")
        assert second.returncode == 75
        assert "another crackdown run" in second.stderr and str(first.pid) in second.stderr
        assert time.monotonic() - started < 10
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    killed = archive_state(tmp_path / "archive.db")
    assert killed["integrity"] == "ok" and killed["runs"] == ["running"] and killed["posts"] == 0

    gate.set()
    third = run_cli("--config", str(config), "run", "--date", DAY, "--no-send")
    assert third.returncode == 0, third.stderr
    assert f"pid {first.pid}" in third.stderr and "stale lock" in third.stderr
    after = archive_state(tmp_path / "archive.db")
    assert after["runs"] == ["interrupted", "ok"]
    assert after["posts"] == after["urls"] == after["fts"] == 6


def test_sigkill_mid_write_loses_and_duplicates_nothing(tmp_path, http_server):
    count = 40
    http_server.add("/feed", rss(enforcement_items(http_server.base, "w", count)))

    def slow_article(_handler):
        time.sleep(0.3)   # posts reach the archive one by one while we watch
        return 200, {"Content-Type": "text/html"}, (
            "<html><body><article><h1>Seller suspensions</h1>" + "<p>Amazon suspended seller "
            "accounts for review manipulation and withheld their disbursements.</p>" * 5 +
            "</article></body></html>").encode()

    for i in range(count):
        http_server.routes[f"/p/w-{i}"] = slow_article
    config = ops_config(tmp_path, [{"id": "writer", "name": "Writer", "type": "feed",
                                    "url": http_server.base + "/feed", "fetch_articles": True}])
    archive = tmp_path / "archive.db"

    def stored() -> int:
        if not archive.exists():
            return 0
        try:
            return archive_state(archive)["posts"]
        except sqlite3.Error:
            return 0

    proc = popen_cli("--config", str(config), "run", "--date", DAY, "--no-send")
    try:
        wait_until(lambda: stored() >= 3, 90, "the first posts to be written")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    partial = archive_state(archive)
    assert partial["integrity"] == "ok" and 3 <= partial["posts"] < count
    assert partial["posts"] == partial["fts"]   # the FTS triggers ran in the same transactions

    log_file = tmp_path / "logs" / "crackdown.log"
    rerun = run_cli("--config", str(config), "--log-file", str(log_file), "run", "--date", DAY)
    assert rerun.returncode == 0, rerun.stderr
    after = archive_state(archive)
    assert after["posts"] == after["urls"] == after["fts"] == count
    assert after["runs"] == ["interrupted", "ok"]
    # quiet under cron: nothing on stdout; stderr holds only the stale-lock warning
    assert rerun.stdout == ""
    assert [line for line in rerun.stderr.splitlines() if line.strip()] == [
        line for line in rerun.stderr.splitlines() if "stale lock" in line or "marked 'interrupted'"
        in line]
    # the log file keeps INFO lines, is owner-only, and never shows progress bars
    text = log_file.read_text(encoding="utf-8")
    assert "run finished with exit code 0" in text and "\r" not in text
    # no listening consoles in a cron job (Scrapy's telnet console and remote-control server)
    assert "Spider opened" in text and "Remote control" not in text and "Telnet console" not in text
    assert stat.S_IMODE(os.stat(log_file).st_mode) == 0o600


def test_sigterm_mid_crawl_stops_cleanly_and_records_the_interruption(tmp_path, http_server):
    gate = gated_feed(http_server, "/feed", rss(enforcement_items(http_server.base, "t", 3)))
    # Scrapy's graceful stop lets the download in flight end (here by the 4 s timeout)
    config = ops_config(tmp_path, [{"id": "slow", "name": "Slow", "type": "feed",
                                    "url": http_server.base + "/feed"}], crawl={"timeout": 4.0})
    proc = popen_cli("--config", str(config), "run", "--date", DAY, "--no-send")
    try:
        wait_until(lambda: http_server.hits("/feed") >= 1, 60, "the run to reach the feed")
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
        stopped_in = time.monotonic() - started
    finally:
        gate.set()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    assert "SIGTERM" in stderr and "next run completes" in stderr
    assert stopped_in < 10
    state = archive_state(tmp_path / "archive.db")
    assert state["integrity"] == "ok" and state["runs"] == ["interrupted"]
    # a clean stop releases the lock and leaves no pid behind (no stale-lock warning next time)
    assert (tmp_path / "archive.db.lock").read_text() == ""


def test_brief_dates_catch_up_missed_days_within_a_week():
    target = Date(2026, 11, 25)
    assert brief_dates(target, None) == [target]                       # first run: just today
    assert brief_dates(target, "2026-11-24") == [target]               # nothing missed
    assert brief_dates(target, "2026-11-25") == [target]               # re-run: same date
    assert brief_dates(target, "2026-11-22") == [Date(2026, 11, 23), Date(2026, 11, 24), target]
    missed_long = brief_dates(target, "2026-10-01")                    # machine off for weeks
    assert len(missed_long) == 7 and missed_long[0] == Date(2026, 11, 19)


def test_log_file_rotates_and_stays_bounded(tmp_path):
    path = tmp_path / "crackdown.log"
    handler = _file_handler(path, logging.INFO)
    logger = logging.getLogger("crackdown.test_rotation")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        line = "x" * 1000
        for _ in range(int(LOG_FILE_BYTES * 1.5) // 1000):
            logger.warning(line)
    finally:
        logger.removeHandler(handler)
        handler.close()
    assert (tmp_path / "crackdown.log.1").exists()
    assert all(p.stat().st_size <= LOG_FILE_BYTES for p in tmp_path.glob("crackdown.log*"))


def test_a_stop_signal_waits_until_the_send_is_recorded():
    """SIGTERM between the SMTP hand-over and `sent_at` would mean a second mail next run."""
    from crackdown.run import Terminated, _signals_deferred

    recorded = []
    with pytest.raises(Terminated) as stopped:
        with _signals_deferred():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)   # the handler has run by now; the block must still finish
            recorded.append("sent_at written")
    assert recorded == ["sent_at written"] and stopped.value.signum == signal.SIGTERM
