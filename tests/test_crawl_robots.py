"""robots.txt is fetched once per host per run, however many sources live on that host (eight
subreddits on reddit.com), and still binds every source that obeys it."""

from __future__ import annotations

import sqlite3

from tests.conftest import FixtureServer, run_cli, write_config
from tests.fixtures.crawl.site import rss


def test_sources_on_one_host_share_one_robots_txt(tmp_path):
    server = FixtureServer()      # two hosts: 127.0.0.1 and localhost on the same port
    server.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain")
    local = server.base.replace("127.0.0.1", "localhost")
    sources = []
    for i in range(5):
        items = [{"title": f"r{i} post {n}", "link": f"{server.base}/r{i}/p/{n}"} for n in range(2)]
        sources.append({"id": f"r{i}", "name": f"r/{i}", "type": "feed",
                        "url": server.add(f"/r{i}/feed", rss(items))})
    server.add("/other/feed", rss([{"title": "other", "link": f"{local}/other/1"}]))
    sources.append({"id": "other_host", "name": "Other host", "type": "feed",
                    "url": local + "/other/feed"})
    # robots.txt still applies to each source that obeys it, and not to one that opted out
    server.add("/private/feed", rss([{"title": "private", "link": f"{server.base}/private/1"}]))
    sources.append({"id": "blocked", "name": "Blocked", "type": "feed",
                    "url": server.base + "/private/feed"})
    sources.append({"id": "allowed", "name": "Allowed", "type": "feed", "obey_robots": False,
                    "url": local + "/private/feed"})
    try:
        result = run_cli("--config", str(write_config(tmp_path, sources)), "crawl")
    finally:
        server.close()
    assert result.returncode == 1, result.stderr    # partial: "blocked" failed
    assert "blocked: forbidden by robots.txt" in result.stderr
    robots = [headers.get("Host") for path, headers in server.requests if path == "/robots.txt"]
    assert sorted(robots) == sorted([server.base[7:], local[7:]])   # once per host, not per source
    db = sqlite3.connect(tmp_path / "archive.db")
    per_source = dict(db.execute("SELECT source_id, COUNT(*) FROM posts GROUP BY source_id"))
    assert per_source == {**{f"r{i}": 2 for i in range(5)}, "other_host": 1, "allowed": 1}
    assert server.hits("/private/feed") == 1    # only the source that opted out fetched it
