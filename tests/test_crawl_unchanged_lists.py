"""An unchanged list (answered 304) is read from the HTTP cache again only when no complete crawl of
its source has read it: a crawl cut short after the fetch still gets its posts on the next run,
and a complete one is not parsed a second time (crawlers/list_digests.py). Real crawls against a
real HTTP server and a real SQLite file."""

from __future__ import annotations

import signal
import sqlite3
import threading

from crackdown.config import SourceConfig
from crawlers import list_digests
from tests.conftest import run_cli, write_config
from tests.ops_support import popen_cli, rss, rss_item, wait_until

ETAG = '"v1"'
ARTICLE = "<html><body><article><h1>{0}</h1><p>{0}: the seller's account was suspended.</p>" \
          "</article></body></html>"


def _serve(http_server, statuses: list[int], gate: threading.Event) -> None:
    base = http_server.base
    body = rss([rss_item(base, "a1", "Amazon suspends seller one"),
                rss_item(base, "a2", "Amazon suspends seller two")]).encode()

    def feed(handler):              # 304 once the client holds the current ETag
        status = 304 if handler.headers.get("If-None-Match") == ETAG else 200
        statuses.append(status)
        return status, {"Content-Type": "application/rss+xml", "ETag": ETAG}, \
            (b"" if status == 304 else body)

    def slow_article(_handler):     # hangs until the gate opens
        gate.wait(30)
        return 200, {"Content-Type": "text/html"}, ARTICLE.format("Seller two").encode()

    http_server.routes["/feed"] = feed
    http_server.add("/p/a1", ARTICLE.format("Seller one"), "text/html")
    http_server.routes["/p/a2"] = slow_article


def _urls(db_path) -> list[str]:
    db = sqlite3.connect(db_path)
    try:
        return sorted(r[0].rsplit("/", 1)[1] for r in db.execute("SELECT url FROM posts"))
    except sqlite3.Error:           # not created yet, or mid-write
        return []
    finally:
        db.close()


def _health(db_path) -> dict:
    db = sqlite3.connect(db_path)
    db.row_factory = sqlite3.Row
    try:
        return dict(db.execute("SELECT * FROM sources WHERE id = 'news'").fetchone())
    finally:
        db.close()


def _config(tmp_path, url: str, archive: str = "archive.db", **source):
    config = write_config(tmp_path, [{"id": "news", "name": "News", "type": "feed", "url": url,
                                      "fetch_articles": True, **source}])
    text = config.read_text(encoding="utf-8").replace(str(tmp_path / "archive.db"),
                                                      str(tmp_path / archive))
    config.write_text(text, encoding="utf-8")
    return config


def test_a_list_is_read_again_until_a_crawl_of_it_completes(tmp_path, http_server):
    statuses: list[int] = []
    gate = threading.Event()
    _serve(http_server, statuses, gate)
    config = _config(tmp_path, http_server.base + "/feed")
    db_path = tmp_path / "archive.db"

    # 1. Killed after the feed was fetched (and cached): one article stored, one in flight.
    #    (A SIGTERM would store the second from the feed's summary when its download is cut.)
    proc = popen_cli("--config", str(config), "crawl")
    try:
        wait_until(lambda: http_server.hits("/p/a2") >= 1 and _urls(db_path) == ["a1"], 60,
                   "the first article stored and the second in flight")
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    finally:
        gate.set()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert _urls(db_path) == ["a1"]

    # 2. The feed is unchanged (304), but no crawl of it completed: its cached copy is read
    #    again and the missing post fetched.
    second = run_cli("--config", str(config), "crawl")
    assert second.returncode == 0, second.stderr
    assert statuses == [200, 304]
    assert _urls(db_path) == ["a1", "a2"]
    assert http_server.hits("/p/a1") == 1

    # 3. Unchanged again, and now read by a complete crawl: not parsed again, so not even a post
    #    removed from the archive meanwhile is fetched again; health counts the list's items.
    db = sqlite3.connect(db_path)
    db.execute("DELETE FROM posts WHERE url LIKE '%/p/a1'")
    db.commit()
    db.close()
    third = run_cli("-v", "--config", str(config), "crawl")
    assert third.returncode == 0, third.stderr
    assert statuses == [200, 304, 304]
    assert http_server.hits("/p/a1") == 1 and _urls(db_path) == ["a2"]
    assert "unchanged since the last complete crawl (2 items)" in third.stderr
    health = _health(db_path)
    assert health["consecutive_failures"] == 0 and health["last_item_count"] == 2

    # 4. The source read differently (its configuration changed): the same body is read again.
    config = _config(tmp_path, http_server.base + "/feed", strip_title_suffix=True)
    fourth = run_cli("--config", str(config), "crawl")
    assert fourth.returncode == 0, fourth.stderr
    assert statuses == [200, 304, 304, 304]
    assert http_server.hits("/p/a1") == 2 and _urls(db_path) == ["a1", "a2"]


def test_a_second_archive_sharing_the_cache_reads_the_list_itself(tmp_path, http_server):
    statuses: list[int] = []
    gate = threading.Event()
    gate.set()
    _serve(http_server, statuses, gate)
    first = run_cli("--config", str(_config(tmp_path, http_server.base + "/feed")), "crawl")
    assert first.returncode == 0, first.stderr
    # the same folder, so the same HTTP cache: the feed is answered 304 for the second archive
    beside = _config(tmp_path, http_server.base + "/feed", archive="beside.db")
    second = run_cli("--config", str(beside), "crawl")
    assert second.returncode == 0, second.stderr
    assert statuses == [200, 304]
    assert _urls(tmp_path / "beside.db") == ["a1", "a2"]


def _source(**changes) -> SourceConfig:
    return SourceConfig(**{"id": "news", "name": "News", "type": "feed",
                           "url": "http://127.0.0.1/feed", **changes})


def test_the_digest_covers_the_body_the_source_and_the_age_limit():
    body = b"<rss><channel><item><title>t</title></item></channel></rss>"
    digest = list_digests.list_digest(body, _source(), 0)
    assert digest == list_digests.list_digest(body, _source(), 0)
    assert digest != list_digests.list_digest(body + b" ", _source(), 0)
    assert digest != list_digests.list_digest(body, _source(strip_title_suffix=True), 0)
    assert digest != list_digests.list_digest(body, _source(), 30)


def test_a_record_counts_only_for_its_archive_and_its_complete_crawl(tmp_path):
    list_digests.save(tmp_path, "news", {"abc": 2}, "/srv/archive.db", "2026-12-08T06:30:00+00:00")
    assert list_digests.load(tmp_path, "news", "/srv/archive.db",
                             "2026-12-08T06:30:00+00:00") == {"abc": 2}
    assert list_digests.load(tmp_path, "news", "/srv/other.db", "2026-12-08T06:30:00+00:00") == {}
    assert list_digests.load(tmp_path, "news", "/srv/archive.db", "2026-12-07T06:30:00+00:00") == {}
    assert list_digests.load(tmp_path, "news", "/srv/archive.db", None) == {}
    assert list_digests.load(tmp_path, "other", "/srv/archive.db", "2026-12-08T06:30:00+00:00") == {}


def test_an_unreadable_record_means_every_list_is_read(tmp_path, caplog):
    (tmp_path / "news").mkdir()
    (tmp_path / "news" / list_digests.FILE_NAME).write_text("{not json", encoding="utf-8")
    assert list_digests.load(tmp_path, "news", "/srv/archive.db", "2026-12-08T06:30:00+00:00") == {}
    assert "read again" in caplog.text


def test_a_list_whose_crawl_failed_is_read_and_reported_again(tmp_path, http_server):
    statuses: list[int] = []
    base = http_server.base
    whole = rss([rss_item(base, "t1", "Walmart delists seller")])
    # the same feed a day later, cut off in transit: the root element never closes
    cut = rss([rss_item(base, "t1", "Walmart delists seller"),
               rss_item(base, "t2", "Walmart holds payouts")])[:-len("</item></channel></rss>")]
    served = {"etag": '"v1"', "body": whole}

    def feed(handler):
        status = 304 if handler.headers.get("If-None-Match") == served["etag"] else 200
        statuses.append(status)
        return status, {"Content-Type": "application/rss+xml", "ETag": served["etag"]}, \
            (b"" if status == 304 else served["body"].encode())

    http_server.routes["/feed"] = feed
    config = _config(tmp_path, base + "/feed", fetch_articles=False)
    assert run_cli("--config", str(config), "crawl").returncode == 0
    served.update(etag='"v2"', body=cut)
    for failures in (1, 2):     # the second answer is a 304: the cut copy is read, and fails, again
        result = run_cli("--config", str(config), "crawl")
        assert result.returncode == 3, result.stderr   # its only source failed
        health = _health(tmp_path / "archive.db")
        assert health["consecutive_failures"] == failures, health
        assert "truncated feed" in health["last_error"]
    assert statuses == [200, 200, 304]
