"""End to end: `crackdown demo --out TMP` in a subprocess, then the archive and the brief."""

import asyncio
import json
import re
import sqlite3

import pytest
from datasette.app import Datasette

from crawlers.demo_site.site import load_demo_sources
from tests.conftest import run_cli


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    result = run_cli("demo", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("brief.html")
    return out, result


@pytest.fixture(scope="module")
def demo_out(demo_run):
    return demo_run[0]


def test_archive_has_posts_from_every_demo_source(demo_out):
    db = sqlite3.connect(demo_out / "archive.db")
    counts = dict(db.execute("SELECT source_id, COUNT(*) FROM posts GROUP BY source_id"))
    assert set(counts) == {s["id"] for s in load_demo_sources()}
    assert sum(counts.values()) >= 150
    # Chinese posts from the GB2312 board decoded, not mojibake
    titles = [r[0] for r in db.execute("SELECT title FROM posts WHERE source_id = 'kuajing_bbs'")]
    assert any("封号" in t for t in titles) and not any("\ufffd" in t for t in titles)


def test_posts_are_tagged_and_classified(demo_out):
    db = sqlite3.connect(demo_out / "archive.db")
    total = db.execute("SELECT COUNT(*) FROM posts").fetchone()[0]
    classified = db.execute("SELECT COUNT(*) FROM classifications").fetchone()[0]
    assert classified == total
    topics = dict(db.execute("SELECT topic, COUNT(*) FROM tags GROUP BY topic"))
    assert topics.get("review_abuse", 0) >= 10 and topics.get("store_closure", 0) >= 10
    untagged = db.execute("SELECT COUNT(*) FROM posts WHERE id NOT IN (SELECT post_id FROM tags)")
    assert untagged.fetchone()[0] >= 30   # ordinary news stays untagged
    zh_tagged = db.execute("SELECT COUNT(*) FROM tags t JOIN posts p ON p.id = t.post_id "
                           "WHERE p.lang = 'zh'").fetchone()[0]
    assert zh_tagged >= 10


def test_article_pages_were_extracted_without_boilerplate(demo_out):
    db = sqlite3.connect(demo_out / "archive.db")
    bodies = [r[0] for r in db.execute("SELECT body FROM posts WHERE source_id = 'channelwire'")]
    assert all(len(b) > 500 for b in bodies)
    assert not any("We use cookies" in b or "All rights reserved" in b for b in bodies)


def test_run_record_written(demo_out):
    db = sqlite3.connect(demo_out / "archive.db")
    command, status, stats = db.execute("SELECT command, status, stats FROM runs").fetchone()
    assert command == "demo" and status == "ok" and '"new_posts": ' in stats


def test_brief_shows_the_wave_topics_and_links(demo_out):
    html = (demo_out / "brief.html").read_text(encoding="utf-8")
    text = (demo_out / "brief.txt").read_text(encoding="utf-8")
    assert "2021-05-13" in html
    assert "Wave: Review manipulation crackdown" in html or "Wave: Store closures" in html
    for section in ("Store closures &amp; suspensions", "Review manipulation crackdown"):
        assert f"{section} <span" in html or section in html
    links = re.findall(r'href="([^"]+)"', html)
    assert len(links) >= 10 and all(link.startswith("http://127.0.0.1:") for link in links)
    assert "<script" not in html.lower()
    assert len(html.encode()) < 102_000
    assert "WAVES" in text and "http://127.0.0.1:" in text
    db = sqlite3.connect(demo_out / "archive.db")
    assert db.execute("SELECT COUNT(*) FROM briefs WHERE date = '2021-05-13'").fetchone()[0] == 1
    # the syndicated copy (same article on two sites) is one story, "also reported by" the other
    stories = db.execute("SELECT DISTINCT story_id FROM posts WHERE title LIKE "
                         "'What we know so far: Amazon%'").fetchall()
    assert len(stories) == 1 and stories[0][0] is not None
    assert "Also reported by" in html


def test_datasette_metadata_written_beside_the_archive_and_announced(demo_run):
    out, result = demo_run
    metadata = out / "metadata.json"
    assert f"Datasette metadata: {metadata.resolve()}" in result.stderr
    assert f"datasette {out.resolve()}/" in result.stderr
    # `datasette DIR/` (configuration-directory mode), as the closing message says, picks it up
    ds = Datasette([], config_dir=out)

    def get(url):
        response = asyncio.run(ds.client.get(url))
        assert response.status_code == 200, (url, response.text[:500])
        return response.json()

    assert get("/-/metadata.json") == json.loads(metadata.read_text(encoding="utf-8"))
    queries = {q["name"] for q in get("/archive.json")["queries"]}
    assert {"latest_brief", "surges", "topic_history", "first_reports"} <= queries
    briefs = get("/archive/latest_brief.json?date=&_shape=array")
    assert [b["date"] for b in briefs] == ["2021-05-13"]
    waves = get("/archive/surges.json?since=2021-05-01&_shape=array")
    assert any(w["day"] == "2021-05-13" for w in waves), waves


def test_brief_leads_with_event_cards_and_the_backtest_tells_the_story(demo_out):
    text = (demo_out / "brief.txt").read_text(encoding="utf-8")
    html = (demo_out / "brief.html").read_text(encoding="utf-8")
    cards = text.split("EVENTS UNDER WAY")[1].split("WAVES")[0]
    # the review wave: flagged on the leak's day (May 7), day 7 on the 13th, its brands named
    assert "* Review manipulation crackdown - Amazon - day 7 - " in cards
    assert "(official since 2021-05-13)" in cards and "Aukey (傲基)" in cards and "Mpow" in cards
    assert "first post 2021-05-02 (r/AmazonSellerCircle, community); flagged 2021-05-07" in cards
    assert "* Store closures & suspensions - Amazon - day 4 - " in cards
    assert "Events under way" in html and "Part of the event: Review manipulation crackdown" in html
    backtest = (demo_out / "backtest.txt").read_text(encoding="utf-8")
    review = next(line for line in backtest.splitlines() if line.startswith("Review manipulation"))
    # flagged 5 days after the first forum post, 6 days before the first official post
    assert re.search(r"2021-05-02 r/AmazonSellerCircle \(community\)\s+2021-05-07\s+2021-05-02\s+-5\s+"
                     r"2021-05-13\s+\+6", review), review
    assert "Verification wave / amazon" in backtest and "Funds withheld / ebay" in backtest
    db = sqlite3.connect(demo_out / "archive.db")
    assert db.execute("SELECT COUNT(*) FROM events WHERE start_day <= '2021-05-13'").fetchone()[0] >= 3


def test_demo_writes_the_brief_in_chinese_too(demo_run):
    out, result = demo_run
    html = (out / "brief.zh.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in html and "2021年5月13日" in html
    assert "刷单测评打击" in html and "Review manipulation crackdown" not in html
    # the event cards too, in Chinese (the demo renders this brief after the English run)
    assert "进行中的事件" in html and "<b>刷单测评打击·亚马逊</b> — 第 7 天 —" in html
    assert "（自 2021年5月13日 起有官方消息）" in html and "于 2021年5月7日 判定为激增" in html
    assert "所属事件：刷单测评打击·亚马逊，第 7 天" in html and "Part of the event" not in html
    assert len(html.encode("utf-8")) < 102 * 1024
    assert "brief.zh.html" in result.stderr



def test_a_second_demo_starts_from_an_empty_archive_and_never_touches_another(tmp_path):
    """The demo server's port changes between runs: a replay into the same folder would otherwise
    store every post again under new URLs and double the brief's counts."""
    from crackdown.archive import open_archive, runs
    from crackdown.demo import DemoFolderInUse, clear_previous_demo

    previous = tmp_path / "demo" / "archive.db"
    previous.parent.mkdir()
    db = open_archive(previous)
    runs.start_run(db, "demo")
    db.close()
    clear_previous_demo(previous)
    assert not previous.exists() and not list(previous.parent.glob("archive.db*"))

    real = tmp_path / "real" / "archive.db"
    real.parent.mkdir()
    db = open_archive(real)
    runs.start_run(db, "demo")
    runs.start_run(db, "run")
    db.close()
    with pytest.raises(DemoFolderInUse, match="choose another --out"):
        clear_previous_demo(real)
    assert real.exists()
    refused = run_cli("demo", "--out", str(real.parent))
    assert refused.returncode == 2 and "choose another --out" in refused.stderr
    with sqlite3.connect(real) as conn:
        assert conn.execute("SELECT count(*) FROM runs").fetchone() == (2,)
