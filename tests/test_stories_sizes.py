"""Stored stories stay true to their posts when a later brief run regroups posts: every story's
`size` is the number of posts that point at it, and a story left without posts is gone."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from crackdown.archive import posts, queries
from crackdown.archive.stories import save_stories
from reports.brief import day_bounds
from reports.daily import make_brief
from tests.test_brief_build import DAY, HandArchive, at

YESTERDAY = DAY - timedelta(days=1)


def angle(degrees: float) -> np.ndarray:
    """A unit vector in one plane: the cosine of two of them is the cosine of their angle apart.
    Posts link by embedding at cosine ≥ 0.73 (under ~43° apart)."""
    v = np.zeros(32, dtype=np.float32)
    v[0], v[1] = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
    return v


def stored(db) -> dict[int, tuple[int, int]]:
    """story id → (stored size, posts pointing at it), for every stored story."""
    return {sid: (size, n) for sid, size, n in db.execute(
        "SELECT s.id, s.size, (SELECT COUNT(*) FROM posts p WHERE p.story_id = s.id) "
        "FROM stories s").fetchall()}


def story_of(db, post_id: int) -> int | None:
    return posts.get_post(db, post_id)["story_id"]


@pytest.fixture
def arch(tmp_path):
    a = HandArchive(tmp_path / "archive.db")
    yield a
    a.db.close()


def test_posts_moving_to_another_story_recount_both_and_drop_none_wrongly(arch):
    # Yesterday: a–b are one story (30° apart), c–d another; b and c are 50° apart: no link.
    topic = {"store_closure": 0.9}
    a = arch.add("bytes", "Shoe brand loses its storefront overnight", at(YESTERDAY, 9), topic,
                 vector=angle(80))
    b = arch.add("wire", "Footwear seller account deactivated without notice", at(YESTERDAY, 10),
                 topic, vector=angle(50))
    c = arch.add("ledger", "Sneaker merchants report sudden removals", at(YESTERDAY, 11), topic,
                 vector=angle(0))
    d = arch.add("forum", "Trainers shops gone from search", at(YESTERDAY, 12), topic,
                 vector=angle(1))
    config = arch.config()
    make_brief(config, YESTERDAY)
    first, second = story_of(arch.db, a), story_of(arch.db, c)
    assert first == story_of(arch.db, b) and second == story_of(arch.db, d) and first != second
    assert stored(arch.db) == {first: (2, 2), second: (2, 2)}

    # Today a post close to b, c and d pulls b into the c–d story; a stays where it was.
    t = arch.add("reddit", "Every running-shoe reseller I know got closed", at(DAY, 9), topic,
                 vector=angle(25))
    make_brief(config, DAY)
    assert all(size == n > 0 for size, n in stored(arch.db).values())
    assert story_of(arch.db, a) == first
    # the story holding most of the group's posts keeps its id; b moves over to it
    assert {story_of(arch.db, p) for p in (b, c, d, t)} == {second}
    assert stored(arch.db) == {first: (1, 1), second: (4, 4)}
    last_seen = arch.db.execute("SELECT last_seen FROM stories WHERE id = ?", [first]).fetchone()[0]
    assert last_seen == at(YESTERDAY, 9).isoformat()      # b's date went with b

    # Running the same day again changes nothing.
    make_brief(config, DAY)
    assert stored(arch.db) == {first: (1, 1), second: (4, 4)}


def test_a_story_whose_posts_all_move_is_dropped(arch):
    topic = {"funds_hold": 0.9}
    a = arch.add("bytes", "Payouts paused for toy sellers", at(YESTERDAY, 9), topic,
                 vector=angle(50))
    c = arch.add("wire", "Marketplace freezes balances of puzzle shops", at(YESTERDAY, 10), topic,
                 vector=angle(0))
    config = arch.config()
    make_brief(config, YESTERDAY)
    lone, kept = story_of(arch.db, a), story_of(arch.db, c)
    assert lone != kept
    t = arch.add("reddit", "Toy and puzzle sellers all frozen", at(DAY, 9), topic, vector=angle(25))
    make_brief(config, DAY)
    assert all(size == n > 0 for size, n in stored(arch.db).values())
    assert {story_of(arch.db, p) for p in (a, c, t)} == {lone}   # a tie: the older id stays
    assert stored(arch.db) == {lone: (3, 3)}                     # the emptied story is gone


def test_two_groups_claiming_one_stored_story_stay_apart(arch):
    """A later grouping can split a stored story: the part holding most of its posts keeps the
    id, the rest becomes a new story, and neither is re-merged by the shared old id."""
    ids = [arch.add("bytes", f"Post {k}", at(DAY, 8 + k), {"data_leak": 0.9}) for k in range(5)]
    start, end = day_bounds(DAY, "UTC")
    rows = {p["id"]: p for p in queries.posts_between(arch.db, start, end)}
    save_stories(arch.db, [[rows[i] for i in ids[:3]]])
    old = story_of(arch.db, ids[0])
    rows = {p["id"]: p for p in queries.posts_between(arch.db, start, end)}
    save_stories(arch.db, [[rows[ids[0]], rows[ids[3]]],
                           [rows[ids[1]], rows[ids[2]], rows[ids[4]]]])
    assert story_of(arch.db, ids[1]) == story_of(arch.db, ids[2]) == story_of(arch.db, ids[4]) == old
    new = story_of(arch.db, ids[0])
    assert new != old and story_of(arch.db, ids[3]) == new
    assert stored(arch.db) == {old: (3, 3), new: (2, 2)}
