"""Several sources on one host (eight subreddits on reddit.com): their requests never overlap and
keep the configured delay between them, across the separate crawlers of one run."""

from __future__ import annotations

import sqlite3
import threading
import time

from tests.conftest import FixtureServer, run_cli, write_config
from tests.fixtures.crawl.site import rss

DELAY = 0.4
SERVICE_TIME = 0.2


def test_sources_sharing_a_host_take_turns(tmp_path):
    server = FixtureServer()
    spans: list[tuple[float, float, str, str]] = []
    lock = threading.Lock()

    def timed(body: bytes, content_type: str = "application/atom+xml", status: int = 200,
              headers: dict | None = None):
        def route(handler):
            start = time.monotonic()
            time.sleep(SERVICE_TIME)
            with lock:
                spans.append((start, time.monotonic(), handler.path, handler.headers.get("User-Agent")))
            return status, {"Content-Type": content_type, **(headers or {})}, body
        return route

    server.routes["/robots.txt"] = timed(b"User-agent: *\nAllow: /\n", "text/plain")
    sources = []
    for sub in ("AmazonSeller", "FulfillmentByAmazon", "EtsySellers"):
        path = f"/r/{sub}/new/.rss"
        items = [{"title": f"{sub} post {i}", "link": f"{server.base}/r/{sub}/comments/{i}"}
                 for i in range(2)]
        server.routes[path] = timed(rss(items))
        sources.append({"id": sub.lower(), "name": f"r/{sub}", "type": "reddit", "url": server.base + path,
                        "download_delay": DELAY})
    # a 429 to one subreddit pauses the whole host for what Retry-After asks
    server.routes["/r/throttled/new/.rss"] = timed(b"", "text/plain", 429, {"Retry-After": "1"})
    sources.insert(0, {"id": "throttled", "name": "r/throttled", "type": "reddit", "download_delay": DELAY,
                       "url": server.base + "/r/throttled/new/.rss"})
    try:
        result = run_cli("--config", str(write_config(tmp_path, sources)), "crawl")
    finally:
        server.close()
    assert result.returncode == 1 and "throttled: HTTP 429" in result.stderr, result.stderr
    assert sqlite3.connect(tmp_path / "archive.db").execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 6

    spans.sort()
    feeds = [s for s in spans if s[2].endswith("/new/.rss")]
    assert len(feeds) == 4
    assert [s[2] for s in spans].index("/r/throttled/new/.rss") < len(spans) - 1  # someone waited
    for (_, end, path, _), (start, _, nxt, _) in zip(spans, spans[1:]):
        assert start >= end, f"{nxt} started while {path} was still being served"
        wanted = 1.0 if path == "/r/throttled/new/.rss" else DELAY
        assert start - end >= wanted - 0.05, f"{nxt} only {start - end:.2f}s after {path}"
    assert {s[3] for s in spans} == {"crackdown-test/0.1 (+mailto:test@example.com)"}
