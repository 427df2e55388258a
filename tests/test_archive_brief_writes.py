"""What every brief writes stays cheap at a million posts: setting story_id on a day's posts must
not rewrite the full-text index, and recounting a story must seek its index even when the
planner's statistics were taken before any story existed."""

from crackdown.archive.search import search
from tests.archive_samples import build


def fts_rows(db) -> int:
    return db.execute("SELECT COUNT(*) FROM posts_fts_docsize").fetchone()[0]


def test_story_updates_leave_the_index_alone_and_text_updates_reach_it(tmp_path):
    db, ids = build(tmp_path / "archive.db")
    before = db.execute("SELECT id, sz FROM posts_fts_docsize ORDER BY id").fetchall()
    changes = db.execute("SELECT total_changes()").fetchone()[0]
    db.execute("UPDATE posts SET story_id = NULL, origin = 'x' WHERE id = ?", [ids["frozen"]])
    # one row changed: the post itself, no FTS delete/insert behind it
    assert db.execute("SELECT total_changes()").fetchone()[0] - changes == 1
    assert db.execute("SELECT id, sz FROM posts_fts_docsize ORDER BY id").fetchall() == before
    db.execute("UPDATE posts SET title = 'Walmart payout reserve news' WHERE id = ?", [ids["frozen"]])
    assert [r["id"] for r in search(db, "reserve")] == [ids["frozen"]]
    assert search(db, '"frozen funds" eBay') == []
    assert fts_rows(db) == len(ids)
    db.execute("INSERT INTO posts_fts (posts_fts) VALUES ('integrity-check')")


def test_story_recount_uses_its_index_whatever_the_statistics_say(tmp_path):
    db, ids = build(tmp_path / "archive.db")
    db.execute("ANALYZE")        # every story_id is NULL now: the planner learns "one value"
    from crackdown.archive.stories import save_stories

    statements = []
    db.conn.set_trace_callback(statements.append)
    save_stories(db, [[{"id": ids["frozen"], "title": "t", "dated_at": "2021-05-13"}]])
    db.conn.set_trace_callback(None)
    recount = next(s for s in statements if s.startswith("SELECT COUNT(*)"))
    plan = " ".join(r[3] for r in db.execute("EXPLAIN QUERY PLAN " + recount.replace("?", "1")))
    assert "idx_posts_story" in plan and "SCAN p" not in plan
