"""A stop signal mid-crawl (cron's `timeout`, a shutdown) is not the source's fault: the download it
cut short is recorded as interrupted, not as a time-out, and the posts already stored stay."""

from __future__ import annotations

import signal
import sqlite3
import threading

import pytest

from tests.ops_support import enforcement_items, ops_config, popen_cli, rss, wait_until


def _count(db_path, sql: str) -> int:
    try:
        db = sqlite3.connect(db_path)
        try:
            return db.execute(sql).fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:   # not created yet, or mid-write
        return 0


def _health(db_path) -> dict[str, dict]:
    db = sqlite3.connect(db_path)
    db.row_factory = sqlite3.Row
    try:
        return {r["id"]: dict(r) for r in db.execute("SELECT * FROM sources")}
    finally:
        db.close()


@pytest.mark.parametrize("command", [("run", "--date", "2026-11-20", "--no-send"), ("crawl",)],
                         ids=["run", "crawl"])
def test_sigterm_mid_download_is_an_interruption_not_a_timeout(tmp_path, http_server, command):
    base = http_server.base
    http_server.add("/fast/feed", rss(enforcement_items(base, "fast", 2)), "application/rss+xml")
    gate = threading.Event()

    def hanging(_handler):          # answers only after the test is over
        gate.wait(30)
        return 200, {"Content-Type": "application/rss+xml"}, rss(enforcement_items(base, "s", 1)).encode()

    http_server.routes["/slow/feed"] = hanging
    config = ops_config(tmp_path, [
        {"id": "fast", "name": "Fast", "type": "feed", "url": base + "/fast/feed"},
        {"id": "slow", "name": "Slow", "type": "feed", "url": base + "/slow/feed"},
    ], crawl={"timeout": 3.0})
    db_path = tmp_path / "archive.db"
    proc = popen_cli("--config", str(config), *command)
    try:
        # The fast source is finished once its health is written, a moment after its posts:
        # signalling between the two would interrupt it too (seen once in a full run).
        wait_until(lambda: http_server.hits("/slow/feed") >= 1
                    and _count(db_path, "SELECT COUNT(*) FROM posts WHERE source_id = 'fast'") == 2
                    and _count(db_path, "SELECT COUNT(*) FROM sources WHERE id = 'fast' "
                                        "AND last_ok_at IS NOT NULL") == 1,
                    60, "the fast source finished and the slow one in flight")
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    finally:
        gate.set()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    health = _health(db_path)
    slow, fast = health["slow"], health["fast"]
    # the cut-short download is no fault of the source: no failure counted, no error shown
    assert slow["consecutive_failures"] == 0 and slow["last_error"] is None, slow
    assert slow["last_ok_at"] is None and slow["last_attempt_at"] is not None
    assert "timed out" not in stderr and "interrupted" in stderr
    # what was stored before the signal stays, and the finished source counts as a good crawl
    assert _count(db_path, "SELECT COUNT(*) FROM posts WHERE source_id = 'fast'") == 2
    assert fast["consecutive_failures"] == 0 and fast["last_ok_at"] is not None
    runs = _count(db_path, "SELECT COUNT(*) FROM runs WHERE status = 'interrupted'")
    assert runs == (1 if command[0] == "run" else 0)
