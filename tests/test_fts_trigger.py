"""posts_fts follows a post's title and body, and nothing else: setting story_id (every brief
does, for a day's posts) must not rewrite the full-text index."""

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
