"""`type = "browser"` sources through the real headless Chromium (Debian's `chromium`, installed by
.ci/run), against a forum on 127.0.0.1 whose lists are built by JavaScript after load, grown by a
"Load more" button or by scrolling. Every crawl is a real `crackdown crawl` in a subprocess; each
test checks that no Chromium is left behind, also after SIGTERM and SIGKILL.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from crawlers.browser_support import find_chromium
from tests.conftest import REPO, FixtureServer, run_cli, write_config
from tests.fixtures.browser.site import PARAGRAPH, asked_for_static, serve_forum
from tests.fixtures.crawl.site import rss

if find_chromium() is None:
    if os.environ.get("CI"):
        raise RuntimeError("CI must install chromium (apt-get install -y chromium): see .ci/run")
    pytest.skip("no chromium on this machine: `apt-get install chromium` runs these tests",
                allow_module_level=True)

SELECTORS = {"item_selector": "li.thread", "link_selector": "a.title"}


def marked_processes(marker: str) -> list[int]:
    """Processes (Chromium, Playwright's driver) started by a crawl run with this marker in its
    environment: they inherit it, even once re-parented after their crawl was killed."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def wait_until(predicate, timeout: float, step: float = 0.1) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def crawl(config: Path, marker: str, *args: str) -> subprocess.CompletedProcess:
    return run_cli("--config", str(config), *args, "crawl", env={"CRACKDOWN_TEST_MARK": marker},
                   timeout=180)


@pytest.fixture(scope="module")
def forum():
    server = FixtureServer()
    server.add("/robots.txt", "User-agent: *\nAllow: /\n", "text/plain")
    urls = serve_forum(server, slow_list_seconds=8.0)
    yield server, urls
    server.close()


@pytest.fixture(scope="module")
def rendered(forum, tmp_path_factory):
    """One crawl: three browser sources (JS list with article pages, click to load more, scroll
    with an XPath selector), the same JS page as a plain `html` source, and a feed."""
    server, urls = forum
    tmp = tmp_path_factory.mktemp("browser")
    sources = [
        {"id": "js_list", "name": "JS list", "type": "browser", "url": urls["list"], **SELECTORS,
         "date_selector": ".when", "timezone": "Asia/Shanghai", "fetch_articles": True},
        {"id": "click_more", "name": "Load more", "type": "browser", "url": urls["more"], **SELECTORS,
         "load_more_selector": "#more", "load_more_rounds": 2},
        {"id": "scroll_more", "name": "Scroll", "type": "browser", "url": urls["scroll"],
         "item_selector": "//li[@class='thread']", "link_selector": "a.title", "load_more_rounds": 2},
        {"id": "static_view", "name": "Same page without a browser", "type": "html",
         "url": urls["list"] + "?static=1", **SELECTORS},
        {"id": "plain_feed", "name": "Feed", "type": "feed",
         "url": server.add("/feed", rss([{"title": "Feed item", "link": f"{server.base}/feed/1"}]),
                           "application/rss+xml")},
    ]
    marker = uuid.uuid4().hex
    started = datetime.now(timezone.utc)
    result = crawl(write_config(tmp, sources), marker)
    db = sqlite3.connect(tmp / "archive.db")
    yield {"result": result, "db": db, "server": server, "started": started,
           "finished": datetime.now(timezone.utc), "leftover": marked_processes(marker)}
    db.close()


def _posts(db, source_id: str) -> list[tuple]:
    return db.execute("SELECT url, title, published_at, body FROM posts WHERE source_id = ? "
                      "ORDER BY url", [source_id]).fetchall()


def test_the_rendered_list_is_read_with_the_html_selectors(rendered):
    assert rendered["result"].returncode == 1, rendered["result"].stderr   # static_view fails
    assert "Traceback" not in rendered["result"].stderr
    posts = _posts(rendered["db"], "js_list")
    assert len(posts) == 5
    by_title = {title.split(" #")[-1]: (published, body) for _, title, published, body in posts}
    assert by_title["1"][0] == "2021-05-12T01:30:00+00:00"     # 2021年5月12日 09:30, Beijing time
    assert by_title["0"][0] == "2021-05-12T01:30:00+00:00"     # 12. Mai 2021, 09:30 Uhr, same zone
    three_hours_ago = datetime.fromisoformat(by_title["2"][0])  # "3 hours ago"
    assert (rendered["started"] - timedelta(hours=3, minutes=1) <= three_hours_ago
            <= rendered["finished"] - timedelta(hours=3) + timedelta(minutes=1))
    # fetch_articles: each thread page was rendered too, and its JavaScript-built text kept
    assert all(body.startswith(PARAGRAPH[:60]) for _, body in by_title.values())


def test_more_items_by_click_and_by_scroll(rendered):
    for source_id in ("click_more", "scroll_more"):
        posts = _posts(rendered["db"], source_id)
        assert len(posts) == 15, source_id                   # 3 pages of 5: two rounds loaded more
        assert all(body == "" for *_, body in posts)         # list only: fetch_articles is off


def test_the_same_page_without_a_browser_finds_nothing(rendered):
    error = rendered["db"].execute("SELECT last_error FROM sources WHERE id = 'static_view'").fetchone()[0]
    assert "matched nothing" in error and "JavaScript" in error
    assert len(_posts(rendered["db"], "plain_feed")) == 1    # other sources ran beside the browser


def test_images_fonts_and_media_are_never_fetched(rendered):
    assert asked_for_static(rendered["server"]) == []
    api_calls = [h for p, h in rendered["server"].requests if p.startswith("/api/threads")]
    assert len(api_calls) >= 3 * 3 - 2                       # the pages' own scripts did run


def test_the_browser_sends_our_user_agent(rendered):
    agents = {h.get("User-Agent") for p, h in rendered["server"].requests if p.startswith("/more")}
    assert agents == {"crackdown-test/0.1 (+mailto:test@example.com)"}


def test_no_browser_process_outlives_the_crawl(rendered):
    assert rendered["leftover"] == []


def test_page_timeout_and_memory_cap_fail_their_source_only(forum, tmp_path):
    server, urls = forum
    sources = [
        {"id": "slow", "name": "Slow", "type": "browser", "url": urls["slow"], **SELECTORS},
        {"id": "feed", "name": "Feed", "type": "feed",
         "url": server.add("/feed2", rss([{"title": "Feed item", "link": f"{server.base}/feed/2"}]),
                           "application/rss+xml")},
    ]
    marker = uuid.uuid4().hex
    config = write_config(tmp_path, sources)
    config.write_text(config.read_text().replace("[crawl]", "[crawl]\nbrowser_timeout = 2.0"))
    result = crawl(config, marker)
    assert result.returncode == 1, result.stderr
    assert "slow: the browser could not render" in result.stderr and "Timeout" in result.stderr
    capped = tmp_path / "capped"
    capped.mkdir()
    config = write_config(capped, [{"id": "capped", "name": "Capped", "type": "browser",
                                    "url": urls["list"], **SELECTORS}])
    config.write_text(config.read_text().replace("[crawl]", "[crawl]\nbrowser_memory_mb = 128"))
    result = crawl(config, marker)
    assert result.returncode == 3, result.stderr
    assert "over [crawl] browser_memory_mb = 128; stopped this source" in result.stderr
    assert wait_until(lambda: not marked_processes(marker), 5)


def test_without_chromium_browser_sources_fail_clearly_and_others_run(forum, tmp_path):
    server, urls = forum
    sources = [
        {"id": "forum", "name": "Forum", "type": "browser", "url": urls["list"], **SELECTORS},
        {"id": "feed", "name": "Feed", "type": "feed",
         "url": server.add("/feed3", rss([{"title": "Feed item", "link": f"{server.base}/feed/3"}]),
                           "application/rss+xml")},
    ]
    config = write_config(tmp_path, sources)
    missing = '[crawl]\nchromium_path = "/nonexistent/chromium"'
    config.write_text(config.read_text().replace("[crawl]", missing))
    result = run_cli("--config", str(config), "crawl")
    assert result.returncode == 1, result.stderr
    expected = ("browser unavailable: [crawl] chromium_path '/nonexistent/chromium' is not an executable "
                "file; install it with `apt-get install chromium` or set [crawl] chromium_path")
    assert f"forum: {expected}" in result.stderr
    assert "1 new posts from 1 sources (1 failed)" in result.stdout
    health = run_cli("--config", str(config), "sources")
    assert expected in health.stdout
    doctor = run_cli("--config", str(config), "doctor", "--no-network")
    assert f"[FAIL] browser: {expected}; sources forum cannot run" in doctor.stdout


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_the_browser_dies_with_the_crawl(forum, tmp_path, stop):
    server, urls = forum
    config = write_config(tmp_path, [{"id": "slow", "name": "Slow", "type": "browser",
                                      "url": urls["slow"], **SELECTORS}])
    marker = uuid.uuid4().hex
    command = [sys.executable, "-m", "crackdown.cli", "--config", str(config), "crawl"]
    crawl_process = subprocess.Popen(command, cwd=REPO, env={**os.environ, "CRACKDOWN_TEST_MARK": marker},
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # the list page is being rendered: the server holds it for 8 s
        assert wait_until(lambda: server.hits("/slow") >= 1 and len(marked_processes(marker)) >= 3, 30)
        crawl_process.send_signal(stop)
        crawl_process.wait(timeout=30)
    finally:
        if crawl_process.poll() is None:
            crawl_process.kill()
            crawl_process.wait()
        crawl_process.stdout.close()
        crawl_process.stderr.close()
    assert wait_until(lambda: not marked_processes(marker), 10), marked_processes(marker)


def test_nothing_but_the_browser_spider_imports_playwright():
    code = ("import sys, crackdown.cli, crackdown.doctor, crackdown.run, crawlers.runner, "
            "crawlers.settings, crawlers.spiders.feed, crawlers.spiders.html, crawlers.browser_support, "
            "crawlers.browser_process; print(sorted(m for m in sys.modules if 'playwright' in m))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_profiles_of_killed_crawls_are_removed_by_the_next_one(tmp_path, monkeypatch):
    from crawlers import browser_process

    monkeypatch.setattr(browser_process.tempfile, "tempdir", str(tmp_path))
    finished = subprocess.Popen(["true"])
    finished.wait()
    orphan = tmp_path / f"crackdown-chromium-{finished.pid}-abc"
    running = tmp_path / f"crackdown-chromium-{os.getpid()}-def"
    unrelated = tmp_path / "crackdown-chromium-notapid"
    for folder in (orphan, running, unrelated):
        (folder / "Default").mkdir(parents=True)
    browser_process._remove_orphaned_profiles()
    assert not orphan.exists() and running.exists() and unrelated.exists()
