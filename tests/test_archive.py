"""The archive: migrations, upserts that keep derived data, FTS the sqlite-utils way."""

import os
import stat
import subprocess
import sys

import pytest
from sqlite_utils import Database

from crackdown.archive import open_archive, posts, queries, runs, sources, tags
from crackdown.config import SourceConfig


def _post(url="https://news.example/a", title="Amazon suspends sellers for fake reviews",
          body="Hundreds of accounts were deactivated for review manipulation.", **kw):
    return {"url": url, "source_id": "pulse", "title": title, "body": body, "author": "A",
            "published_at": "2021-05-13T09:00:00+00:00", "fetched_at": "2021-05-13T10:00:00+00:00",
            "lang": "en", "content_hash": kw.pop("content_hash", title + body), "guid": None,
            "origin": None, **kw}


@pytest.fixture
def db(tmp_path):
    db = open_archive(tmp_path / "archive.db")
    sources.sync_sources(db, [SourceConfig(id="pulse", name="Pulse", type="feed",
                                           url="https://news.example/feed")])
    yield db
    db.close()


def test_schema_has_documented_tables_and_views(db):
    names = set(db.table_names()) | set(db.view_names())
    assert {"sources", "posts", "posts_fts", "tags", "marketplaces", "stories", "labels", "runs",
            "briefs", "tagged_posts", "daily_topic_counts"} <= names
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_migrations_apply_once(tmp_path):
    path = tmp_path / "a.db"
    open_archive(path).close()
    db = open_archive(path)  # second open: nothing pending, no error
    applied = [r[0] for r in db.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
    assert applied == sorted(set(applied)) and "0001_core_tables" in applied


def test_new_archive_is_owner_only(tmp_path):
    path = tmp_path / "private.db"
    open_archive(path).close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_upsert_keeps_tags_and_id(db):
    post_id, inserted = posts.save_post(db, _post())
    assert inserted
    tags.save_classification(db, post_id, "m1", {"review_abuse": 0.9}, ["review_abuse"], "test")
    again_id, inserted_again = posts.save_post(db, _post(body="Updated text about the bans."))
    assert (again_id, inserted_again) == (post_id, False)
    assert db.execute("SELECT topic FROM tags WHERE post_id = ?", [post_id]).fetchall() == [
        ("review_abuse",)]
    # the changed text is queued for re-classification
    pending = [p["id"] for batch in tags.posts_to_classify(db, "m1") for p in batch]
    assert pending == [post_id]
    assert db.execute("SELECT fetched_at FROM posts").fetchone()[0] == "2021-05-13T10:00:00+00:00"


def test_fts_stays_in_sync_with_posts(db):
    a, _ = posts.save_post(db, _post())
    posts.save_post(db, _post(url="https://news.example/b", title="Prime Day dates announced",
                              body="Amazon confirmed the June event."))
    hits = queries.search(db, "manipulation")
    assert [h["id"] for h in hits] == [a] and "[manipulation]" in hits[0]["snippet"]
    posts.save_post(db, _post(body="Now about frozen disbursements instead."))
    assert queries.search(db, "manipulation") == []
    assert [h["id"] for h in queries.search(db, "disbursements")] == [a]
    db.execute("DELETE FROM posts WHERE id = ?", [a])
    assert queries.search(db, "disbursements") == []


def test_search_syntax_error_is_reported(db):
    posts.save_post(db, _post())
    with pytest.raises(queries.SearchSyntaxError):
        queries.search(db, '"unbalanced')


def test_sqlite_utils_sees_the_fts_table(db, tmp_path):
    posts.save_post(db, _post())
    plain = Database(tmp_path / "archive.db")
    assert plain["posts"].detect_fts() == "posts_fts"
    assert [r["title"] for r in plain["posts"].search("fake")] == [
        "Amazon suspends sellers for fake reviews"]
    cli = subprocess.run([sys.executable, "-m", "sqlite_utils", "search", str(tmp_path / "archive.db"),
                          "posts", "reviews", "-c", "title"], capture_output=True, text=True)
    assert cli.returncode == 0 and "fake reviews" in cli.stdout


def test_source_health_counts_failures_and_resets(db):
    sources.record_failure(db, "pulse", "HTTP 503 at https://news.example/feed")
    sources.record_failure(db, "pulse", "timed out")
    row = sources.source_health(db)[0]
    assert row["consecutive_failures"] == 2 and row["last_error"] == "timed out"
    sources.record_success(db, "pulse", items_seen=5, new_items=3)
    row = sources.source_health(db)[0]
    assert row["consecutive_failures"] == 0 and row["items_total"] == 3 and row["last_ok_at"]


def test_labels_latest_correction_wins(db):
    post_id, _ = posts.save_post(db, _post())
    topics = ["review_abuse", "store_closure"]
    tags.add_label(db, post_id, ["review_abuse"], topics)
    tags.add_label(db, post_id, [], topics)
    assert tags.corrections(db) == {post_id: set()}


def test_brief_storage_keeps_sent_state(db):
    runs.save_brief(db, "2021-05-13", "s", "<p>h</p>", "t")
    runs.mark_sent(db, "2021-05-13", ["a@example.com"])
    runs.save_brief(db, "2021-05-13", "s2", "<p>h2</p>", "t2")
    row = runs.get_brief(db, "2021-05-13")
    assert row["subject"] == "s2" and row["sent_at"] and row["recipients"] == "a@example.com"
